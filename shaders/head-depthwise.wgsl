// The scale paths' depthwise 3×3 convs (groups = C, pad 1 at each row's own level, with bias)
// over the packed head, both paths and every tower in one dispatch (spec §4.2, DynamicScale):
//   d[s][t][q][c] = bias[t][s][c] + Σ_tap x[t][neighbour(q, tap)][c] · w[t][s][tap][c]
// Path s only runs on its consumed source rows [lo_s, hi_s) of a tower (path 0 carries every
// level but the last down to its coarser neighbour, path 1 every level but the first up), so
// the output keeps just those rows: path s, tower t, tower row q is output row
//   base_s + t·(hi_s − lo_s) + (q − lo_s),   base_0 = 0, base_1 = T·(hi_0 − lo_0).
// Layout: x [T_in][R][C] (in_tower_stride = 0 when the towers share one input); weights
// [T][2][9][C] tap-major; bias [T][2][C]; out [rows][C]; C % 4 == 0, read as vec4 quads.
// Work: one thread per (channel quad, block of 4 consecutive pixels of one image row of one
// source level, path and tower): the 3 × 6 input pixels under the block's four windows are read
// once each (18 loads for 4 outputs, not 36), the 9 weights once, and the block's place is found
// once for its 4 pixels. The column masks are found before the loads, which select() rather than
// branch (a CPU adapter runs both sides of a branch its lanes disagree on). Blocks of path s, tower t, level l: H_l · ceil(W_l / 4), in row order,
// path-major then tower then level.
// Workgroup and lanes: <quad-lanes> (a work item is a block). Dispatch: ceil(blocks /
// ITEMS_PER_GROUP) workgroups, folded over x and y (workgroups1D).

#include <quad-lanes>
const BLOCK = 4u;

struct Params {
  channels4: u32,
  in_tower_stride: u32,
  total_blocks: u32,
  _pad: u32,
  lo: vec2<u32>,   // first consumed tower row of path 0, 1
  hi: vec2<u32>,   // one past the last
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> levels: PackedLevels;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;

#include <packed-levels>
#include <pixel-blocks>


// One kernel row of one output pixel: its three taps added to acc in order kx = 0, 1, 2.
fn add_row(acc: vec4<f32>, a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, k0: vec4<f32>, k1: vec4<f32>, k2: vec4<f32>) -> vec4<f32> {
  var s = acc;
  s += a * k0;
  s += b * k1;
  s += c * k2;
  return s;
}

// Blocks of one tower on path s (source levels s … s + L − 2).
fn path_blocks(s: u32) -> u32 {
  var n = 0u;
  for (var l = s; l < s + levels.count - 1u; l++) { n += level_blocks(l); }
  return n;
}

@compute @workgroup_size(QUAD_LANES, ITEMS_PER_GROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = (wid.x + wid.y * nwg.x) * ITEMS_PER_GROUP + lid.y;
  if (b >= params.total_blocks) { return; }
  let per0 = path_blocks(0u);
  var s = 0u;
  var local = b;
  var per = per0;
  if (b >= levels.towers * per0) {
    s = 1u;
    local = b - levels.towers * per0;
    per = path_blocks(1u);
  }
  let t = local / per;
  let block = locate_block(local - t * per, s, s + levels.count - 1u);
  let l = block.level;
  let w = block.w;
  let h = block.h;
  let y = block.y;
  let x0 = block.x0;
  let q0 = level_offset(l) + y * w + x0;   // tower row of the block's first pixel
  let c4 = params.channels4;
  let span0 = params.hi.x - params.lo.x;
  let span = select(span0, params.hi.y - params.lo.y, s == 1u);
  let out_row = select(0u, levels.towers * span0, s == 1u) + t * span + q0 - params.lo[s];
  // Flat quad index of input row y − 1, y, y + 1 at column 0 (valid rows only).
  let in_level = (t * params.in_tower_stride + level_offset(l)) * c4;
  let up = y > 0u;
  let down = y + 1u < h;
  let r0 = in_level + select(0u, (y - 1u) * w * c4, up);
  let r1 = in_level + y * w * c4;
  let r2 = in_level + select(0u, (y + 1u) * w * c4, down);
  let cols = block_columns(x0, w, c4);
  let path_set = t * 2u + s;
  for (var c = lid.x; c < c4; c += QUAD_LANES) {
    let wb = path_set * 9u * c4 + c;
    let b4 = bias[path_set * c4 + c];
    var acc0 = b4;
    var acc1 = b4;
    var acc2 = b4;
    var acc3 = b4;
    // Taps in the order ky, kx (as the unfused conv adds them), rows outside the level skipped.
    for (var ky = 0u; ky < 3u; ky++) {
      let valid = (ky != 0u || up) && (ky != 2u || down);
      if (!valid) { continue; }
      let v = column_quads(cols, select(select(r1, r2, ky == 2u), r0, ky == 0u) + c);
      let k0 = weights[wb + (ky * 3u) * c4];
      let k1 = weights[wb + (ky * 3u + 1u) * c4];
      let k2 = weights[wb + (ky * 3u + 2u) * c4];
      acc0 = add_row(acc0, v.v0, v.v1, v.v2, k0, k1, k2);
      acc1 = add_row(acc1, v.v1, v.v2, v.v3, k0, k1, k2);
      acc2 = add_row(acc2, v.v2, v.v3, v.v4, k0, k1, k2);
      acc3 = add_row(acc3, v.v3, v.v4, v.v5, k0, k1, k2);
    }
    let o = out_row * c4 + c;
    out[o] = acc0;
    if (x0 + 1u < w) { out[o + c4] = acc1; }
    if (x0 + 2u < w) { out[o + 2u * c4] = acc2; }
    if (x0 + 3u < w) { out[o + 3u * c4] = acc3; }
  }
}
