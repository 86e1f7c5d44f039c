// The end of the scale part of a router (spec §4.2, DynamicScale), fused over the packed head:
// for every row (t, q) at level l and channel quad c,
//   acc = Σ_{available paths s} bilinear_{align_corners=True}( v_s )(y, x),
//     v_0 from the finer level l − 1 (resized down), v_1 from the coarser level l + 1 (resized up),
//     v_s(src) = GroupNorm_s(d_s)(src) · gate_s(src): the path's depthwise output normalised with
//     its segment's folded affine (segment-stats.wgsl), times its spatial gate (FIXED: no gate);
//   y[t][q][c] = acc · scale_weight[t] + x[t][q][c] · output_weight[t].
// The resize is PyTorch's align_corners=True: sy = y·(Hs − 1)/(H − 1) (0 when H = 1), the
// neighbours clamped at the last row/column, lerp in x then in y; paths add in order 0, 1 and the
// axpby follows, as the unfused ops did.
// Layout: x [T_in][R][C] (in_tower_stride 0: shared); d [rows][C] in head-depthwise.wgsl's row
// layout (path s, tower t, source row q at base_s + t·span_s + q − lo_s); gates [2][T][R];
// affine [segments][3][C] with segment (s·T + t)·(L − 1) + (source level − s); weights [2][T]
// (scale_weight per tower, then output_weight per tower); out [T][R][C]. C % 4 == 0.
// One work item per row (<quad-lanes>): its level, bilinear corners, weights and gates are found
// once for all the quads its lane does (on a CPU adapter that bookkeeping, not the arithmetic,
// is most of the cost), and neighbouring lanes read neighbouring quads. Dispatch: ceil(T·R /
// ITEMS_PER_GROUP) workgroups, folded (workgroups1D).

override FIXED: bool = false;
#include <quad-lanes>

struct Params {
  channels4: u32,
  in_tower_stride: u32,
  span0: u32,               // source rows per tower of path 0 / path 1 (head-depthwise layout)
  span1: u32,
  lo1: u32,                 // first source row of path 1 (path 0 starts at row 0)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  scale_down_y: array<vec4<f32>, 2>,  // per target level l: (H_{l−1} − 1)/(H_l − 1), path 0
  scale_down_x: array<vec4<f32>, 2>,
  scale_up_y: array<vec4<f32>, 2>,    // per target level l: (H_{l+1} − 1)/(H_l − 1), path 1
  scale_up_x: array<vec4<f32>, 2>,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> levels: PackedLevels;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> d: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> gates: array<f32>;
@group(0) @binding(5) var<storage, read> affine: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<vec4<f32>>;

#include <packed-levels>

fn table(a: array<vec4<f32>, 2>, l: u32) -> f32 { return a[l >> 2u][l & 3u]; }

// Where path s's bilinear sample for target pixel (y, x) reads: the depthwise rows of its four
// corners (y0 x0, y0 x1, y1 x0, y1 x1), their gates, the lerp weights, and its affine's index.
struct Sample {
  rows: vec4<u32>,
  gate: vec4<f32>,
  lx: f32,
  ly: f32,
  affine: u32,
};

fn sample_at(s: u32, t: u32, sl: u32, y: u32, x: u32, sy: f32, sx: f32) -> Sample {
  let hs = level_height(sl);
  let ws = level_width(sl);
  let fy = f32(y) * sy;
  let fx = f32(x) * sx;
  // The scaled coordinate never exceeds in − 1 in exact arithmetic; clamp guards f32 rounding.
  let y0 = min(u32(fy), hs - 1u);
  let x0 = min(u32(fx), ws - 1u);
  let y1 = min(y0 + 1u, hs - 1u);
  let x1 = min(x0 + 1u, ws - 1u);
  let base = level_offset(sl);
  let q = vec4<u32>(base + y0 * ws + x0, base + y0 * ws + x1, base + y1 * ws + x0, base + y1 * ws + x1);
  var smp: Sample;
  smp.rows = t * params.span0 + q;
  if (s == 1u) { smp.rows = levels.towers * params.span0 + t * params.span1 + q - params.lo1; }
  smp.gate = vec4<f32>(1.0);
  if (!FIXED) {
    let g = (s * levels.towers + t) * levels.tower_rows;
    smp.gate = vec4<f32>(gates[g + q.x], gates[g + q.y], gates[g + q.z], gates[g + q.w]);
  }
  smp.lx = fx - f32(x0);
  smp.ly = fy - f32(y0);
  let seg = (s * levels.towers + t) * (levels.count - 1u) + sl - s;
  smp.affine = seg * 3u * params.channels4;
  return smp;
}

// The path's gated, normalised value at one corner, channel quad c.
fn corner(row: u32, gate: f32, mean: vec4<f32>, scale: vec4<f32>, shift: vec4<f32>, c: u32) -> vec4<f32> {
  var v = (d[row * params.channels4 + c] - mean) * scale + shift;
  if (!FIXED) { v *= gate; }
  return v;
}

fn resized(smp: Sample, c: u32) -> vec4<f32> {
  let c4 = params.channels4;
  let a = smp.affine + c;
  let mean = affine[a];
  let scale = affine[a + c4];
  let shift = affine[a + 2u * c4];
  let top = mix(corner(smp.rows.x, smp.gate.x, mean, scale, shift, c), corner(smp.rows.y, smp.gate.y, mean, scale, shift, c), smp.lx);
  let bottom = mix(corner(smp.rows.z, smp.gate.z, mean, scale, shift, c), corner(smp.rows.w, smp.gate.w, mean, scale, shift, c), smp.lx);
  return mix(top, bottom, smp.ly);
}

@compute @workgroup_size(QUAD_LANES, ITEMS_PER_GROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = (wid.x + wid.y * nwg.x) * ITEMS_PER_GROUP + lid.y;
  let c4 = params.channels4;
  let rows = levels.tower_rows;
  if (p >= levels.towers * rows) { return; }
  let t = p / rows;
  let q = p - t * rows;
  let pos = locate_row(q);
  let l = pos.level;
  let down = l > 0u;
  let up = l + 1u < levels.count;
  var s0: Sample;
  var s1: Sample;
  if (down) { s0 = sample_at(0u, t, l - 1u, pos.y, pos.x, table(params.scale_down_y, l), table(params.scale_down_x, l)); }
  if (up) { s1 = sample_at(1u, t, l + 1u, pos.y, pos.x, table(params.scale_up_y, l), table(params.scale_up_x, l)); }
  let in_row = (t * params.in_tower_stride + q) * c4;
  let w_scale = weights[t];
  let w_out = weights[levels.towers + t];
  for (var c = lid.x; c < c4; c += QUAD_LANES) {
    var acc = vec4<f32>(0.0);
    if (down) { acc += resized(s0, c); }
    if (up) { acc += resized(s1, c); }
    out[p * c4 + c] = acc * w_scale + x[in_row + c] * w_out;
  }
}
