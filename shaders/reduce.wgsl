// Sum reduction: out[w] = sum of in[w*CHUNK .. (w+1)*CHUNK), CHUNK = 64 * ITEMS, for the first
// `n` elements; with POSITIVE, the number of those elements that are > 0 instead (a gate map's
// active pixels, counted without materialising its mask). Each of the 64 threads accumulates
// ITEMS strided elements; the workgroup then folds its 64 partial sums in two short serial
// steps (4 threads × 16, then one thread × 4): 2 barriers, where a tree over 256 threads takes
// 9 (barriers dominate on software adapters). Repeat on the partials until one remains.
// Dispatch: ceil(n / CHUNK) workgroups of 64, folded over x and y when above 65535.

override ITEMS: u32 = 32u;
override POSITIVE: bool = false;

const THREADS: u32 = 64u;

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> scratch: array<f32, 64>;
var<workgroup> quarters: array<f32, 4>;

@compute @workgroup_size(64)
fn sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
       @builtin(num_workgroups) nwg: vec3<u32>) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * THREADS * ITEMS;
  // Folded dispatches can overshoot; `group` is uniform per workgroup, so this exit is too.
  if (base >= params.n) { return; }
  var acc = 0.0;
  for (var i = 0u; i < ITEMS; i++) {
    let index = base + i * THREADS + lid;
    if (index < params.n) {
      let v = values[index];
      acc += select(v, select(0.0, 1.0, v > 0.0), POSITIVE);
    }
  }
  scratch[lid] = acc;
  workgroupBarrier();
  if (lid < 4u) {
    var s = 0.0;
    for (var j = 0u; j < 16u; j++) { s += scratch[lid * 16u + j]; }
    quarters[lid] = s;
  }
  workgroupBarrier();
  if (lid == 0u) { partials[group] = (quarters[0] + quarters[1]) + (quarters[2] + quarters[3]); }
}
