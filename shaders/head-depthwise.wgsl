// The scale paths' depthwise 3×3 convs (groups = C, pad 1 at each row's own level, with bias)
// over the packed head, both paths and every tower in one dispatch (spec §4.2, DynamicScale):
//   d[s][t][q][c] = bias[t][s][c] + Σ_tap x[t][neighbour(q, tap)][c] · w[t][s][tap][c]
// Path s only runs on its consumed source rows [lo_s, hi_s) of a tower (path 0 carries every
// level but the last down to its coarser neighbour, path 1 every level but the first up), so
// the output keeps just those rows: path s, tower t, tower row q is output row
//   base_s + t·(hi_s − lo_s) + (q − lo_s),   base_0 = 0, base_1 = T·(hi_0 − lo_0).
// Layout: x [T_in][R][C] (in_tower_stride = 0 when the towers share one input); weights
// [T][2][9][C] tap-major; bias [T][2][C]; out [rows][C]; C % 4 == 0, read as vec4 quads.
// Workgroup: LANES quad lanes × (256 / LANES) rows; each lane strides over the row's quads.
// Dispatch: ceil(rows / (256 / LANES)) workgroups, folded over x and y (workgroups1D).

override LANES: u32 = 64u;
override ROWS_PER_GROUP: u32 = 256u / LANES;

struct Params {
  channels4: u32,
  in_tower_stride: u32,
  total_rows: u32,
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

@compute @workgroup_size(LANES, ROWS_PER_GROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = (wid.x + wid.y * nwg.x) * ROWS_PER_GROUP + lid.y;
  if (r >= params.total_rows) { return; }
  let span0 = params.hi.x - params.lo.x;
  let span1 = params.hi.y - params.lo.y;
  let first1 = levels.towers * span0;
  var s = 0u;
  var local = r;
  var span = span0;
  if (r >= first1) {
    s = 1u;
    local = r - first1;
    span = span1;
  }
  let t = local / span;
  let q = params.lo[s] + local - t * span;
  let pos = locate_row(q);
  let c4 = params.channels4;
  var taps: array<i32, 9>;
  for (var k = 0; k < 9; k++) {
    let nb = neighbour_row(pos, k / 3 - 1, k % 3 - 1);
    taps[k] = select(-1, i32((t * params.in_tower_stride + u32(max(nb, 0))) * c4), nb >= 0);
  }
  let path_set = t * 2u + s;
  for (var c = lid.x; c < c4; c += LANES) {
    var acc = bias[path_set * c4 + c];
    for (var k = 0u; k < 9u; k++) {
      let src = taps[k];
      if (src >= 0) { acc += x[u32(src) + c] * weights[(path_set * 9u + k) * c4 + c]; }
    }
    out[r * c4 + c] = acc;
  }
}
