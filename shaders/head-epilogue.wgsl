// The end of a router's depth part (spec §4.2, DynamicBottleneck), over the packed head, in place
// of the scale part's output y:
//   n = GroupNorm(conv2)(p) where p has a conv2 row j, else 0
//       = (o[j][c] − mean) · scale + shift with the folded affine of p's segment (segment-stats.wgsl)
//   dynamic: y[p][c] ← max(n · gate[p] + y[p][c], 0)      ReLU(o·g + y)
//   FIXED  : y[p][c] ← max(n + y[p][c], 0)                ReLU(o + y); every pixel has row j = p
// j = lists[map + p] (the compaction's gate-list map, 0xffffffff where inactive) in a dynamic head.
// Layout: o [rows][C] (conv2's compact rows, or pixels in the dense fallback / fixed head);
// affine [S][3][C]; gate [T][R]; y [T][R][C]; C % 4 == 0 (vec4 quads).
// One thread per (pixel, quad). Dispatch: ceil(T·R·C/4 / 256) of 256, folded (workgroups1D).

override FIXED: bool = false;

struct Params {
  channels4: u32,
  map: u32,       // word offset of the pixel → row map in `lists`
  _pad0: u32,
  _pad1: u32,
};

const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> levels: PackedLevels;
@group(0) @binding(2) var<storage, read> o: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> lists: array<u32>;
@group(0) @binding(4) var<storage, read> affine: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> gate: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<vec4<f32>>;

#include <packed-levels>

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let c4 = params.channels4;
  let rows = levels.tower_rows;
  if (i >= levels.towers * rows * c4) { return; }
  let p = i / c4;
  let c = i - p * c4;
  var j = p;
  if (!FIXED) { j = lists[params.map + p]; }
  var n = vec4<f32>(0.0);
  if (j != NONE) {
    let t = p / rows;
    let seg = t * levels.count + locate_row(p - t * rows).level;
    let a = seg * 3u * c4 + c;
    n = (o[j * c4 + c] - affine[a]) * affine[a + c4] + affine[a + 2u * c4];
  }
  if (FIXED) {
    y[i] = max(n + y[i], vec4<f32>(0.0));
  } else {
    y[i] = max(n * gate[p] + y[i], vec4<f32>(0.0));
  }
}
