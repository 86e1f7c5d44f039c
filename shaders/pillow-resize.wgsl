// Image pre-processing (spec §1), bit-exact with Pillow's 8-bit BILINEAR resample
// (`Image.resize((w, h), Image.BILINEAR)`, what the official pipeline runs on the uint8 image):
//   rows_from_buffer / rows_from_texture (horizontal pass):
//       rows[r − rows_row0, x] = clip8(2^21 + Σ_t src[r, first(x) + t] · k(x, t)), for the tile's
//       source rows r and output columns x; every channel of the RGBA source, in 32-bit integers.
//   columns_normalise (vertical pass, fused with the rest of the pre-processing):
//       v[y, x] = clip8(2^21 + Σ_t rows[first(y) + t − rows_row0, x] · k(y, t)); then channel c
//       takes byte `channel_byte[c]` (2, 1, 0 for BGR), out = (v − mean[c]) / std[c]; zeros in
//       the padding (y ≥ resized_height or x ≥ resized_width).
//   copy_from_buffer / copy_from_texture: the same size in and out — no resample, only the
//       channel order, normalisation and padding.
// clip8(a) = min(a >> 22, 255). The coefficient tables `taps` come from the host
// (src/ops/pillow-coefficients.ts): [first, count] per output index, then `taps_stride` weights
// per output index from word 2·(output size) on.
// Layouts: pixels are u32 words holding RGBA bytes as ImageData stores them (R in bits 0–7); a
// buffer source holds a tile of the image `source_stride` pixels wide whose pixel (0, 0) is image
// pixel (source_row0, source_col0); a texture source is rgba8unorm with the tile at texel (0, 0)
// (unorm → byte is exact: round(v · 255)). `rows` is the intermediate image, `rows_width` wide,
// row 0 = image row `rows_row0`. `out` is NHWC f32 [1, padded_height, padded_width, 3].
// Dispatch: one thread per output element of the program's range (tile_row_count · tile_col_count
// for a horizontal pass, out_row_count · padded_width otherwise), ceil(n / 256) workgroups of 256
// folded over x and y above 65535.

struct Params {
  // horizontal pass: the tile's output columns and source rows
  tile_col_begin: u32,
  tile_col_count: u32,
  tile_row_begin: u32,
  tile_row_count: u32,
  // where the source tile sits in the image
  source_row0: u32,
  source_col0: u32,
  source_stride: u32,
  // the intermediate image
  rows_row0: u32,
  rows_width: u32,
  // weights per output index in `taps`
  taps_stride: u32,
  // vertical pass / copy: output rows [out_row_begin, out_row_begin + out_row_count)
  out_row_begin: u32,
  out_row_count: u32,
  padded_width: u32,
  resized_height: u32,
  resized_width: u32,
  _pad0: u32,
  channel_byte0: u32,
  channel_byte1: u32,
  channel_byte2: u32,
  _pad1: u32,
  mean0: f32,
  mean1: f32,
  mean2: f32,
  _pad2: f32,
  std0: f32,
  std1: f32,
  std2: f32,
  _pad3: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> taps: array<u32>;
@group(0) @binding(2) var<storage, read> source_words: array<u32>;
@group(0) @binding(3) var source_texture: texture_2d<f32>;
@group(0) @binding(4) var<storage, read_write> rows: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const PRECISION_BITS = 22u;
const ROUNDING_BIAS = 2097152u; // 1 << (PRECISION_BITS - 1)

fn thread_index(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

fn rgb(word: u32) -> vec3<u32> {
  return vec3<u32>(word & 255u, (word >> 8u) & 255u, (word >> 16u) & 255u);
}

fn texel_word(x: u32, y: u32) -> u32 {
  let v = vec4<u32>(round(textureLoad(source_texture, vec2<u32>(x, y), 0) * 255.0));
  return v.x | (v.y << 8u) | (v.z << 16u) | (v.w << 24u);
}

fn clip8(acc: vec3<u32>) -> vec3<u32> {
  return min(acc >> vec3<u32>(PRECISION_BITS), vec3<u32>(255u));
}

fn pack(v: vec3<u32>) -> u32 {
  return v.x | (v.y << 8u) | (v.z << 16u);
}

// (source row, output column) of a horizontal-pass thread; row = 0xffffffff past the tile.
fn row_thread(i: u32) -> vec2<u32> {
  if (i >= params.tile_row_count * params.tile_col_count) { return vec2<u32>(0xffffffffu, 0u); }
  return vec2<u32>(params.tile_row_begin + i / params.tile_col_count, params.tile_col_begin + i % params.tile_col_count);
}

// The normalised network input of one resampled pixel, in output channel order.
fn normalised(v: vec3<u32>) -> vec3<f32> {
  let bytes = array<u32, 3>(v.x, v.y, v.z);
  let value = vec3<f32>(f32(bytes[params.channel_byte0]), f32(bytes[params.channel_byte1]), f32(bytes[params.channel_byte2]));
  let mean = vec3<f32>(params.mean0, params.mean1, params.mean2);
  let deviation = vec3<f32>(params.std0, params.std1, params.std2);
  return (value - mean) / deviation;
}

fn store(i: u32, v: vec3<f32>) {
  out[i * 3u] = v.x;
  out[i * 3u + 1u] = v.y;
  out[i * 3u + 2u] = v.z;
}

@compute @workgroup_size(256)
fn rows_from_buffer(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = row_thread(thread_index(wid, lid, nwg));
  if (at.x == 0xffffffffu) { return; }
  let first = taps[2u * at.y];
  let count = taps[2u * at.y + 1u];
  let weights = 2u * params.rows_width + at.y * params.taps_stride;
  let line = (at.x - params.source_row0) * params.source_stride + first - params.source_col0;
  var acc = vec3<u32>(ROUNDING_BIAS);
  for (var t = 0u; t < count; t++) {
    acc += rgb(source_words[line + t]) * taps[weights + t];
  }
  rows[(at.x - params.rows_row0) * params.rows_width + at.y] = pack(clip8(acc));
}

@compute @workgroup_size(256)
fn rows_from_texture(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = row_thread(thread_index(wid, lid, nwg));
  if (at.x == 0xffffffffu) { return; }
  let first = taps[2u * at.y];
  let count = taps[2u * at.y + 1u];
  let weights = 2u * params.rows_width + at.y * params.taps_stride;
  let y = at.x - params.source_row0;
  let x0 = first - params.source_col0;
  var acc = vec3<u32>(ROUNDING_BIAS);
  for (var t = 0u; t < count; t++) {
    acc += rgb(texel_word(x0 + t, y)) * taps[weights + t];
  }
  rows[(at.x - params.rows_row0) * params.rows_width + at.y] = pack(clip8(acc));
}

@compute @workgroup_size(256)
fn columns_normalise(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(wid, lid, nwg);
  if (i >= params.out_row_count * params.padded_width) { return; }
  let y = params.out_row_begin + i / params.padded_width;
  let x = i % params.padded_width;
  var v = vec3<f32>(0.0);
  if (y < params.resized_height && x < params.resized_width) {
    let first = taps[2u * y];
    let count = taps[2u * y + 1u];
    let weights = 2u * params.resized_height + y * params.taps_stride;
    var acc = vec3<u32>(ROUNDING_BIAS);
    for (var t = 0u; t < count; t++) {
      acc += rgb(rows[(first + t - params.rows_row0) * params.rows_width + x]) * taps[weights + t];
    }
    v = normalised(clip8(acc));
  }
  store(y * params.padded_width + x, v);
}

@compute @workgroup_size(256)
fn copy_from_buffer(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(wid, lid, nwg);
  if (i >= params.out_row_count * params.padded_width) { return; }
  let y = params.out_row_begin + i / params.padded_width;
  let x = i % params.padded_width;
  var v = vec3<f32>(0.0);
  if (y < params.resized_height && x < params.resized_width) {
    v = normalised(rgb(source_words[(y - params.source_row0) * params.source_stride + x - params.source_col0]));
  }
  store(y * params.padded_width + x, v);
}

@compute @workgroup_size(256)
fn copy_from_texture(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(wid, lid, nwg);
  if (i >= params.out_row_count * params.padded_width) { return; }
  let y = params.out_row_begin + i / params.padded_width;
  let x = i % params.padded_width;
  var v = vec3<f32>(0.0);
  if (y < params.resized_height && x < params.resized_width) {
    v = normalised(rgb(texel_word(x - params.source_col0, y - params.source_row0)));
  }
  store(y * params.padded_width + x, v);
}
