// Max-pool 3×3, padding 1 (padding acts as −inf), stride `params.stride` (2 for the ResNet stem,
// 1 for dilating the dynamic head's gate mask), NHWC f32, one thread per output element:
//   out[n,oy,ox,c] = max over ky,kx ∈ {0,1,2} of in[n, oy·s + ky − 1, ox·s + kx − 1, c]
// Output size floor((H + 2 − 3) / s) + 1 (PyTorch, ceil_mode=False); every window holds at least
// one real pixel because the padding is smaller than the kernel.
// Dispatch: ceil(N·outH·outW·C / 256) workgroups of 256, folded over x and y above 65535.

struct Params {
  total: u32,  // N · outH · outW · C
  channels: u32,
  out_height: u32,
  out_width: u32,
  in_height: u32,
  in_width: u32,
  stride: u32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= params.total) { return; }
  let c = i % params.channels;
  let pixel = i / params.channels;
  let ox = pixel % params.out_width;
  let rest = pixel / params.out_width;
  let oy = rest % params.out_height;
  let n = rest / params.out_height;
  // Clip the window to the image instead of testing each tap against the padding.
  let cy = oy * params.stride;
  let cx = ox * params.stride;
  let y_first = select(cy - 1u, 0u, cy == 0u);
  let x_first = select(cx - 1u, 0u, cx == 0u);
  let y_last = min(cy + 1u, params.in_height - 1u);
  let x_last = min(cx + 1u, params.in_width - 1u);
  var best = x[((n * params.in_height + cy) * params.in_width + cx) * params.channels + c];
  for (var y = y_first; y <= y_last; y++) {
    let row = (n * params.in_height + y) * params.in_width;
    for (var xx = x_first; xx <= x_last; xx++) {
      best = max(best, x[(row + xx) * params.channels + c]);
    }
  }
  out[i] = best;
}
