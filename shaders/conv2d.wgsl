// 2-D convolution as an implicit GEMM, f32, with a fused epilogue:
//   out[row, co] = relu?( Σ_k A[row, k] · W[k, co] + bias[co] + residual[row, co] )
// GEMM view: M = output pixels, N = Cout, K = KH·KW·Cin. Row `row` of A is the im2col patch of
// one output pixel, k = (ky·KW + kx)·Cin + ci; it is gathered straight from the input by the
// A-tile loader (zero outside the image), never materialised.
//
// Weight layout: [KH·KW·Cin, Cout] row-major (packConvWeights converts PyTorch OIHW). k runs in
// the same order as the NHWC gather, and a B tile row (fixed k, TILE_N consecutive Cout) is one
// contiguous, vec4-loadable run of memory.
//
// Two row mappings:
//   dense (PACKED = false): NHWC [N, H, W, Cin] → [N, OH, OW, Cout], any stride and padding; row
//     r is output pixel r (M = N·OH·OW). The backbone and the FPN.
//   PACKED: the dynamic head's layout (src/ops/packed-levels.ts, shaders/include/packed-levels.wgsl):
//     3×3, stride 1, pad 1 at each row's own level, so a window never reads across levels.
//     Workgroup z is the tower t; its weights sit at t · w_tower_stride (a grouped GEMM: one
//     dispatch runs both towers' convs). Rows of tower t:
//       ROWS_LIST = false: every tower row q (M = R);
//       ROWS_LIST = true : the tower's part of an active-row list written on the GPU by the head's
//         compaction (`lists`: a segment table at list_meta, the rows at list_rows): M and the
//         first list row come from the table, row r is pixel lists[list_rows + first + r] − t·R;
//         when the table says dense (the fallback) row r is pixel r and the list is not read.
//     Input: plain packed [T_in][R][Cin] (tower offset t · in_tower_stride + in_row_base rows), or
//       NORM_INPUT: the compact output of the previous conv, normalised on load: the value at
//       pixel p is max((x[j, c] − mean) · scale + shift, 0) with j = row of p (lists[norm_map +
//       t·R + p], or p itself for NORM_IDENTITY) and the folded GroupNorm of p's segment from
//       aux [S][3][Cin] (segment-stats.wgsl); 0 where p has no row (0xffffffff). That is conv1's
//       GroupNorm + ReLU applied as conv2 gathers its input, so h is never materialised.
//     Output: OUT_COMPACT writes list row (first + r), else the pixel's packed row t·R + q.
//     PRED_BOX (the box predictor's epilogue): columns < 4 become max(v · s_l, 0) with
//       s_l = aux[l] · stride_l (Scale · ReLU · stride, spec §4.3); column 4 (centerness) is kept.
//
// Tiling: a workgroup computes a TILE_M×TILE_N tile of the output (TILE_M = 64, or 32 for
// active-row lists so that a partly filled last tile wastes at most 31 rows; TILE_N = 64, or
// 32 / 16 for narrow outputs such as the predictors' 5 or 6 columns, where a 64-wide tile would
// spend most of its FMAs on columns past Cout) with (TILE_N / THREAD_COLS)×(TILE_M / THREAD_ROWS)
// threads, each THREAD_ROWS×THREAD_COLS (one or two quads each way, the second half a tile away),
// with K walked in slices of 16 staged in workgroup memory as vec4 (A k-major, 4 rows per vec4;
// B 4 columns per vec4), so the inner step is (THREAD_ROWS + THREAD_COLS) / 4 vec4 loads for
// THREAD_ROWS·THREAD_COLS FMAs.
// The A tile is TILE_M×16 whatever the thread count, so each thread gathers A_ROWS rows of it
// (VEC4_A, ≤ 4) or A_KS k of its 4 rows (scalar).
// VEC4_A (Cin % 4 == 0) loads 4 channels of one pixel at once, VEC4_B (Cout % 4 == 0) 4 output
// channels at once; the scalar paths handle any channel count (the stem has Cin = 3).
// Dispatch: (ceil(Cout / TILE_N), ceil(M / TILE_M), T), or indirect with the same layout (the
// compaction writes it; tiles past a tower's M return at once).

override PACKED: bool = false;
override ROWS_LIST: bool = false;
override NORM_INPUT: bool = false;
override NORM_IDENTITY: bool = false;
override OUT_COMPACT: bool = false;
override PRED_BOX: bool = false;
override VEC4_A: bool = false;
override VEC4_B: bool = false;
// KH = KW = 1, stride 1, pad 0: the patch is the pixel itself, so skip the gather arithmetic.
override POINTWISE: bool = false;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override RELU: bool = false;
// Output rows per workgroup: 64 or 32 (a multiple of 16 that divides 64).
override TILE_M: u32 = 64u;
// Output columns per workgroup: 64, 32 or 16.
override TILE_N: u32 = 64u;
// Output columns per thread: 4, or 8 (TILE_N ≥ 32) as two quads TILE_N / 2 apart.
override THREAD_COLS: u32 = 4u;
// Set by the runtime on CPU adapters (src/gpu/capabilities.ts).
override SOFTWARE_ADAPTER: bool = false;
// Output rows per thread: 4, or 8 as two quads TILE_M / 2 apart. 8 only on a CPU adapter and
// with VEC4_A (a scalar-A thread already gathers 4 rows): SwiftShader reads workgroup memory
// lane by lane, so an 8×8 block's 4 vec4 reads per 64 FMAs (4×8: 3 per 32) make the GEMM about
// 1.2–1.3× faster there, while on a GPU 64 accumulators per thread would cost occupancy.
// (A thread gathers 4·THREAD_ROWS·THREAD_COLS / TILE_N ≤ 4 A rows, so 8×8 needs TILE_N = 64.)
override THREAD_ROWS: u32 = select(4u, 8u, SOFTWARE_ADAPTER && VEC4_A && 8u * THREAD_COLS <= TILE_N);

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  cin: u32,
  out_h: u32,
  out_w: u32,
  cout: u32,
  k: u32,               // KH·KW·Cin
  kw: u32,
  stride: u32,
  pad_y: u32,
  pad_x: u32,
  m: u32,               // dense: N·OH·OW
  // PACKED only:
  in_tower_stride: u32, // input rows from one tower to the next (0: towers share one input)
  in_row_base: u32,     // first input row (e.g. the second tower of a [2, R, C] tensor)
  w_tower_stride: u32,  // weight elements from one tower's filters to the next
  list_meta: u32,       // word offsets in `lists`
  list_rows: u32,
  norm_map: u32,
  _pad: u32,
  box_stride: array<vec4<f32>, 2>,  // PRED_BOX: stride_l per level (1 without NORM_REG_TARGETS)
};

const TILE_K = 16u;
const NONE: u32 = 0xffffffffu;
// Derived, never set by the host: vec4 row quads per A-tile k row, vec4 column quads per B-tile
// k row, threads per workgroup, A-tile rows a VEC4_A thread gathers (64 / TILE_N ≤ 4) and k a
// scalar-A thread gathers for each of its rows (64 / TILE_N).
override ROW_QUADS: u32 = TILE_M / 4u;
override COL_QUADS: u32 = TILE_N / 4u;
override COL_THREADS: u32 = TILE_N / THREAD_COLS;
override ROW_THREADS: u32 = TILE_M / THREAD_ROWS;
override THREADS: u32 = ROW_THREADS * COL_THREADS;
override A_ROWS: u32 = 4u * TILE_M / THREADS;
override A_KS: u32 = TILE_K / COL_THREADS;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read> lists: array<u32>;
@group(0) @binding(6) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<uniform> levels: PackedLevels;

#include <packed-levels>

var<workgroup> tile_a: array<vec4<f32>, TILE_K * ROW_QUADS>; // [TILE_K][TILE_M / 4]: rows 4q..4q+3 at one k
var<workgroup> tile_b: array<vec4<f32>, TILE_K * COL_QUADS>; // [TILE_K][TILE_N / 4]: columns 4q..4q+3 at one k
var<workgroup> tower_rows: vec3<u32>;                           // PACKED: (M, first list row, dense list)
// PACKED: each tile row's input offset at its 9 taps (-1: padding, a pixel without a row, or a
// row past M) and its segment, found once per tile; the gathers of every k slice then only add
// the channel, instead of locating the pixel's neighbour (and its row in a map) again.
var<workgroup> tap_offsets: array<i32, TILE_M * 9u>;
var<workgroup> tile_segment: array<u32, TILE_M>;

fn x_at(i: u32) -> f32 { return x[i >> 2u][i & 3u]; }
fn w_at(i: u32) -> f32 { return w[i >> 2u][i & 3u]; }
fn aux_at(i: u32) -> f32 { return aux[i >> 2u][i & 3u]; }

// Where the im2col row of one GEMM row starts.
struct Patch {
  valid: bool,
  base: u32,      // dense: flat offset of its image
  iy0: i32,
  ix0: i32,
  pos: LevelPos,  // PACKED: the output pixel's level position
  seg: u32,       // PACKED: its segment t·L + l
  tile_row: u32,  // PACKED: its row in the tile (tap_offsets, tile_segment)
};

// Tower row of GEMM row r < m (PACKED).
fn packed_pixel(r: u32, t: u32) -> u32 {
  if (!ROWS_LIST || tower_rows.z != 0u) { return r; }
  return lists[params.list_rows + tower_rows.y + r] - t * levels.tower_rows;
}

// PACKED: the level position and segment of GEMM row r (tile setup and epilogue).
fn packed_patch(r: u32, m: u32, t: u32) -> Patch {
  var p: Patch;
  p.valid = r < m;
  let q = select(0u, packed_pixel(r, t), p.valid);
  p.pos = locate_row(q);
  p.seg = t * levels.count + p.pos.level;
  return p;
}

// The loader's view of tile row tr (GEMM row row0 + tr); PACKED only keeps the tile row.
fn patch_of(row0: u32, tr: u32, m: u32, t: u32) -> Patch {
  let r = row0 + tr;
  var p: Patch;
  p.valid = r < m;
  if (PACKED) {
    p.tile_row = tr;
    return p;
  }
  let pixel = select(0u, r, p.valid);
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

// Offsets are computed without branching and an invalid one (padding, a pixel without a row)
// comes back as -1: the loaders then read offset 0 and select 0, so lanes never diverge in the
// gather (a CPU adapter runs both sides of a branch its lanes disagree on).

// PACKED: flat offset of input channel 0 at tap (ky, kx), or -1 (padding, or a pixel without a row).
fn packed_offset(p: Patch, ky: u32, kx: u32, t: u32) -> i32 {
  let nb = neighbour_row(p.pos, i32(ky) - 1, i32(kx) - 1);
  let inside = nb >= 0;
  let q = u32(max(nb, 0));
  if (NORM_INPUT) {
    var j = t * levels.tower_rows + q;
    if (!NORM_IDENTITY) { j = lists[params.norm_map + j]; }
    return select(-1, i32(j * params.cin), inside & (j != NONE));
  }
  return select(-1, i32((t * params.in_tower_stride + params.in_row_base + q) * params.cin), inside);
}

// Dense: flat input offset of patch element (ky, kx, ci), or -1 in the zero padding.
fn gather_offset(p: Patch, ky: u32, kx: u32, ci: u32) -> i32 {
  if (POINTWISE) { return i32(p.base + ci); }
  let iy = p.iy0 + i32(ky);
  let ix = p.ix0 + i32(kx);
  let inside = (iy >= 0) & (ix >= 0) & (iy < i32(params.in_h)) & (ix < i32(params.in_w));
  return select(-1, i32(p.base + (u32(max(iy, 0)) * params.in_w + u32(max(ix, 0))) * params.cin + ci), inside);
}

// NORM_INPUT: GroupNorm (folded affine of segment `seg`) + ReLU of input channel ci.
fn normalise(v: f32, seg: u32, ci: u32) -> f32 {
  let a = seg * 3u * params.cin + ci;
  return max((v - aux_at(a)) * aux_at(a + params.cin) + aux_at(a + 2u * params.cin), 0.0);
}

// The same for channels ci … ci + 3 (Cin % 4 == 0, ci % 4 == 0): 3 vec4 loads, not 12 scalars.
fn normalise4(v: vec4<f32>, seg: u32, ci: u32) -> vec4<f32> {
  let c4 = params.cin >> 2u;
  let a = seg * 3u * c4 + (ci >> 2u);
  return max((v - aux[a]) * aux[a + c4] + aux[a + 2u * c4], vec4<f32>(0.0));
}

// The 4 input channels ci … ci + 3 at tap (ky, kx), or 0 where `ok` is false or the tap is invalid.
fn load4(p: Patch, ky: u32, kx: u32, ci: u32, t: u32, ok: bool) -> vec4<f32> {
  if (!PACKED) {
    let off = gather_offset(p, ky, kx, ci);
    return select(vec4<f32>(0.0), x[u32(max(off, 0)) >> 2u], ok & (off >= 0));
  }
  let off = tap_offsets[p.tile_row * 9u + ky * 3u + kx];
  var v = x[(u32(max(off, 0)) + ci) >> 2u];
  if (NORM_INPUT) { v = normalise4(v, tile_segment[p.tile_row], ci); }
  return select(vec4<f32>(0.0), v, ok & (off >= 0));
}

fn load1(p: Patch, ky: u32, kx: u32, ci: u32, t: u32, ok: bool) -> f32 {
  if (!PACKED) {
    let off = gather_offset(p, ky, kx, ci);
    return select(0.0, x_at(u32(max(off, 0))), ok & (off >= 0));
  }
  let off = tap_offsets[p.tile_row * 9u + ky * 3u + kx];
  var v = x_at(u32(max(off, 0)) + ci);
  if (NORM_INPUT) { v = normalise(v, tile_segment[p.tile_row], ci); }
  return select(0.0, v, ok & (off >= 0));
}

// Tap and channel of patch element gk (ci = gk for POINTWISE).
fn split_k(gk: u32) -> vec3<u32> {
  if (POINTWISE) { return vec3<u32>(0u, 0u, gk); }
  let tap = gk / params.cin;
  let ky = tap / params.kw;
  return vec3<u32>(ky, tap - ky * params.kw, gk - tap * params.cin);
}

// VEC4_A: A-tile k a_k..a_k + 3 (4 channels of one input pixel, Cin % 4 == 0) of tile row r.
fn gather4(p: Patch, k0: u32, a_k: u32, r: u32, t: u32) {
  let gk = k0 + a_k;
  let tap = split_k(gk);
  let v = load4(p, tap.x, tap.y, tap.z, t, p.valid & (gk < params.k));
  for (var j = 0u; j < 4u; j++) {
    tile_a[(a_k + j) * ROW_QUADS + (r >> 2u)][r & 3u] = v[j];
  }
}

// Scalar A: A-tile k tk of tile rows r, r + TILE_M / 4, … (patches[0..3]).
fn gather1(patches: ptr<function, array<Patch, 4>>, k0: u32, tk: u32, r0: u32, t: u32) {
  let gk = k0 + tk;
  let tap = split_k(gk);
  for (var i = 0u; i < 4u; i++) {
    let v = load1((*patches)[i], tap.x, tap.y, tap.z, t, (*patches)[i].valid & (gk < params.k));
    let r = r0 + i * ROW_QUADS;
    tile_a[tk * ROW_QUADS + (r >> 2u)][r & 3u] = v;
  }
}

@compute @workgroup_size(COL_THREADS, ROW_THREADS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * COL_THREADS + lid.x;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let t = wid.z;

  var m = params.m;
  var first = 0u;
  if (PACKED) {
    if (tid == 0u) {
      var rows = vec3<u32>(levels.tower_rows, t * levels.tower_rows, 0u);
      if (ROWS_LIST) {
        // The tower's rows: from its first segment's start to its last segment's end.
        let s0 = t * levels.count;
        let s1 = s0 + levels.count - 1u;
        let start = lists[params.list_meta + 2u + 2u * s0];
        let end = lists[params.list_meta + 2u + 2u * s1] + lists[params.list_meta + 3u + 2u * s1];
        rows = vec3<u32>(end - start, start, lists[params.list_meta]);
      }
      tower_rows = rows;
    }
    let rows = workgroupUniformLoad(&tower_rows);
    m = rows.x;
    first = rows.y;
    if (row0 >= m) { return; }
  }

  // Loader roles. VEC4_A: A_ROWS rows (THREADS / 4 apart), 4 consecutive k. Scalar: 4 rows
  // (TILE_M / 4 apart), A_KS k (TILE_N / 4 apart).
  let a_row = select(tid / COL_THREADS, tid >> 2u, VEC4_A);
  let a_k = select(tid % COL_THREADS, (tid & 3u) * 4u, VEC4_A);
  let row_step = select(ROW_QUADS, THREADS / 4u, VEC4_A);
  var patches: array<Patch, 4>;
  let patch_count = select(4u, A_ROWS, VEC4_A);
  for (var i = 0u; i < patch_count; i++) {
    patches[i] = patch_of(row0, a_row + i * row_step, m, t);
  }
  if (PACKED) {
    for (var tr = tid; tr < TILE_M; tr += THREADS) {
      let p = packed_patch(row0 + tr, m, t);
      for (var tap = 0u; tap < 9u; tap++) {
        tap_offsets[tr * 9u + tap] = select(-1, packed_offset(p, tap / 3u, tap % 3u, t), p.valid);
      }
      tile_segment[tr] = p.seg;
    }
    workgroupBarrier();
  }
  let w_base = t * params.w_tower_stride;

  var acc: array<vec4<f32>, 16>;  // [row quad v][column quad h][row i] at (2v + h)·4 + i
  let has_rows = row0 + lid.y * 4u < m;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    // ---- A tile: im2col gather --------------------------------------------------------------
    // Written out rather than looped: the extra rows / k of a narrow tile sit behind conditions
    // on override constants, which compile away, while a loop (even of one trip) or a dynamic
    // index into `patches` makes the 64-wide tile markedly slower on SwiftShader.
    if (VEC4_A) {
      gather4(patches[0], k0, a_k, a_row, t);
      if (A_ROWS > 1u) { gather4(patches[1], k0, a_k, a_row + row_step, t); }
      if (A_ROWS > 2u) {
        gather4(patches[2], k0, a_k, a_row + 2u * row_step, t);
        gather4(patches[3], k0, a_k, a_row + 3u * row_step, t);
      }
    } else {
      gather1(&patches, k0, a_k, a_row, t);
      if (A_KS > 1u) { gather1(&patches, k0, a_k + COL_THREADS, a_row, t); }
      if (A_KS > 2u) {
        gather1(&patches, k0, a_k + 2u * COL_THREADS, a_row, t);
        gather1(&patches, k0, a_k + 3u * COL_THREADS, a_row, t);
      }
    }
    // ---- B tile: weights (TILE_K·TILE_N / 4 vec4 or TILE_K·TILE_N scalars, THREADS at a time)
    if (VEC4_B) {
      for (var e = tid; e < TILE_K * COL_QUADS; e += THREADS) {
        let kb = e / COL_QUADS;
        let q = e - kb * COL_QUADS;
        let gkb = k0 + kb;
        let gn = col0 + q * 4u;
        var v = vec4<f32>(0.0);
        if (gkb < params.k && gn < params.cout) { v = w[(w_base + gkb * params.cout + gn) >> 2u]; }
        tile_b[e] = v;
      }
    } else {
      for (var e = tid; e < TILE_K * TILE_N; e += THREADS) {
        let kb = e / TILE_N;
        let nb = e - kb * TILE_N;
        let gkb = k0 + kb;
        let gn = col0 + nb;
        var v = 0.0;
        if (gkb < params.k && gn < params.cout) { v = w_at(w_base + gkb * params.cout + gn); }
        tile_b[kb * COL_QUADS + (nb >> 2u)][nb & 3u] = v;
      }
    }
    workgroupBarrier();
    // ---- 4×4 register block --------------------------------------------------------------
    // Threads whose 4 rows all lie past m skip the FMAs (no barrier inside): the last tile of
    // a sparse list then costs about its active rows, not a full TILE_M.
    if (has_rows) {
      for (var kk = 0u; kk < TILE_K; kk++) {
        let a = tile_a[kk * ROW_QUADS + lid.y];
        let b = tile_b[kk * COL_QUADS + lid.x];
        acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
        acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
        acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
        acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
        if (THREAD_COLS == 8u) {
          let b1 = tile_b[kk * COL_QUADS + lid.x + COL_THREADS];
          acc[4] = fma(vec4<f32>(a.x), b1, acc[4]);
          acc[5] = fma(vec4<f32>(a.y), b1, acc[5]);
          acc[6] = fma(vec4<f32>(a.z), b1, acc[6]);
          acc[7] = fma(vec4<f32>(a.w), b1, acc[7]);
        }
        if (THREAD_ROWS == 8u) {
          let a1 = tile_a[kk * ROW_QUADS + lid.y + ROW_THREADS];
          acc[8] = fma(vec4<f32>(a1.x), b, acc[8]);
          acc[9] = fma(vec4<f32>(a1.y), b, acc[9]);
          acc[10] = fma(vec4<f32>(a1.z), b, acc[10]);
          acc[11] = fma(vec4<f32>(a1.w), b, acc[11]);
          if (THREAD_COLS == 8u) {
            let b1 = tile_b[kk * COL_QUADS + lid.x + COL_THREADS];
            acc[12] = fma(vec4<f32>(a1.x), b1, acc[12]);
            acc[13] = fma(vec4<f32>(a1.y), b1, acc[13]);
            acc[14] = fma(vec4<f32>(a1.z), b1, acc[14]);
            acc[15] = fma(vec4<f32>(a1.w), b1, acc[15]);
          }
        }
      }
    }
    workgroupBarrier();
  }

  // ---- Epilogue: bias, residual, box scaling, ReLU; store at the row's place -----------------
  for (var vh = 0u; vh < THREAD_ROWS / 4u * 2u; vh++) {
    let v = vh >> 1u;
    let h = vh & 1u;
    if (h >= THREAD_COLS / 4u) { continue; }
    let c0 = col0 + (lid.x + h * COL_THREADS) * 4u;
    var bias4 = vec4<f32>(0.0);
    if (HAS_BIAS) {
      for (var j = 0u; j < 4u; j++) {
        if (c0 + j < params.cout) { bias4[j] = bias[c0 + j]; }
      }
    }
    for (var i = 0u; i < 4u; i++) {
      let r = row0 + (lid.y + v * ROW_THREADS) * 4u + i;
      if (r >= m) { break; }
      var dst = r;
      var box_scale = 1.0;
      if (PACKED) {
        let q = packed_pixel(r, t);
        dst = select(t * levels.tower_rows + q, first + r, OUT_COMPACT);
        if (PRED_BOX) {
          let l = locate_row(q).level;
          box_scale = aux_at(l) * params.box_stride[l >> 2u][l & 3u];
        }
      }
      let base = dst * params.cout;
      for (var j = 0u; j < 4u; j++) {
        if (c0 + j >= params.cout) { break; }
        var o = acc[vh * 4u + i][j] + bias4[j];
        if (HAS_RESIDUAL) { o += residual[base + c0 + j]; }
        if (PRED_BOX && c0 + j < 4u) { o = max(o * box_scale, 0.0); }
        if (RELU) { o = max(o, 0.0); }
        out[base + c0 + j] = o;
      }
    }
  }
}
