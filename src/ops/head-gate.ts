import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { levelTable, requirePacked, type PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';
import { requireFinite, requireShape } from './validate';

/** The gate activations of the dynamic head's code; GeReTanH is the one the model uses. */
export type GateActivation = 'geretanh' | 'retanh' | 'sigmoid';
const ACTIVATION_CODES: Readonly<Record<GateActivation, number>> = { geretanh: 0, retanh: 1, sigmoid: 2 };
/** τ of GeReTanH in the official model. */
export const DEFAULT_GATE_TAU = 1.5;
/** Most gates one dispatch computes per row. */
export const MAX_GATES_PER_ROW = 4;

const SLOTS = { params: 0, levels: 1, x: 2, weights: 3, bias: 4, gate: 5, logits: 6 } as const;

export interface HeadGateArgs {
  readonly levels: PackedLevels;
  /** Packed [T, R, C], or [1, R, C] shared by every tower (C % 4 == 0). */
  readonly input: Tensor;
  /** [T, G, 9, C]: gate g of tower t, tap-major (packConvWeights of [1, C, 3, 3] is [9·C]). */
  readonly weights: Tensor;
  /** [T, G]. */
  readonly bias: Tensor;
  /** Per gate, the levels (bit l) where it is computed; elsewhere gate and logit are 0. */
  readonly consumed: readonly number[];
  /** [G, T, R]. */
  readonly gate: Tensor;
  /** Optional [G, T, R]: the pre-activation logits (debug taps). */
  readonly logits?: Tensor;
  readonly activation?: GateActivation;
  readonly tau?: number;
}

/** G spatial gates per row of the packed head, every level and tower in one dispatch (head-gate.wgsl). */
export function headGateProgram(scope: BufferScope, args: HeadGateArgs): KernelProgram {
  const { levels } = args;
  const towers = levels.towers;
  const shared = args.input.shape[0] === 1 && towers > 1;
  const c = requirePacked('input', args.input, levels, shared ? 1 : towers);
  if (c % 4 !== 0) throw new InvalidArgumentError('input', `the head's channel count must be a multiple of 4, got ${c}`);
  const gates = args.consumed.length;
  if (gates < 1 || gates > MAX_GATES_PER_ROW) throw new InvalidArgumentError('consumed', `expected 1 to ${MAX_GATES_PER_ROW} gates, got ${gates}`);
  requireShape('weights', args.weights, [towers, gates, 9, c]);
  requireShape('bias', args.bias, [towers, gates]);
  requireShape('gate', args.gate, [gates, towers, levels.rows]);
  if (args.logits) requireShape('logits', args.logits, [gates, towers, levels.rows]);
  for (const [name, t] of [['gate', args.gate], ['logits', args.logits]] as const) {
    if (t && [args.input, args.weights, args.bias].some((u) => u.buffer === t.buffer)) throw new InvalidArgumentError(name, 'must not share its buffer with an input');
  }
  if (args.logits && args.logits.buffer === args.gate.buffer) throw new InvalidArgumentError('logits', 'must not share its buffer with gate');
  const activation = args.activation ?? 'geretanh';
  const act = ACTIVATION_CODES[activation];
  if (act === undefined) throw new InvalidArgumentError('activation', `expected one of ${Object.keys(ACTIVATION_CODES).join(', ')}, got ${String(activation)}`);
  const tau = args.tau ?? DEFAULT_GATE_TAU;
  requireFinite('tau', tau);
  const consumed = [0, 1, 2, 3].map((g) => args.consumed[g] ?? 0);
  const params = scope.uniform(
    new UniformWriter().u32(c / 4, gates, shared ? 0 : levels.rows).f32(tau).u32(...consumed).bytes(),
    'head gate params',
  );
  return {
    label: `head gates ×${gates} ${c}→1 ${activation}`,
    shader: 'head-gate',
    constants: { ACT: act, HAS_LOGITS: args.logits ? 1 : 0, GATES: gates },
    bindings: bindSlots(SLOTS, {
      params,
      levels: levelTable(scope, levels),
      x: args.input.buffer,
      weights: args.weights.buffer,
      bias: args.bias.buffer,
      gate: args.gate.buffer,
      logits: args.logits?.buffer ?? scope.storage(16, 'head gate: no logits'),
    }),
    dispatch: workgroups1D(Math.ceil((levels.towers * gateBlocks(levels)) / 64)),
  };
}

/** Pixels of one image row per thread of head-gate.wgsl (its BLOCK). */
export const GATE_BLOCK = 4;

/** Work blocks of head-gate.wgsl per tower: H_l · ceil(W_l / GATE_BLOCK) over the levels. */
export function gateBlocks(levels: PackedLevels): number {
  return levels.sizes.reduce((n, [h, w]) => n + h * Math.ceil(w / GATE_BLOCK), 0);
}

/** Bit mask of levels 0..L−1 except those listed. */
export function levelMask(levels: number, except: readonly number[] = []): number {
  let mask = 0;
  for (let l = 0; l < levels; l++) if (!except.includes(l)) mask |= 1 << l;
  return mask;
}
