// Depthwise 3×3 convolution (groups = channels), stride 1, zero padding 1, with bias:
//   out[n,y,x,c] = bias[c] + Σ_{ky,kx} in[n, y+ky-1, x+kx-1, c] · w[ky*3+kx, c]
// Layout: in/out NHWC f32; weights [9, C] (tap-major, so a tap's C weights are contiguous); bias [C].
//
// Rows: a workgroup is LANES channel lanes × (256 / LANES) rows; a "row" is one output pixel, and
// each lane loops over the pixel's channels (or vec4 channel quads) with stride LANES. LANES (16,
// 32 or 64) follows the channel count so that narrow maps (C = 64 is 16 quads) keep every lane
// busy instead of three quarters of them idle. Which pixel a row computes:
//   INDEXED = false : row r is pixel r of the N·H·W image (dense).
//   INDEXED = true  : row r is pixel rows[r], for r < min(count[0], params.rows); the count lives
//                     on the GPU so a dispatch can be indirect (ceil(count / rows per group)
//                     workgroups).
//                     COMPACT_OUTPUT writes row r to out[r, :] ([count, C]) instead of scattering
//                     to the pixel's place in the NHWC output (whose other pixels stay untouched).
// Entry points: `main` (scalar channels, any C) and `main_vec4` (params.channels = C / 4).
// Dispatch: ceil(rows / (256 / LANES)) workgroups of (LANES, 256 / LANES), folded over x and y when
// above 65535; or indirect
// (the row index is wid.x + wid.y · num_workgroups.x, so indirect arguments may fold too).

override INDEXED: bool = false;
override COMPACT_OUTPUT: bool = false;

override LANES: u32 = 64u;
override ROWS_PER_GROUP: u32 = 256u / LANES;

struct Params {
  height: u32,
  width: u32,
  channels: u32,  // C, or C / 4 in `main_vec4`
  rows: u32,      // dense: N·H·W; indexed: capacity of `rows`
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> rows: array<u32>;
@group(0) @binding(6) var<storage, read> count: array<u32>;

// The same buffers seen as channel quads; an entry point uses either these or the scalar views.
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out4: array<vec4<f32>>;

struct Row {
  valid: bool,
  pixel: u32,   // linear NHW index of the output pixel
  dest: u32,    // row of `out` (in units of pixels) that receives it
};

fn resolve_row(wid: vec3<u32>, nwg: vec3<u32>, local_row: u32) -> Row {
  let r = (wid.x + wid.y * nwg.x) * ROWS_PER_GROUP + local_row;
  if (!INDEXED) {
    return Row(r < params.rows, r, r);
  }
  if (r >= min(count[0], params.rows)) {
    return Row(false, 0u, 0u);
  }
  let pixel = rows[r];
  return Row(true, pixel, select(pixel, r, COMPACT_OUTPUT));
}

// Linear NHW index of the tap (dy, dx) around `pixel`, or -1 when it falls in the padding.
fn tap(pixel: u32, dy: i32, dx: i32) -> i32 {
  let w = params.width;
  let h = params.height;
  let px = pixel % w;
  let py = (pixel / w) % h;
  let sy = i32(py) + dy;
  let sx = i32(px) + dx;
  if (sy < 0 || sy >= i32(h) || sx < 0 || sx >= i32(w)) { return -1; }
  return i32(pixel) + dy * i32(w) + dx;
}

@compute @workgroup_size(LANES, ROWS_PER_GROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = resolve_row(wid, nwg, lid.y);
  if (!row.valid) { return; }
  let c_total = params.channels;
  var taps: array<i32, 9>;
  for (var t = 0; t < 9; t++) { taps[t] = tap(row.pixel, t / 3 - 1, t % 3 - 1); }
  for (var c = lid.x; c < c_total; c += LANES) {
    var acc = bias[c];
    for (var t = 0u; t < 9u; t++) {
      let s = taps[t];
      if (s >= 0) { acc += x[u32(s) * c_total + c] * weights[t * c_total + c]; }
    }
    out[row.dest * c_total + c] = acc;
  }
}

@compute @workgroup_size(LANES, ROWS_PER_GROUP)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = resolve_row(wid, nwg, lid.y);
  if (!row.valid) { return; }
  let c_total = params.channels;
  var taps: array<i32, 9>;
  for (var t = 0; t < 9; t++) { taps[t] = tap(row.pixel, t / 3 - 1, t % 3 - 1); }
  for (var c = lid.x; c < c_total; c += LANES) {
    var acc = bias4[c];
    for (var t = 0u; t < 9u; t++) {
      let s = taps[t];
      if (s >= 0) { acc += x4[u32(s) * c_total + c] * weights4[t * c_total + c]; }
    }
    out4[row.dest * c_total + c] = acc;
  }
}
