import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import type { ActiveSet } from './compact';
import { CONV2D_INDEXED_TILE_ROWS, CONV2D_TILE_COLS, CONV2D_TILE_ROWS, conv2dGeometry, conv2dProgram } from './conv2d';
import { dispatchArgsProgram, sparseLimitFor, type DispatchArgs, type DispatchSpec } from './dispatch-args';
import { foldedAffineBuffer, maskedGroupStatsPrograms } from './masked-group-stats';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/**
 * The dynamic head's masked conv block (official masked inference, spec §4.2): a 3×3 conv
 * computed only at the active pixels of a mask, GroupNorm whose statistics cover those pixels
 * only (the compacted [1, C, N_active] tensor), then a fused epilogue that writes every pixel of
 * a dense NHWC output (0, or the residual term, where inactive). All on the GPU: the active list
 * comes from compactPrograms and every size that depends on it is an indirect dispatch.
 *
 * Strategies:
 * - `sparse`: conv2d in indexed-compact mode over the active rows → GroupNorm statistics over
 *   the first count rows (masked-group-stats, indirect) → epilogue reading row index_map[p].
 * - `dense`: the dense-masked formulation — dense conv → GroupNorm statistics under the mask →
 *   the same epilogue reading pixel p. The baseline, and what the fallback runs.
 * - `auto`: both are encoded; a GPU-side choice (count ≤ crossover · pixels ⇒ sparse) gives the
 *   other path's dispatches 0 workgroups, so the decision needs no read-back.
 */

/** What the block writes at each pixel p (n = GroupNorm(conv)(p) where active, else 0). */
export type SparseEpilogue =
  /** out = n. */
  | { readonly kind: 'affine' }
  /** out = max(n, 0) — the depth path's conv1 (h). */
  | { readonly kind: 'relu' }
  /** out = n · gate[p] — a GroupNorm output multiplied by its gate. */
  | { readonly kind: 'gated'; readonly gate: Tensor }
  /** out = max(n · gate[p] + residual[p], 0) — the depth path's end: ReLU(o · g + y). */
  | { readonly kind: 'gated-residual'; readonly gate: Tensor; readonly residual: Tensor };

export type SparseStrategy =
  | { readonly mode: 'dense'; readonly mask: Tensor }
  | { readonly mode: 'sparse'; readonly active: ActiveSet }
  /** `crossover`: the largest active fraction of pixels that still runs sparse. */
  | { readonly mode: 'auto'; readonly active: ActiveSet; readonly crossover: number };

export interface SparseConvBlockArgs {
  /** NHWC [1, H, W, Cin] (official masked inference is batch 1: one set of statistics). */
  readonly input: Tensor;
  /** HWIO [3, 3, Cin, Cout] (packConvWeights); the head's convs have no bias (GN follows). */
  readonly weights: Tensor;
  /** [Cout] GroupNorm affine. */
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly groups: number;
  /** Default 1e-5. */
  readonly eps?: number;
  readonly strategy: SparseStrategy;
  readonly epilogue: SparseEpilogue;
  /** NHWC [1, H, W, Cout]; every element is written. */
  readonly out: Tensor;
  /** Optional workspace [H·W, Cout] for the conv result (else allocated). */
  readonly scratch?: Tensor;
}

const EPILOGUE_CODE = { affine: 0, relu: 1, gated: 2, 'gated-residual': 3 } as const;

export interface SparseConvBlock {
  /** In dispatch order; run them in one pass or in consecutive passes of one encoder. */
  readonly programs: KernelProgram[];
  /** The indirect arguments and the GPU-side choice (absent for `dense`). */
  readonly args?: DispatchArgs;
}

/**
 * The normalise pass shared by the conv block, the scale path and the GroupNorm layers: reads
 * the folded affine that the statistics' finalize_fold wrote (which also says whether the values
 * sit in compact rows or at their pixels) and writes every pixel of `out`.
 */
export function sparseEpilogueProgram(
  scope: BufferScope,
  args: {
    readonly conv: Tensor;
    readonly pixels: number;
    readonly channels: number;
    /** From maskedGroupStatsPrograms(…, { fold }) (foldedAffineBuffer). */
    readonly affine: GPUBuffer;
    /** Where the normalised value exists; omitted = every pixel (no mask, no map). */
    readonly mask?: Tensor;
    readonly indexMap?: Tensor;
    readonly epilogue: SparseEpilogue;
    readonly out: Tensor;
  },
): KernelProgram {
  const { pixels, channels, epilogue } = args;
  const params = scope.uniform(new UniformWriter().u32(pixels, channels, 0, pixels * channels).bytes(), 'sparse epilogue params');
  const dummy = () => scope.storage(16, 'sparse epilogue: unused');
  const gate = epilogue.kind === 'gated' || epilogue.kind === 'gated-residual' ? epilogue.gate : undefined;
  const residual = epilogue.kind === 'gated-residual' ? epilogue.residual : undefined;
  if (gate) requireShape('gate', gate, [1, ...args.out.shape.slice(1, 3), 1]);
  if (residual) {
    requireShape('residual', residual, args.out.shape);
    if (residual.buffer === args.out.buffer) throw new InvalidArgumentError('residual', 'cannot be the output buffer');
  }
  const vec4 = channels % 4 === 0;
  return {
    label: `sparse epilogue ${epilogue.kind}`,
    shader: 'sparse-epilogue',
    entryPoint: vec4 ? 'apply_vec4' : 'apply',
    constants: { EPILOGUE: EPILOGUE_CODE[epilogue.kind], DENSE_ONLY: args.mask ? 0 : 1 },
    bindings: [
      params,
      args.affine,
      args.conv.buffer,
      args.mask?.buffer ?? dummy(),
      args.indexMap?.buffer ?? dummy(),
      gate?.buffer ?? dummy(),
      residual?.buffer ?? dummy(),
      args.out.buffer,
    ],
    dispatch: workgroups1D(Math.ceil((pixels * channels) / (vec4 ? 1024 : 256))),
  };
}

/** The masked 3×3 conv → masked GroupNorm → epilogue block, as GPU programs. */
export function sparseConvBlockPrograms(scope: BufferScope, args: SparseConvBlockArgs): SparseConvBlock {
  const g = conv2dGeometry({ input: args.input, weights: args.weights, padding: 1 });
  if (g.batch !== 1) throw new InvalidArgumentError('input', `the masked block runs one image at a time, got N = ${g.batch}`);
  if (g.kh !== 3 || g.kw !== 3) throw new InvalidArgumentError('weights', `expected a 3×3 kernel, got ${g.kh}×${g.kw}`);
  const { outH: h, outW: w, cout } = g;
  const pixels = h * w;
  requireShape('out', args.out, [1, h, w, cout]);
  if (cout % args.groups !== 0 || !Number.isInteger(args.groups) || args.groups < 1) {
    throw new InvalidArgumentError('groups', `${args.groups} groups do not divide ${cout} channels`);
  }
  if (args.out.buffer === args.input.buffer) throw new InvalidArgumentError('out', 'cannot be the input buffer');
  if (Math.ceil(pixels / Math.min(CONV2D_TILE_ROWS, CONV2D_INDEXED_TILE_ROWS)) > 65535) {
    throw new InvalidArgumentError('input', `${pixels} pixels need more than 65535 conv row tiles`);
  }
  const strategy = args.strategy;
  const mask = strategy.mode === 'dense' ? strategy.mask : strategy.active.mask;
  requireShape('mask', mask, [1, h, w, 1]);
  if (strategy.mode !== 'dense') {
    const a = strategy.active;
    requireShape('rows', a.rows, [pixels]);
    requireShape('count', a.count, [1]);
    if (!a.indexMap) throw new InvalidArgumentError('active', 'needs an index map (compactPrograms with indexMap)');
    requireShape('indexMap', a.indexMap, [pixels]);
  }
  const scratch = args.scratch ?? { buffer: scope.storage(pixels * cout * 4, 'sparse conv result'), shape: [pixels, cout] };
  requireShape('scratch', scratch, [pixels, cout]);
  const epilogueInputs = args.epilogue.kind === 'gated-residual' ? [args.epilogue.gate, args.epilogue.residual] : args.epilogue.kind === 'gated' ? [args.epilogue.gate] : [];
  if ([args.input, args.out, args.weights, ...epilogueInputs].some((t) => t.buffer === scratch.buffer)) {
    throw new InvalidArgumentError('scratch', 'must not share its buffer with the input, weights, gate, residual or output');
  }
  const compactOut: Tensor = { buffer: scratch.buffer, shape: [pixels, cout] };
  const denseOut: Tensor = { buffer: scratch.buffer, shape: [1, h, w, cout] };
  requireShape('gamma', args.gamma, [cout]);
  requireShape('beta', args.beta, [cout]);
  // Both statistics fold into the same buffer: in `auto` exactly one of them runs.
  const affine = foldedAffineBuffer(scope, cout);
  const gn = { groups: args.groups, eps: args.eps, fold: { gamma: args.gamma, beta: args.beta, affine } };

  const programs: KernelProgram[] = [];
  let argsInfo: DispatchArgs | undefined;
  const runSparse = strategy.mode !== 'dense';
  const runDense = strategy.mode !== 'sparse';
  const gated = strategy.mode === 'auto';
  // Statistics over the active pixels only: of the compact rows (work ∝ count) or of the dense
  // map under its mask. Sized first, because the dispatch-args specs need their shapes.
  const sparseStats = runSparse
    ? maskedGroupStatsPrograms(scope, compactOut, { ...gn, pixels: { mode: 'rows', count: strategy.active.count } })
    : undefined;
  const denseStats = runDense ? maskedGroupStatsPrograms(scope, denseOut, { ...gn, pixels: { mode: 'mask', mask } }) : undefined;
  const denseConv = runDense ? conv2dProgram(scope, { input: args.input, weights: args.weights, padding: 1, out: denseOut }) : undefined;

  if (runSparse) {
    const active = (strategy as { active: ActiveSet }).active;
    const st = sparseStats!;
    const fixed = (p: KernelProgram, when: 'sparse' | 'dense'): DispatchSpec => ({
      kind: 'fixed',
      size: p.dispatch as readonly [number, number, number],
      when,
    });
    // Entry order: 0 sparse conv, 1 sparse partial stats, 2 sparse finalize, then (auto only)
    // 3 dense conv, 4 dense partial stats, 5 dense finalize.
    const specs: DispatchSpec[] = [
      { kind: 'rows-y', x: Math.ceil(cout / CONV2D_TILE_COLS), rowsPerWorkgroup: CONV2D_INDEXED_TILE_ROWS, when: 'sparse' },
      { kind: 'rows-y', x: st.groupTiles, rowsPerWorkgroup: st.chunkRows, when: 'sparse' },
      fixed(st.programs[1], 'sparse'),
    ];
    if (gated) specs.push(fixed(denseConv!, 'dense'), fixed(denseStats!.programs[0], 'dense'), fixed(denseStats!.programs[1], 'dense'));
    const limit = strategy.mode === 'auto' ? sparseLimitFor(strategy.crossover, pixels) : pixels;
    argsInfo = dispatchArgsProgram(scope, active.count, specs, limit);
    const a = argsInfo;
    programs.push(
      a.program,
      conv2dProgram(scope, {
        input: args.input,
        weights: args.weights,
        padding: 1,
        out: compactOut,
        rows: { mode: 'indexed', rows: active.rows, count: active.count, placement: 'compact', indirect: { buffer: a.buffer, offset: 0 } },
      }),
      { ...st.programs[0], dispatch: a.dispatch(1) },
      { ...st.programs[1], dispatch: a.dispatch(2) },
    );
  }
  if (runDense) {
    const st = denseStats!;
    if (gated) {
      const a = argsInfo!;
      programs.push({ ...denseConv!, dispatch: a.dispatch(3) }, { ...st.programs[0], dispatch: a.dispatch(4) }, { ...st.programs[1], dispatch: a.dispatch(5) });
    } else {
      programs.push(denseConv!, ...st.programs);
    }
  }
  programs.push(
    sparseEpilogueProgram(scope, {
      conv: scratch,
      pixels,
      channels: cout,
      affine,
      mask,
      indexMap: runSparse ? (strategy as { active: ActiveSet }).active.indexMap : undefined,
      epilogue: args.epilogue,
      out: args.out,
    }),
  );
  return { programs, args: argsInfo };
}
