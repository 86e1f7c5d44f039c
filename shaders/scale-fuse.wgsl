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
// One thread per (row, quad). Dispatch: ceil(T·R·C/4 / 256) workgroups of 256, folded (workgroups1D).

override FIXED: bool = false;

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

// Path s's gated, normalised value at source level `sl`, pixel (yy, xx), channel quad c.
fn source_value(s: u32, t: u32, sl: u32, yy: u32, xx: u32, c: u32) -> vec4<f32> {
  let c4 = params.channels4;
  let q = level_offset(sl) + yy * level_width(sl) + xx;
  var row = t * params.span0 + q;
  if (s == 1u) { row = levels.towers * params.span0 + t * params.span1 + q - params.lo1; }
  let seg = (s * levels.towers + t) * (levels.count - 1u) + sl - s;
  let a = seg * 3u * c4 + c;
  var v = (d[row * c4 + c] - affine[a]) * affine[a + c4] + affine[a + 2u * c4];
  if (!FIXED) { v *= gates[(s * levels.towers + t) * levels.tower_rows + q]; }
  return v;
}

fn resized(s: u32, t: u32, sl: u32, y: u32, x: u32, sy: f32, sx: f32, c: u32) -> vec4<f32> {
  let hs = level_height(sl);
  let ws = level_width(sl);
  let fy = f32(y) * sy;
  let fx = f32(x) * sx;
  // The scaled coordinate never exceeds in − 1 in exact arithmetic; clamp guards f32 rounding.
  let y0 = min(u32(fy), hs - 1u);
  let x0 = min(u32(fx), ws - 1u);
  let y1 = min(y0 + 1u, hs - 1u);
  let x1 = min(x0 + 1u, ws - 1u);
  let ly = fy - f32(y0);
  let lx = fx - f32(x0);
  let top = mix(source_value(s, t, sl, y0, x0, c), source_value(s, t, sl, y0, x1, c), lx);
  let bottom = mix(source_value(s, t, sl, y1, x0, c), source_value(s, t, sl, y1, x1, c), lx);
  return mix(top, bottom, ly);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let c4 = params.channels4;
  let rows = levels.tower_rows;
  if (i >= levels.towers * rows * c4) { return; }
  let p = i / c4;
  let c = i - p * c4;
  let t = p / rows;
  let q = p - t * rows;
  let pos = locate_row(q);
  let l = pos.level;
  var acc = vec4<f32>(0.0);
  if (l > 0u) {
    acc += resized(0u, t, l - 1u, pos.y, pos.x, table(params.scale_down_y, l), table(params.scale_down_x, l), c);
  }
  if (l + 1u < levels.count) {
    acc += resized(1u, t, l + 1u, pos.y, pos.x, table(params.scale_up_y, l), table(params.scale_up_x, l), c);
  }
  let xin = x[(t * params.in_tower_stride + q) * c4 + c];
  out[i] = acc * weights[t] + xin * weights[levels.towers + t];
}
