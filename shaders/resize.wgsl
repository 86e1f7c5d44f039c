// Spatial resizes of NHWC f32 maps, one thread per output element:
//   bilinear            : out[n,y,x,c] = bilinear(src)[n,y,x,c], align_corners=True (PyTorch):
//                         sy = y · (inH − 1) / (outH − 1) (0 when outH = 1), likewise sx; the four
//                         neighbours are clamped at the last row/column.
//   bilinear_accumulate : out += bilinear(src) (the dynamic head's sum of resized paths).
//   nearest_up2_add     : out[n,y,x,c] = lateral[n,y,x,c] + top[n, y/2, x/2, c] (FPN top-down;
//                         top is [N, ceil(H/2), ceil(W/2), C]); `nearest_up2_add_inplace` reads
//                         the lateral from `out`.
// The scales come from the host as f32, as PyTorch computes them in float.
// Dispatch: ceil(N·outH·outW·C / 256) workgroups of 256, folded over x and y above 65535.

struct Params {
  total: u32,      // N · outH · outW · C
  channels: u32,
  out_height: u32,
  out_width: u32,
  in_height: u32,
  in_width: u32,
  scale_y: f32,    // (inH − 1) / (outH − 1), bilinear only
  scale_x: f32,
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

fn src_at(n: u32, y: u32, x: u32, c: u32) -> f32 {
  return src[((n * params.in_height + y) * params.in_width + x) * params.channels + c];
}

fn bilinear_sample(i: u32) -> f32 {
  let p = coords(i);
  let fy = f32(p.y) * params.scale_y;
  let fx = f32(p.z) * params.scale_x;
  // The scaled coordinate never exceeds in − 1 in exact arithmetic; clamp guards f32 rounding.
  let y0 = min(u32(fy), params.in_height - 1u);
  let x0 = min(u32(fx), params.in_width - 1u);
  let y1 = min(y0 + 1u, params.in_height - 1u);
  let x1 = min(x0 + 1u, params.in_width - 1u);
  let ly = fy - f32(y0);
  let lx = fx - f32(x0);
  let top = mix(src_at(p.x, y0, x0, p.w), src_at(p.x, y0, x1, p.w), lx);
  let bottom = mix(src_at(p.x, y1, x0, p.w), src_at(p.x, y1, x1, p.w), lx);
  return mix(top, bottom, ly);
}

fn top_index(i: u32) -> u32 {
  let p = coords(i);
  return ((p.x * params.in_height + p.y / 2u) * params.in_width + p.z / 2u) * params.channels + p.w;
}

@compute @workgroup_size(256)
fn bilinear(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = element_index(wid, lid, nwg);
  if (i >= params.total) { return; }
  out[i] = bilinear_sample(i);
}

@compute @workgroup_size(256)
fn bilinear_accumulate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = element_index(wid, lid, nwg);
  if (i >= params.total) { return; }
  out[i] += bilinear_sample(i);
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
