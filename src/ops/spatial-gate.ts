import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { shapeString, type Tensor } from './tensor';
import { requireFinite, requireRank, requireShape } from './validate';

/** The gate activations of the dynamic head's code; GeReTanH is the one the model uses. */
export type GateActivation = 'geretanh' | 'retanh' | 'sigmoid';

const ACTIVATION_CODES: Readonly<Record<GateActivation, number>> = { geretanh: 0, retanh: 1, sigmoid: 2 };
/** Threads per workgroup in `shaders/spatial-gate.wgsl`. */
const GATE_THREADS = 256;

/**
 * One thread per pixel by default: with 1 lane the kernel has no cross-lane reduction and so no
 * barrier, which measured 3.3× faster in the head on SwiftShader (113 → 34 ms for the 208 gate
 * convs of narrow D8 at 128×96); a GPU reads a pixel's neighbourhood from cache either way.
 */
const DEFAULT_GATE_LANES = 1;

/** τ of GeReTanH in the official model. */
export const DEFAULT_GATE_TAU = 1.5;

export interface SpatialGateArgs {
  /** NHWC [N, H, W, C]. */
  readonly input: Tensor;
  /** HWIO [3, 3, C, 1]: packConvWeights of the gate_conv weight [1, C, 3, 3]. */
  readonly weights: Tensor;
  /** [1]. */
  readonly bias: Tensor;
  /** [N, H, W, 1]. */
  readonly gate: Tensor;
  /** Optional [N, H, W, 1]: the pre-activation conv output, for debugging and parity checks. */
  readonly logits?: Tensor;
  /** Default 'geretanh'. */
  readonly activation?: GateActivation;
  /** GeReTanH's τ; default 1.5. */
  readonly tau?: number;
  /**
   * Threads sharing one pixel's dot product, a power of two ≤ 256 (default 4). 1 is fastest on
   * SwiftShader (no reduction); more lanes add parallelism on real GPUs for small maps.
   */
  readonly lanes?: number;
}

/** gate = act(conv3×3(input; weights, bias, pad 1)) with `shaders/spatial-gate.wgsl`. */
export function spatialGateProgram(scope: BufferScope, args: SpatialGateArgs): KernelProgram {
  requireRank('input', args.input, 4);
  const [n, h, w, c] = args.input.shape as [number, number, number, number];
  requireRank('weights', args.weights, 4);
  const [kh, kw, wc, cout] = args.weights.shape as [number, number, number, number];
  if (kh !== 3 || kw !== 3 || wc !== c || cout !== 1) {
    throw new InvalidArgumentError('weights', `expected HWIO [3, 3, ${c}, 1], got ${shapeString(args.weights.shape)}`);
  }
  requireShape('bias', args.bias, [1]);
  requireShape('gate', args.gate, [n, h, w, 1]);
  if (args.logits) {
    requireShape('logits', args.logits, [n, h, w, 1]);
    if (args.logits.buffer === args.gate.buffer) {
      throw new InvalidArgumentError('logits', 'must not share its buffer with gate');
    }
  }
  for (const [name, t] of [['gate', args.gate], ['logits', args.logits]] as const) {
    if (t && (t.buffer === args.input.buffer || t.buffer === args.weights.buffer || t.buffer === args.bias.buffer)) {
      throw new InvalidArgumentError(name, 'must not share its buffer with an input');
    }
  }
  const activation = args.activation ?? 'geretanh';
  const act = ACTIVATION_CODES[activation];
  if (act === undefined) {
    throw new InvalidArgumentError('activation', `expected one of ${Object.keys(ACTIVATION_CODES).join(', ')}, got ${String(activation)}`);
  }
  const tau = args.tau ?? DEFAULT_GATE_TAU;
  requireFinite('tau', tau);
  const lanes = args.lanes ?? DEFAULT_GATE_LANES;
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > GATE_THREADS || (lanes & (lanes - 1)) !== 0) {
    throw new InvalidArgumentError('lanes', `expected a power of two from 1 to ${GATE_THREADS}, got ${lanes}`);
  }
  const params = scope.uniform(new UniformWriter().u32(n, h, w, c).f32(tau).bytes(), 'spatial gate params');
  return {
    label: `spatial gate ${c}→1 ${activation}`,
    shader: 'spatial-gate',
    constants: { ACT: act, HAS_LOGITS: args.logits ? 1 : 0, VEC4: c % 4 === 0 ? 1 : 0, LANES: lanes },
    bindings: [
      params,
      args.input.buffer,
      args.weights.buffer,
      args.bias.buffer,
      args.gate.buffer,
      args.logits?.buffer ?? scope.storage(16, 'spatial gate: no logits'),
    ],
    dispatch: workgroups1D(Math.ceil((n * h * w) / (GATE_THREADS / lanes))),
  };
}
