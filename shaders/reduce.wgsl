// Sum reduction: out[w] = sum of in[w*CHUNK .. (w+1)*CHUNK), CHUNK = 256 * ITEMS, for the first
// `n` elements. Each thread accumulates ITEMS strided elements, then the workgroup folds its 256
// partial sums in workgroup memory (tree reduction). Repeat on the partials until one remains.
// Dispatch: ceil(n / CHUNK) workgroups of 256, folded over x and y when above 65535.

override ITEMS: u32 = 8u;

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> scratch: array<f32, 256>;

@compute @workgroup_size(256)
fn sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
       @builtin(num_workgroups) nwg: vec3<u32>) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * 256u * ITEMS;
  // Folded dispatches can overshoot; `group` is uniform per workgroup, so this exit is too.
  if (base >= params.n) { return; }
  var acc = 0.0;
  for (var i = 0u; i < ITEMS; i++) {
    let index = base + i * 256u + lid;
    if (index < params.n) { acc += values[index]; }
  }
  scratch[lid] = acc;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[group] = scratch[0]; }
}
