// Dense 2-D convolution as an implicit GEMM, NHWC f32, with a fused epilogue:
//   out[row, co] = relu?( Σ_k A[row, k] · W[k, co] + bias[co] + residual[row, co] )
// GEMM view: M = output pixels, N = Cout, K = KH·KW·Cin. Row `row` of A is the im2col patch of
// one output pixel, k = (ky·KW + kx)·Cin + ci; it is gathered straight from the NHWC input by the
// A-tile loader (zero outside the image), never materialised.
//
// Weight layout: [KH·KW·Cin, Cout] row-major (packConvWeights converts PyTorch OIHW). k runs in
// the same order as the NHWC gather, and a B tile row (fixed k, 64 consecutive Cout) is one
// contiguous, vec4-loadable run of memory.
//
// Row mapping (override MODE), so the sparse head reuses this kernel on active pixels only:
//   0 DENSE          row r is output pixel r (M = N·OH·OW); out is NHWC [N, OH, OW, Cout].
//   1 INDEXED_SCATTER row r < count[0] is pixel rows[r]; writes that pixel of the NHWC output
//                    (other pixels untouched). residual is indexed by pixel too.
//   2 INDEXED_COMPACT row r < count[0] is pixel rows[r]; writes row r of a [count, Cout] output.
//                    residual is indexed by row too.
// In the INDEXED modes a whole tile past count[0] returns at once, so an over-sized dispatch is
// cheap and an indirect dispatch sized from count[0] is exact.
//
// Tiling: a workgroup of 16×(TILE_M / 4) threads computes a TILE_M×64 tile of the output (TILE_M
// = 64, or 32 for the sparse path so that a partly filled last tile wastes at most 31 rows),
// 4×4 per thread, with K walked in slices of 16 staged in workgroup memory as vec4 (A k-major,
// 4 rows per vec4; B 4 columns per vec4), so the inner step is two vec4 loads for 16 FMAs. VEC4_A (Cin % 4 == 0)
// loads 4 channels of one pixel at once, VEC4_B (Cout % 4 == 0) 4 output channels at once; the
// scalar paths handle any channel count (the stem has Cin = 3).
// Dispatch: (ceil(Cout / 64), ceil(M / TILE_M), 1), or indirect with the same layout.

override MODE: u32 = 0u;
override VEC4_A: bool = false;
override VEC4_B: bool = false;
// KH = KW = 1, stride 1, pad 0: the patch is the pixel itself, so skip the gather arithmetic.
override POINTWISE: bool = false;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override RELU: bool = false;
// Output rows per workgroup: 64 or 32 (a multiple of 16 that divides 64).
override TILE_M: u32 = 64u;

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  cin: u32,
  out_h: u32,
  out_w: u32,
  cout: u32,
  k: u32,       // KH·KW·Cin
  kw: u32,
  stride: u32,
  pad_y: u32,
  pad_x: u32,
  m: u32,       // DENSE: N·OH·OW; INDEXED: ignored (count[0] rules)
};

const TILE_N = 64u;
const TILE_K = 16u;
// Threads per workgroup and vec4 row quads per A-tile k row (derived; never set by the host).
override THREADS: u32 = TILE_M * 4u;
override ROW_QUADS: u32 = TILE_M / 4u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read> rows: array<u32>;
@group(0) @binding(6) var<storage, read> count: array<u32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

var<workgroup> tile_a: array<vec4<f32>, TILE_K * ROW_QUADS>; // [TILE_K][TILE_M / 4]: rows 4q..4q+3 at one k
var<workgroup> tile_b: array<vec4<f32>, 256>;                  // [TILE_K][TILE_N / 4]: columns 4q..4q+3 at one k
var<workgroup> active_rows: u32;

fn x_at(i: u32) -> f32 { return x[i >> 2u][i & 3u]; }
fn w_at(i: u32) -> f32 { return w[i >> 2u][i & 3u]; }

// Where the im2col row of one GEMM row starts: flat offset of its image, top-left input corner.
struct Patch {
  base: u32,
  iy0: i32,
  ix0: i32,
  valid: bool,
};

fn pixel_of(r: u32, m: u32) -> u32 {
  if (MODE == 0u) { return r; }
  return rows[min(r, m - 1u)];
}

fn patch_of(r: u32, m: u32) -> Patch {
  var p: Patch;
  p.valid = r < m;
  let pixel = select(0u, pixel_of(r, m), p.valid);
  let plane = params.out_h * params.out_w;
  let n = pixel / plane;
  let rem = pixel - n * plane;
  let oy = rem / params.out_w;
  let ox = rem - oy * params.out_w;
  p.base = n * params.in_h * params.in_w * params.cin;
  p.iy0 = i32(oy * params.stride) - i32(params.pad_y);
  p.ix0 = i32(ox * params.stride) - i32(params.pad_x);
  if (POINTWISE) { p.base = pixel * params.cin; }
  return p;
}

// Flat input offset of patch element (ky, kx, ci), or -1 where it falls in the zero padding.
fn gather_offset(p: Patch, ky: u32, kx: u32, ci: u32) -> i32 {
  if (POINTWISE) { return i32(p.base + ci); }
  let iy = p.iy0 + i32(ky);
  let ix = p.ix0 + i32(kx);
  if (iy < 0 || ix < 0 || iy >= i32(params.in_h) || ix >= i32(params.in_w)) { return -1; }
  return i32(p.base + (u32(iy) * params.in_w + u32(ix)) * params.cin + ci);
}

@compute @workgroup_size(16, TILE_M / 4u)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;

  var m = params.m;
  if (MODE != 0u) {
    if (tid == 0u) { active_rows = count[0]; }
    m = workgroupUniformLoad(&active_rows);
    if (row0 >= m) { return; }
  }

  // Loader roles. VEC4_A: one row per thread, 4 consecutive k. Scalar: 4 rows (TILE_M / 4
  // apart), one k.
  let a_row = select(tid / TILE_K, tid >> 2u, VEC4_A);
  let a_k = select(tid % TILE_K, (tid & 3u) * 4u, VEC4_A);
  var patches: array<Patch, 4>;
  let patch_count = select(4u, 1u, VEC4_A);
  for (var i = 0u; i < patch_count; i++) {
    patches[i] = patch_of(row0 + a_row + i * ROW_QUADS, m);
  }

  var acc: array<vec4<f32>, 4>;
  let has_rows = row0 + lid.y * 4u < m;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    // ---- A tile: im2col gather --------------------------------------------------------------
    let gk = k0 + a_k;
    var ci = gk;
    var ky = 0u;
    var kx = 0u;
    if (!POINTWISE) {
      let tap = gk / params.cin;
      ci = gk - tap * params.cin;
      ky = tap / params.kw;
      kx = tap - ky * params.kw;
    }
    if (VEC4_A) {
      // Cin % 4 == 0, so the 4 k of this load are 4 channels of one input pixel.
      var v = vec4<f32>(0.0);
      let off = gather_offset(patches[0], ky, kx, ci);
      if (patches[0].valid && gk < params.k && off >= 0) { v = x[u32(off) >> 2u]; }
      for (var j = 0u; j < 4u; j++) {
        tile_a[(a_k + j) * ROW_QUADS + (a_row >> 2u)][a_row & 3u] = v[j];
      }
    } else {
      for (var i = 0u; i < 4u; i++) {
        var v = 0.0;
        let off = gather_offset(patches[i], ky, kx, ci);
        if (patches[i].valid && gk < params.k && off >= 0) { v = x_at(u32(off)); }
        let r = a_row + i * ROW_QUADS;
        tile_a[a_k * ROW_QUADS + (r >> 2u)][r & 3u] = v;
      }
    }
    // ---- B tile: weights (256 vec4 or 1024 scalars, THREADS at a time) -----------------------
    if (VEC4_B) {
      for (var e = tid; e < 256u; e += THREADS) {
        let kb = e >> 4u;
        let q = e & 15u;
        let gkb = k0 + kb;
        let gn = col0 + q * 4u;
        var v = vec4<f32>(0.0);
        if (gkb < params.k && gn < params.cout) { v = w[(gkb * params.cout + gn) >> 2u]; }
        tile_b[kb * 16u + q] = v;
      }
    } else {
      for (var e = tid; e < 1024u; e += THREADS) {
        let kb = e >> 6u;
        let nb = e & 63u;
        let gkb = k0 + kb;
        let gn = col0 + nb;
        var v = 0.0;
        if (gkb < params.k && gn < params.cout) { v = w_at(gkb * params.cout + gn); }
        tile_b[kb * 16u + (nb >> 2u)][nb & 3u] = v;
      }
    }
    workgroupBarrier();
    // ---- 4×4 register block --------------------------------------------------------------
    // Threads whose 4 rows all lie past m skip the FMAs (no barrier inside): the last tile of
    // an indexed (sparse) dispatch then costs about its active rows, not a full TILE_M.
    if (has_rows) {
      for (var kk = 0u; kk < TILE_K; kk++) {
        let a = tile_a[kk * ROW_QUADS + lid.y];
        let b = tile_b[kk * 16u + lid.x];
        acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
        acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
        acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
        acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
      }
    }
    workgroupBarrier();
  }

  // ---- Epilogue: bias, residual, ReLU; store at the row's placement ---------------------------
  var bias4 = vec4<f32>(0.0);
  let c0 = col0 + lid.x * 4u;
  if (HAS_BIAS) {
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < params.cout) { bias4[j] = bias[c0 + j]; }
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= m) { break; }
    // DENSE and INDEXED_COMPACT write row r; INDEXED_SCATTER writes the row's pixel.
    var dst = r;
    if (MODE == 1u) { dst = rows[r]; }
    let base = dst * params.cout;
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j >= params.cout) { break; }
      var v = acc[i][j] + bias4[j];
      if (HAS_RESIDUAL) { v += residual[base + c0 + j]; }
      if (RELU) { v = max(v, 0.0); }
      out[base + c0 + j] = v;
    }
  }
}
