// GroupNorm statistics over a subset of pixels, for the sparse head's masked GroupNorm:
//   ROWS mode: the first count[0] rows of a compact [maxRows, C] tensor (active pixels gathered);
//   MASK mode: the pixels p < P of a dense [P, C] tensor (one image) with mask[p] > 0;
//   ALL mode : every pixel p < P (plain GroupNorm statistics, e.g. the dense scale path).
// Two dispatches, no workgroup barriers (barrier-heavy tree reductions are slow on software
// adapters, and a sparse set is small):
//   partial  : thread (group g, chunk k) runs Welford over rows [k·R, (k+1)·R) ∩ active and the
//              group's C/G channels → partials[k·G + g] = (n, mean, M2).
//              Dispatch (ceil(G / 64), chunks, 1) of 64 threads; chunks = ceil(count / R) in ROWS
//              mode (indirect, from count), ceil(P / R) in MASK and ALL modes.
//   finalize : thread g merges its chunks in index order (Chan et al.) → stats[g] =
//              (mean, 1/sqrt(var + eps)), biased variance as PyTorch; an empty set gives (0, 0).
//              Dispatch (ceil(G / 64), 1, 1) of 64. `finalize_fold` also folds gamma and beta
//              in (see `affine` below), saving the normalise pass a dispatch of its own.
// The merge order is fixed, so results do not depend on scheduling.

override MODE: u32 = 0u;

const ROWS: u32 = 0u;
const MASK: u32 = 1u;

struct Params {
  pixels: u32,          // P (ROWS: maxRows)
  channels: u32,        // C
  groups: u32,          // G
  group_channels: u32,  // C / G
  chunk_rows: u32,      // R
  eps: f32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read> count: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;
// finalize_fold only: GroupNorm's affine folded in, the per-channel input of the normalise pass
// (sparse-epilogue.wgsl `apply`): affine[c] = (mean, inv_std · gamma[c], beta[c], 0) and
// affine[C].x = 1 when the values sit in compact rows (ROWS mode), else 0.
@group(0) @binding(6) var<storage, read> gamma: array<f32>;
@group(0) @binding(7) var<storage, read> beta: array<f32>;
@group(0) @binding(8) var<storage, read_write> affine: array<vec4<f32>>;

// Rows [0, limit) may hold active pixels.
fn row_limit() -> u32 {
  if (MODE != ROWS) { return params.pixels; }
  return min(count[0], params.pixels);
}

fn merge(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return vec3<f32>(0.0); }
  let delta = b.y - a.y;
  let wb = b.x / n;
  return vec3<f32>(n, a.y + delta * wb, a.z + b.z + delta * delta * a.x * wb);
}

@compute @workgroup_size(64)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x * 64u + lid;
  let k = wid.y;
  let limit = row_limit();
  let first = k * params.chunk_rows;
  if (g >= params.groups || first >= limit) { return; }
  let last = min(first + params.chunk_rows, limit);
  let c0 = g * params.group_channels;
  var acc = vec3<f32>(0.0);
  for (var r = first; r < last; r++) {
    if (MODE == MASK && !(mask[r] > 0.0)) { continue; }
    let base = r * params.channels + c0;
    for (var j = 0u; j < params.group_channels; j++) {
      let v = x[base + j];
      acc.x += 1.0;
      let delta = v - acc.y;
      acc.y += delta / acc.x;
      acc.z += delta * (v - acc.y);
    }
  }
  partials[k * params.groups + g] = vec4<f32>(acc, 0.0);
}

// (mean, 1/sqrt(var + eps)) of group g from its chunks, merged in index order; (0, 0) if empty.
fn group_stats(g: u32) -> vec2<f32> {
  let chunks = (row_limit() + params.chunk_rows - 1u) / params.chunk_rows;
  var acc = vec3<f32>(0.0);
  for (var k = 0u; k < chunks; k++) {
    acc = merge(acc, partials[k * params.groups + g].xyz);
  }
  if (acc.x == 0.0) { return vec2<f32>(0.0, 0.0); }
  return vec2<f32>(acc.y, inverseSqrt(max(acc.z / acc.x, 0.0) + params.eps));
}

@compute @workgroup_size(64)
fn finalize(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.x;
  if (g >= params.groups) { return; }
  stats[g] = group_stats(g);
}

@compute @workgroup_size(64)
fn finalize_fold(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.x;
  if (g >= params.groups) { return; }
  let st = group_stats(g);
  stats[g] = st;
  for (var j = 0u; j < params.group_channels; j++) {
    let c = g * params.group_channels + j;
    affine[c] = vec4<f32>(st.x, st.y * gamma[c], beta[c], 0.0);
  }
  // Which layout the normalise pass reads the values in: compact rows (ROWS) or pixels.
  if (g == 0u) { affine[params.channels] = vec4<f32>(select(0.0, 1.0, MODE == ROWS), 0.0, 0.0, 0.0); }
}
