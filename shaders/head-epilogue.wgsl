// The end of a router's depth part (spec §4.2, DynamicBottleneck), over the packed head, in place
// of the scale part's output y:
//   n = GroupNorm(conv2)(p) where p has a conv2 row j, else 0
//       = (o[j][c] − mean) · scale + shift with the folded affine of p's segment (segment-stats.wgsl)
//   dynamic: y[p][c] ← max(n · gate[p] + y[p][c], 0)      ReLU(o·g + y)
//   FIXED  : y[p][c] ← max(n + y[p][c], 0)                ReLU(o + y); every pixel has row j = p
// j = lists[map + p] (the compaction's gate-list map, 0xffffffff where inactive) in a dynamic head.
// Layout: o [rows][C] (conv2's compact rows, or pixels in the dense fallback / fixed head);
// affine [S][3][C]; gate [T][R]; y [T][R][C]; C % 4 == 0 (vec4 quads).
// One work item per pixel (<quad-lanes>; on a GPU one lane per quad). Dispatch: ceil(T·R /
// ITEMS_PER_GROUP), folded (workgroups1D).

override FIXED: bool = false;
#include <quad-lanes>

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

@compute @workgroup_size(QUAD_LANES, ITEMS_PER_GROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = (wid.x + wid.y * nwg.x) * ITEMS_PER_GROUP + lid.y;
  let c4 = params.channels4;
  let rows = levels.tower_rows;
  if (p >= levels.towers * rows) { return; }
  var j = p;
  if (!FIXED) { j = lists[params.map + p]; }
  let t = p / rows;
  let a0 = (t * levels.count + locate_row(p - t * rows).level) * 3u * c4;
  var g = 1.0;
  if (!FIXED) { g = gate[p]; }
  for (var c = lid.x; c < c4; c += QUAD_LANES) {
    var n = vec4<f32>(0.0);
    if (j != NONE) {
      let a = a0 + c;
      n = (o[j * c4 + c] - affine[a]) * affine[a + c4] + affine[a + 2u * c4];
    }
    let i = p * c4 + c;
    if (FIXED) {
      y[i] = max(n + y[i], vec4<f32>(0.0));
    } else {
      y[i] = max(n * g + y[i], vec4<f32>(0.0));
    }
  }
}
