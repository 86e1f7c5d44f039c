// Tiled matrix multiply: C[M,N] = A[M,K] · B[K,N] (+ bias[N]) (then ReLU), row-major f32.
// Each workgroup of 16×16 threads computes a 64×64 tile of C; each thread a 4×4 register block.
// K is walked in slices of 16 staged in workgroup memory (A slice stored k-major so the inner
// loop reads contiguous rows of both tiles). Any M, N, K: loads outside the matrix read zero.
// Dispatch: (ceil(N / 64), ceil(M / 64), 1).

override RELU: bool = false;
override HAS_BIAS: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  _pad: u32,
};

const TILE_M = 64u;
const TILE_N = 64u;
const TILE_K = 16u;
const THREADS = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> tile_a: array<f32, 1024>; // [TILE_K][TILE_M]
var<workgroup> tile_b: array<f32, 1024>; // [TILE_K][TILE_N]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;

  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * THREADS;
      let m = e / TILE_K;
      let kk = e % TILE_K;
      let gm = row0 + m;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < params.m && gk < params.k) { v = a[gm * params.k + gk]; }
      tile_a[kk * TILE_M + m] = v;

      let kb = e / TILE_N;
      let nb = e % TILE_N;
      let gkb = k0 + kb;
      let gn = col0 + nb;
      var w = 0.0;
      if (gkb < params.k && gn < params.n) { w = b[gkb * params.n + gn]; }
      tile_b[kb * TILE_N + nb] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var ra: array<f32, 4>;
      var rb: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        ra[i] = tile_a[kk * TILE_M + lid.y * 4u + i];
        rb[i] = tile_b[kk * TILE_N + lid.x * 4u + i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i][j] = fma(ra[i], rb[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + lid.y * 4u + i;
    if (gm >= params.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x * 4u + j;
      if (gn >= params.n) { continue; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[gn]; }
      if (RELU) { v = max(v, 0.0); }
      c[gm * params.n + gn] = v;
    }
  }
}
