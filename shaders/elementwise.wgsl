// Element-wise ops on flat f32 tensors (NHWC, so a pixel's C channels are contiguous).
//   add  : out[i] = a[i] + b[i]   (optionally ReLU; the runtime tests' probe kernel)
//   relu : out[i] = max(a[i], 0)   (the FPN's ReLU(P6) before P7)
// The `*_inplace` entry points read and write `out` (binding 3) instead of reading `a`, since a
// buffer may not be bound both read-only and read-write in one dispatch.
// Dispatch: ceil(n / 256) workgroups of 256, folded over x and y when above 65535.

override RELU: bool = false;

struct Params {
  n: u32,         // number of elements
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn index_of(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

fn finish(v: f32) -> f32 {
  if (RELU) { return max(v, 0.0); }
  return v;
}

@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
       @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = finish(a[i] + b[i]);
}

@compute @workgroup_size(256)
fn add_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = finish(out[i] + b[i]);
}

@compute @workgroup_size(256)
fn relu_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = max(out[i], 0.0);
}

@compute @workgroup_size(256)
fn relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = max(a[i], 0.0);
}

