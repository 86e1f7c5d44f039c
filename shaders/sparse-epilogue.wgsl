// The epilogue of the sparse head's conv blocks: GroupNorm's normalise + affine (+ ReLU, gate,
// residual) written to every pixel of a dense NHWC output in one pass, reading the conv result
// either from compact rows (sparse path) or from a dense map (dense path / fallback).
// Its per-channel input, affine[c] = (mean, inv_std·gamma, beta) with affine[C].x = 1 when the
// conv values sit in compact rows (the sparse path ran) and 0 when at their pixels, is written
// by the GroupNorm statistics' finalize_fold (masked-group-stats.wgsl) of whichever path ran.
//   apply : one thread per output element (p, c), P = pixels of one image:
//             n   = normalised conv value at p: (v − mean)·s + beta, v = conv[index_map[p], c]
//                   (sparse) or conv[p, c] (dense); only where mask[p] > 0, else n = 0
//             EPILOGUE 0 AFFINE        : out = n
//             EPILOGUE 1 RELU          : out = max(n, 0)
//             EPILOGUE 2 GATED         : out = n · gate[p]            (scale path: GN · gate)
//             EPILOGUE 3 GATED_RESIDUAL: out = max(n · gate[p] + residual[p, c], 0)
//           Inactive pixels get 0 (AFFINE / RELU / GATED) or max(residual, 0), so the output
//           needs no separate zeroing. DENSE_ONLY skips the mask: every pixel is active.
//   apply_vec4 : the same for 4 consecutive channels per thread (C % 4 == 0).
// Layout: conv [P, C] (compact rows or NHWC, the same size); stats [G] vec2 (mean, inv_std);
// affine [C + 1] vec4; mask/gate f32 [P]; index_map u32 [P]; residual/out [P, C].
// Dispatch: apply ceil(P·C / 256) (apply_vec4: ceil(P·C / 1024)) of 256, folded over x and y.

override EPILOGUE: u32 = 0u;
override DENSE_ONLY: bool = false;

const AFFINE: u32 = 0u;
const RELU: u32 = 1u;
const GATED: u32 = 2u;
const GATED_RESIDUAL: u32 = 3u;

struct Params {
  pixels: u32,
  channels: u32,
  _pad: u32,
  total: u32,  // P · C
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> affine: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> conv: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read> index_map: array<u32>;
@group(0) @binding(5) var<storage, read> gate: array<f32>;
@group(0) @binding(6) var<storage, read> residual: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
// apply_vec4: the same buffers seen as channel quads
@group(0) @binding(2) var<storage, read> conv4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> residual4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= params.total) { return; }
  let c = i % params.channels;
  let p = i / params.channels;
  var n = 0.0;
  if (DENSE_ONLY || mask[p] > 0.0) {
    var row = p;
    if (!DENSE_ONLY && affine[params.channels].x > 0.5) { row = index_map[p]; }
    let a = affine[c];
    n = (conv[row * params.channels + c] - a.x) * a.y + a.z;
  }
  var v = n;
  if (EPILOGUE == RELU) { v = max(n, 0.0); }
  if (EPILOGUE == GATED) { v = n * gate[p]; }
  if (EPILOGUE == GATED_RESIDUAL) { v = max(n * gate[p] + residual[i], 0.0); }
  out[i] = v;
}

@compute @workgroup_size(256)
fn apply_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let quads = params.channels / 4u;
  if (i >= params.total / 4u) { return; }
  let q = i % quads;
  let p = i / quads;
  var n = vec4<f32>(0.0);
  if (DENSE_ONLY || mask[p] > 0.0) {
    var row = p;
    if (!DENSE_ONLY && affine[params.channels].x > 0.5) { row = index_map[p]; }
    let a0 = affine[q * 4u];
    let a1 = affine[q * 4u + 1u];
    let a2 = affine[q * 4u + 2u];
    let a3 = affine[q * 4u + 3u];
    let mean = vec4<f32>(a0.x, a1.x, a2.x, a3.x);
    let scale = vec4<f32>(a0.y, a1.y, a2.y, a3.y);
    let shift = vec4<f32>(a0.z, a1.z, a2.z, a3.z);
    n = (conv4[row * quads + q] - mean) * scale + shift;
  }
  var v = n;
  if (EPILOGUE == RELU) { v = max(n, vec4<f32>(0.0)); }
  if (EPILOGUE == GATED) { v = n * gate[p]; }
  if (EPILOGUE == GATED_RESIDUAL) { v = max(n * gate[p] + residual4[i], vec4<f32>(0.0)); }
  out4[i] = v;
}
