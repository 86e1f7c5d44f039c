// Spatial gate: a 3×3 conv (pad 1, stride 1, bias) from C channels to 1, fused with its
// activation. Input NHWC [N, H, W, C]; weights HWIO [3, 3, C, 1] (tap-major, channels
// contiguous, so a tap's weights line up with a pixel's channels); bias [1].
//   logit = bias + Σ_{ky,kx,c} x[n, y+ky-1, x+kx-1, c] · w[ky, kx, c]
//   ACT 0 GeReTanH: g = max(0, (tanh(logit − τ) + tanh τ) / (1 + tanh τ)), exactly 0 for logit ≤ 0
//   ACT 1 ReTanH:   g = max(0, tanh logit)
//   ACT 2 Sigmoid:  g = 1 / (1 + exp(−logit))
// Outputs gate [N, H, W, 1] and, with HAS_LOGITS, the logits [N, H, W, 1].
//
// C → 1 is a 9·C-long dot product per pixel, too thin for the GEMM tiles: a workgroup of
// 256 threads takes PIXELS = 256 / LANES consecutive pixels; the LANES threads of a pixel split
// its channels (consecutive lanes read consecutive channels, vec4 when C % 4 == 0) over the 9
// taps, and a tree reduction in workgroup memory adds them up.
// Dispatch: ceil(N·H·W / PIXELS) workgroups, folded over x and y (workgroups1D).

override ACT: u32 = 0u;
override HAS_LOGITS: bool = false;
override VEC4: bool = false;

struct Params {
  batch: u32,
  h: u32,
  w: u32,
  c: u32,
  tau: f32,
};

// Threads per pixel (a power of two dividing 256); PIXELS = 256 / LANES pixels per workgroup.
override LANES: u32 = 4u;
const THREADS = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> gate: array<f32>;
@group(0) @binding(5) var<storage, read_write> logits: array<f32>;

var<workgroup> partial: array<f32, 256>; // [PIXELS][LANES]

// tanh from exp(−2|v|) ∈ (0, 1]: never overflows, so large |v| gives ±1, not NaN (some drivers'
// built-in tanh return NaN for large arguments).
fn safe_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, v < 0.0);
}

fn safe_sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(1.0 / (1.0 + e), e / (1.0 + e), v < 0.0);
}

fn activate(v: f32) -> f32 {
  if (ACT == 0u) {
    // The formula is ≤ 0 for v ≤ 0; pin that to exactly 0 so rounding never activates a pixel.
    let t = safe_tanh(params.tau);
    let g = (safe_tanh(v - params.tau) + t) / (1.0 + t);
    return select(max(g, 0.0), 0.0, v <= 0.0);
  }
  if (ACT == 1u) { return max(safe_tanh(v), 0.0); }
  return safe_sigmoid(v);
}

@compute @workgroup_size(LANES, THREADS / LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lid.x;
  let pixel = (wid.x + wid.y * nwg.x) * (THREADS / LANES) + lid.y;
  let total = params.batch * params.h * params.w;
  let valid = pixel < total;

  var sum = 0.0;
  if (valid) {
    let plane = params.h * params.w;
    let n = pixel / plane;
    let rem = pixel - n * plane;
    let py = i32(rem / params.w);
    let px = i32(rem - u32(py) * params.w);
    let groups = select(params.c, params.c / 4u, VEC4);
    for (var tap = 0u; tap < 9u; tap++) {
      let iy = py + i32(tap / 3u) - 1;
      let ix = px + i32(tap % 3u) - 1;
      if (iy < 0 || ix < 0 || iy >= i32(params.h) || ix >= i32(params.w)) { continue; }
      let xrow = ((n * params.h + u32(iy)) * params.w + u32(ix)) * groups;
      let wrow = tap * groups;
      // Channel groups split over the lanes; consecutive lanes read consecutive memory.
      for (var g = lane; g < groups; g += LANES) {
        if (VEC4) {
          sum += dot(x[xrow + g], wt[wrow + g]);
        } else {
          let xi = xrow + g;
          let wi = wrow + g;
          sum = fma(x[xi >> 2u][xi & 3u], wt[wi >> 2u][wi & 3u], sum);
        }
      }
    }
  }

  let slot = lid.y * LANES + lane;
  partial[slot] = sum;
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) { partial[slot] += partial[slot + stride]; }
  }
  if (valid && lane == 0u) {
    let logit = partial[slot] + bias[0];
    gate[pixel] = activate(logit);
    if (HAS_LOGITS) { logits[pixel] = logit; }
  }
}
