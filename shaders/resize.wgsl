// The FPN's top-down merge on NHWC f32 maps, one thread per output element:
//   nearest_up2_add     : out[n,y,x,c] = lateral[n,y,x,c] + top[n, y/2, x/2, c] (FPN top-down;
//                         top is [N, ceil(H/2), ceil(W/2), C]); `nearest_up2_add_inplace` reads
//                         the lateral from `out`.
// Dispatch: ceil(N·outH·outW·C / 256) workgroups of 256, folded over x and y above 65535.

struct Params {
  total: u32,      // N · outH · outW · C
  channels: u32,
  out_height: u32,
  out_width: u32,
  in_height: u32,
  in_width: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> lateral: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn element_index(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

// Output coordinates of element i: (n, y, x, c).
fn coords(i: u32) -> vec4<u32> {
  let c = i % params.channels;
  let pixel = i / params.channels;
  let x = pixel % params.out_width;
  let rest = pixel / params.out_width;
  return vec4<u32>(rest / params.out_height, rest % params.out_height, x, c);
}

fn top_index(i: u32) -> u32 {
  let p = coords(i);
  return ((p.x * params.in_height + p.y / 2u) * params.in_width + p.z / 2u) * params.channels + p.w;
}

@compute @workgroup_size(256)
fn nearest_up2_add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = element_index(wid, lid, nwg);
  if (i >= params.total) { return; }
  out[i] = lateral[i] + src[top_index(i)];
}

@compute @workgroup_size(256)
fn nearest_up2_add_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                           @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = element_index(wid, lid, nwg);
  if (i >= params.total) { return; }
  out[i] += src[top_index(i)];
}
