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
// One thread per tower and block of 4 consecutive pixels of one image row of one level (no
// barrier: a CPU adapter pays dearly for barriers): each weight it reads serves the block's 4
// pixels, each input value all G gates and up to 3 taps (the 3 × 6 pixels under the block's
// windows are read once per channel quad, not 36), and the block is located once. Per pixel and
// gate the sum runs over kernel rows, then channel quads, then the row's 3 taps (a tap outside
// the level adds 0). The channel loop does not branch: the 6 input offsets and masks are found
// before it and the loads are select()ed (a CPU adapter runs both sides of a branch that lanes
// disagree on; that made the loads half the cost).
// Dispatch: ceil(T · Σ_l H_l·ceil(W_l / 4) / 64) workgroups of 64, folded over x and y
// (workgroups1D).

override ACT: u32 = 0u;
override HAS_LOGITS: bool = false;
// G, the gates per row (1 … 4).
override GATES: u32 = 1u;
const BLOCK = 4u;

struct Params {
  channels4: u32,        // C / 4
  gates: u32,            // G (= GATES)
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
#include <pixel-blocks>
#include <gate-activation>


fn dots(a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>, w: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(a, w), dot(b, w), dot(c, w), dot(d, w));
}

// One channel quad of one kernel row (taps kx = 0, 1, 2 at weight quads k, k + c4, k + 2·c4) for
// the block's 4 pixels, from the 6 columns under them.
fn taps3(v: ColumnQuads, k: u32) -> vec4<f32> {
  let c4 = params.channels4;
  return dots(v.v0, v.v1, v.v2, v.v3, wt[k]) + dots(v.v1, v.v2, v.v3, v.v4, wt[k + c4]) + dots(v.v2, v.v3, v.v4, v.v5, wt[k + 2u * c4]);
}

// Gate g's activation (and logit) for the block's pixels inside the level.
fn store(g: u32, t: u32, q0: u32, n: u32, on: bool, sums: vec4<f32>) {
  let base = (g * levels.towers + t) * levels.tower_rows + q0;
  let b = bias[t * GATES + g];
  for (var i = 0u; i < n; i++) {
    var value = 0.0;
    var logit = 0.0;
    if (on) {
      logit = sums[i] + b;
      value = activate(logit, params.tau);
    }
    gate[base + i] = value;
    if (HAS_LOGITS) { logits[base + i] = logit; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = (wid.x + wid.y * nwg.x) * 64u + lid;
  var per = 0u;
  for (var l = 0u; l < levels.count; l++) { per += level_blocks(l); }
  if (b >= levels.towers * per) { return; }
  let t = b / per;
  let block = locate_block(b - t * per, 0u, levels.count);
  let l = block.level;
  let w = block.w;
  let h = block.h;
  let y = block.y;
  let x0 = block.x0;
  let first = level_offset(l);
  let c4 = params.channels4;
  let in_level = t * params.in_tower_stride + first;
  let bit = 1u << l;
  let on = vec4<bool>((params.consumed.x & bit) != 0u, (params.consumed.y & bit) != 0u,
                      (params.consumed.z & bit) != 0u, (params.consumed.w & bit) != 0u);
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
  // The 6 columns under the block's windows serve all three taps of a kernel row.
  let cols = block_columns(x0, w, c4);
  for (var ky = 0u; ky < 3u; ky++) {
    let yy = i32(y) + i32(ky) - 1;
    if (yy < 0 || yy >= i32(h)) { continue; }
    let row = (in_level + u32(yy) * w) * c4;
    let wrow = (t * GATES * 9u + ky * 3u) * c4;   // gate g adds g·9·c4, tap kx adds kx·c4
    for (var c = 0u; c < c4; c++) {
      let v = column_quads(cols, row + c);
      if (on.x) { s0 += taps3(v, wrow + c); }
      if (GATES > 1u && on.y) { s1 += taps3(v, wrow + 9u * c4 + c); }
      if (GATES > 2u && on.z) { s2 += taps3(v, wrow + 18u * c4 + c); }
      if (GATES > 3u && on.w) { s3 += taps3(v, wrow + 27u * c4 + c); }
    }
  }
  let q0 = first + y * w + x0;
  let n = min(BLOCK, w - x0);
  store(0u, t, q0, n, on.x, s0);
  if (GATES > 1u) { store(1u, t, q0, n, on.y, s1); }
  if (GATES > 2u) { store(2u, t, q0, n, on.z, s2); }
  if (GATES > 3u) { store(3u, t, q0, n, on.w, s3); }
}
