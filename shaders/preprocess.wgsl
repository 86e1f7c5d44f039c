// Image pre-processing (spec §1): RGBA8 image [inH, inW] → normalised, padded NHWC f32
// [1, outH, outW, 3]:
//   1. bilinear resize to [resizedH, resizedW], PyTorch F.interpolate(align_corners=False,
//      antialias=False) on float pixel values: src = max((dst + 0.5) · in/out − 0.5, 0),
//      i0 = floor(src), i1 = min(i0 + 1, in − 1), λ = src − i0; value =
//      ((1−λx)·I[y0,x0] + λx·I[y0,x1])·(1−λy) + ((1−λx)·I[y1,x0] + λx·I[y1,x1])·λy.
//      With in == out this is exactly the identity (src = dst, λ = 0), as PyTorch skipping the
//      resize would give.
//   2. channel c takes byte `channel_byte[c]` of the pixel (2, 1, 0 for BGR from RGBA);
//   3. (v − mean[c]) / std[c];
//   4. zeros outside the resized area (padding bottom/right to the size divisibility).
// Pixels are u32 words of the RGBA bytes as `ImageData` stores them (little-endian: R in bits
// 0–7). The scales are f32 from the host, as PyTorch computes them in float.
// Dispatch: ceil(outH · outW / 256) workgroups of 256 (one thread per output pixel), folded over
// x and y above 65535.

struct Params {
  out_height: u32,      // padded
  out_width: u32,
  resized_height: u32,
  resized_width: u32,
  in_height: u32,
  in_width: u32,
  scale_y: f32,         // in_height / resized_height
  scale_x: f32,
  channel_byte0: u32,
  channel_byte1: u32,
  channel_byte2: u32,
  _pad0: u32,
  mean0: f32,
  mean1: f32,
  mean2: f32,
  _pad1: f32,
  std0: f32,
  std1: f32,
  std2: f32,
  _pad2: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// One axis of the resize: (i0, i1) and weights (w0, w1), as PyTorch's compute_indices_weights_linear.
struct Taps {
  i0: u32,
  i1: u32,
  w0: f32,
  w1: f32,
};

fn taps(dst: u32, scale: f32, in_size: u32) -> Taps {
  let src = max(scale * (f32(dst) + 0.5) - 0.5, 0.0);
  let i0 = min(u32(src), in_size - 1u);
  let frac = clamp(src - f32(i0), 0.0, 1.0);
  return Taps(i0, min(i0 + 1u, in_size - 1u), 1.0 - frac, frac);
}

// The three float channels of input pixel (y, x), in output channel order.
fn pixel(y: u32, x: u32) -> vec3<f32> {
  let p = pixels[y * params.in_width + x];
  return vec3<f32>(
    f32((p >> (8u * params.channel_byte0)) & 255u),
    f32((p >> (8u * params.channel_byte1)) & 255u),
    f32((p >> (8u * params.channel_byte2)) & 255u),
  );
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= params.out_height * params.out_width) { return; }
  let y = i / params.out_width;
  let x = i % params.out_width;
  var v = vec3<f32>(0.0);
  if (y < params.resized_height && x < params.resized_width) {
    let ty = taps(y, params.scale_y, params.in_height);
    let tx = taps(x, params.scale_x, params.in_width);
    let top = pixel(ty.i0, tx.i0) * tx.w0 + pixel(ty.i0, tx.i1) * tx.w1;
    let bottom = pixel(ty.i1, tx.i0) * tx.w0 + pixel(ty.i1, tx.i1) * tx.w1;
    let value = top * ty.w0 + bottom * ty.w1;
    let mean = vec3<f32>(params.mean0, params.mean1, params.mean2);
    let deviation = vec3<f32>(params.std0, params.std1, params.std2);
    v = (value - mean) / deviation;
  }
  out[i * 3u] = v.x;
  out[i * 3u + 1u] = v.y;
  out[i * 3u + 2u] = v.z;
}
