// GroupNorm over NHWC f32, in three passes:
//   statistics : workgroup (s, n·G + g) reduces pixel chunk s of group g of image n to
//                (count, mean, M2) — Welford per thread, then Chan's pairwise merge in workgroup
//                memory, so large means (conv outputs) do not cancel catastrophically.
//                Dispatch: (split, N·G) workgroups of 256.
//   finalize   : one thread per (n, g) merges its `split` partials into (mean, 1/sqrt(var + eps)),
//                biased variance as PyTorch; an empty pixel set gives (0, 0), never NaN.
//                Dispatch: ceil(N·G / 64) workgroups of 64.
//   normalize  : out = (x − mean) · inv_std · gamma[c] + beta[c] (then ReLU if RELU), one thread
//                per element; `normalize_inplace` reads and writes `out`.
//                Dispatch: ceil(N·P·C / 256) workgroups of 256, folded over x and y above 65535.
// Layout: x/out [N, P, C] with P = H·W pixels per image (or P = maxRows rows, N = 1); a group is
// C / G consecutive channels. partials [N·G, split] vec4 (count, mean, M2, –); stats [N·G] vec2.
// Which pixels count (PIXELS):
//   0 DENSE : all.
//   1 MASK  : pixels whose mask[n·P + p] > 0; normalize writes 0 at the others.
//   2 ROWS  : rows p < min(count[0], P) of a compacted [maxRows, C] tensor; normalize leaves the
//             rows past the count untouched.

override PIXELS: u32 = 0u;
override RELU: bool = false;

const DENSE: u32 = 0u;
const MASK: u32 = 1u;
const ROWS: u32 = 2u;

struct Params {
  pixels: u32,          // P
  channels: u32,        // C
  groups: u32,          // G
  group_channels: u32,  // C / G
  split: u32,           // pixel chunks per (n, g)
  chunk: u32,           // pixels per chunk
  batch_groups: u32,    // N · G
  eps: f32,
  total: u32,           // N · P · C
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read> count: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats_out: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> gamma: array<f32>;
@group(0) @binding(7) var<storage, read> beta: array<f32>;
@group(0) @binding(8) var<storage, read_write> out: array<f32>;

// Pixels [0, active_limit()) may be active; ROWS mode stops at the GPU-side count.
fn active_limit() -> u32 {
  if (PIXELS == ROWS) { return min(count[0], params.pixels); }
  return params.pixels;
}

// `pixel` is the linear index n·P + p.
fn is_active(pixel: u32) -> bool {
  if (PIXELS == MASK) { return mask[pixel] > 0.0; }
  return true;
}

// (count, mean, M2) of the union of two disjoint sets (Chan et al.).
fn merge(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return vec3<f32>(0.0); }
  let delta = b.y - a.y;
  let wb = b.x / n;
  return vec3<f32>(n, a.y + delta * wb, a.z + b.z + delta * delta * a.x * wb);
}

var<workgroup> scratch: array<vec3<f32>, 256>;

@compute @workgroup_size(256)
fn statistics(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = wid.x;
  let ng = wid.y;
  let n = ng / params.groups;
  let g = ng % params.groups;
  let cg = params.group_channels;
  let first = s * params.chunk;
  let last = min(first + params.chunk, active_limit());
  let elements = select(0u, (last - first) * cg, last > first);
  let base_pixel = n * params.pixels + first;
  let channel0 = g * cg;

  var acc = vec3<f32>(0.0);  // Welford: (count, mean, M2)
  for (var e = lid; e < elements; e += 256u) {
    let pixel = base_pixel + e / cg;
    if (!is_active(pixel)) { continue; }
    let v = x[pixel * params.channels + channel0 + e % cg];
    acc.x += 1.0;
    let delta = v - acc.y;
    acc.y += delta / acc.x;
    acc.z += delta * (v - acc.y);
  }
  scratch[lid] = acc;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { scratch[lid] = merge(scratch[lid], scratch[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let r = scratch[0];
    partials[ng * params.split + s] = vec4<f32>(r, 0.0);
  }
}

@compute @workgroup_size(64)
fn finalize(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ng = gid.x;
  if (ng >= params.batch_groups) { return; }
  var acc = vec3<f32>(0.0);
  for (var s = 0u; s < params.split; s++) {
    acc = merge(acc, partials[ng * params.split + s].xyz);
  }
  if (acc.x == 0.0) {
    stats_out[ng] = vec2<f32>(0.0, 0.0);
    return;
  }
  let variance = max(acc.z / acc.x, 0.0);
  stats_out[ng] = vec2<f32>(acc.y, inverseSqrt(variance + params.eps));
}

fn element_index(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

// Normalised value of element i holding v, or none (ROWS past the count: leave it alone).
struct Normalised {
  write: bool,
  value: f32,
};

fn normalise(i: u32, v: f32) -> Normalised {
  let c = i % params.channels;
  let pixel = i / params.channels;
  if (PIXELS == ROWS && pixel >= active_limit()) { return Normalised(false, 0.0); }
  if (!is_active(pixel)) { return Normalised(true, 0.0); }
  let n = pixel / params.pixels;
  let st = stats[n * params.groups + c / params.group_channels];
  var y = (v - st.x) * st.y * gamma[c] + beta[c];
  if (RELU) { y = max(y, 0.0); }
  return Normalised(true, y);
}

@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = element_index(wid, lid, nwg);
  if (i >= params.total) { return; }
  let r = normalise(i, x[i]);
  if (r.write) { out[i] = r.value; }
}

@compute @workgroup_size(256)
fn normalize_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = element_index(wid, lid, nwg);
  if (i >= params.total) { return; }
  let r = normalise(i, out[i]);
  if (r.write) { out[i] = r.value; }
}
