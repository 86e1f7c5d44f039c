// Spatial gates of the packed head (spec §4.1): for every row of every tower, G gates at once
// (the two scale paths' gates, or the depth gate), each a 3×3 conv (pad 1 at the row's own level,
// bias) from C channels to 1, fused with its activation:
//   logit = bias[t][g] + Σ_{tap, c} x[t][neighbour(q, tap)][c] · w[t][g][tap][c]
//   ACT 0 GeReTanH: g = max(0, (tanh(logit − τ) + tanh τ) / (1 + tanh τ)), exactly 0 for logit ≤ 0
//   ACT 1 ReTanH:   g = max(0, tanh logit)
//   ACT 2 Sigmoid:  g = 1 / (1 + exp(−logit))
// Gate g is computed only at the levels whose bit is set in consumed[g] (a scale path's source
// levels that feed a neighbour); elsewhere gate and logit are written as 0.
// Layout: x [T_in][R][C] (C % 4 == 0, read as vec4; the towers share one input when
// in_tower_stride = 0); weights [T][G][9][C] tap-major; bias [T][G]; gate / logits [G][T][R].
// One thread per (tower, row), no barrier (a CPU adapter pays dearly for barriers, a GPU reads a
// pixel's 3×3 neighbourhood from cache either way).
// Dispatch: ceil(T·R / 256) workgroups of 256, folded over x and y (workgroups1D).

override ACT: u32 = 0u;
override HAS_LOGITS: bool = false;

struct Params {
  channels4: u32,        // C / 4
  gates: u32,            // G ≤ 4
  in_tower_stride: u32,  // rows from one tower's input to the next (0: shared input)
  tau: f32,
  consumed: vec4<u32>,   // consumed[g]: bit l set = gate g is computed at level l
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> levels: PackedLevels;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> gate: array<f32>;
@group(0) @binding(6) var<storage, read_write> logits: array<f32>;

#include <packed-levels>
#include <gate-activation>

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let rows = levels.tower_rows;
  if (i >= levels.towers * rows) { return; }
  let t = i / rows;
  let q = i - t * rows;
  let pos = locate_row(q);
  let c4 = params.channels4;
  let in_base = t * params.in_tower_stride;
  var sums = vec4<f32>(0.0);
  for (var tap = 0u; tap < 9u; tap++) {
    let nb = neighbour_row(pos, i32(tap / 3u) - 1, i32(tap % 3u) - 1);
    if (nb < 0) { continue; }
    let xrow = (in_base + u32(nb)) * c4;
    for (var g = 0u; g < params.gates; g++) {
      if ((params.consumed[g] & (1u << pos.level)) == 0u) { continue; }
      let wrow = ((t * params.gates + g) * 9u + tap) * c4;
      for (var c = 0u; c < c4; c++) { sums[g] += dot(x[xrow + c], wt[wrow + c]); }
    }
  }
  for (var g = 0u; g < params.gates; g++) {
    let out = (g * levels.towers + t) * rows + q;
    var value = 0.0;
    var logit = 0.0;
    if ((params.consumed[g] & (1u << pos.level)) != 0u) {
      logit = sums[g] + bias[t * params.gates + g];
      value = activate(logit, params.tau);
    }
    gate[out] = value;
    if (HAS_LOGITS) { logits[out] = logit; }
  }
}
