// Element-wise ops on flat f32 tensors (NHWC, so a pixel's C channels are contiguous).
//   add      : out[i] = a[i] + b[i]                 (optionally ReLU)
//   scale    : out[i] = a[i] * s                    (s from `params.scalar` or scalar_buf[0])
//   mul_gate : out[i] = a[i] * gate[i / C]          (per-pixel gate map, 1 channel)
//   relu     : out[i] = max(a[i], 0)
//   axpby_inplace             : out[i] = out[i] · sa[0] + b[i] · sb[0]   (learned scalars on the GPU)
//   gate_residual_relu_inplace: out[i] = max(out[i] · gate[i / C] + b[i], 0)
// `scale` with SCALAR_FROM_BUFFER multiplies by b[0] · params.scalar (e.g. a learned scale times
// a constant stride).
// The `*_inplace` entry points read and write `out` (binding 3) instead of reading `a`, since a
// buffer may not be bound both read-only and read-write in one dispatch.
// Dispatch: ceil(n / 256) workgroups of 256, folded over x and y when above 65535.

override RELU: bool = false;
override SCALAR_FROM_BUFFER: bool = false;

struct Params {
  n: u32,         // number of elements
  channels: u32,  // C, for mul_gate
  scalar: f32,    // s, for scale when not read from a buffer
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read> d: array<f32>;

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
fn scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  var s = params.scalar;
  if (SCALAR_FROM_BUFFER) { s = b[0] * params.scalar; }
  out[i] = finish(a[i] * s);
}

@compute @workgroup_size(256)
fn mul_gate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = finish(a[i] * b[i / params.channels]);
}

@compute @workgroup_size(256)
fn add_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = finish(out[i] + b[i]);
}

@compute @workgroup_size(256)
fn scale_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  var s = params.scalar;
  if (SCALAR_FROM_BUFFER) { s = b[0] * params.scalar; }
  out[i] = finish(out[i] * s);
}

@compute @workgroup_size(256)
fn mul_gate_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = finish(out[i] * b[i / params.channels]);
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

@compute @workgroup_size(256)
fn axpby_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = finish(out[i] * c[0] + b[i] * d[0]);
}

@compute @workgroup_size(256)
fn gate_residual_relu_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                              @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index_of(wid, lid, nwg);
  if (i >= params.n) { return; }
  out[i] = max(out[i] * c[i / params.channels] + b[i], 0.0);
}
