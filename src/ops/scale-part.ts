import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import { headDepthwiseProgram, ScalePathRows } from './head-depthwise';
import { headGateProgram, levelMask, type GateActivation } from './head-gate';
import type { PackedLevels } from './packed-levels';
import { scaleFuseProgram, scaleSegments } from './scale-fuse';
import { segmentStatsPartials, segmentStatsPrograms, segmentTableData } from './segment-stats';
import type { Tensor } from './tensor';

/**
 * The scale part of a router (spec §4.2, DynamicScale) over the packed head, both towers at once:
 * [both paths' spatial gates] → both paths' depthwise convs → their GroupNorm statistics per
 * (path, tower, level) → normalise · gate → bilinear to the neighbouring level → Σ → axpby.
 * Four or five dispatches whatever the number of levels.
 */
export interface ScalePartArgs {
  readonly levels: PackedLevels;
  /** The router input, packed [T, R, C] or [1, R, C] shared by the towers (the FPN). */
  readonly input: Tensor;
  /** Dynamic head: the two paths' gates ([T, 2, 9, C] weights, [T, 2] bias) into `out` [2, T, R]. */
  readonly gates?: {
    readonly weights: Tensor;
    readonly bias: Tensor;
    readonly out: Tensor;
    readonly logits?: Tensor;
    readonly activation: GateActivation;
    readonly tau: number;
  };
  /** Depthwise weights [T, 2, 9, C], bias [T, 2, C], GroupNorm affines [2·T, 2, C]. */
  readonly depthwise: { readonly weights: Tensor; readonly bias: Tensor; readonly norm: Tensor };
  /** [2, T]: scale_weight, then output_weight, per tower. */
  readonly mix: Tensor;
  readonly groups: number;
  readonly eps: number;
  /** Workspace: see scalePartScratch. */
  readonly scratch: { readonly d: Tensor; readonly affine: Tensor; readonly partials: Tensor };
  /** [T, R, C] ← y. */
  readonly out: Tensor;
}

/** Shapes of the scale part's workspace tensors. */
export function scalePartScratch(levels: PackedLevels, channels: number, groups: number): { d: number[]; affine: number[]; partials: number[] } {
  const rows = new ScalePathRows(levels);
  const segments = 2 * levels.towers * (levels.levels - 1);
  return {
    d: [rows.total, channels],
    affine: [segments, 3, channels],
    partials: [segmentStatsPartials({ maxRows: rows.total, segments }, groups), 4],
  };
}

export function scalePartPrograms(scope: BufferScope, args: ScalePartArgs): KernelProgram[] {
  const { levels, gates, scratch } = args;
  const rows = new ScalePathRows(levels);
  const programs: KernelProgram[] = [];
  if (gates) {
    programs.push(
      headGateProgram(scope, {
        levels,
        input: args.input,
        weights: gates.weights,
        bias: gates.bias,
        consumed: [levelMask(levels.levels, [levels.levels - 1]), levelMask(levels.levels, [0])],
        gate: gates.out,
        logits: gates.logits,
        activation: gates.activation,
        tau: gates.tau,
      }),
    );
  }
  programs.push(headDepthwiseProgram(scope, { levels, input: args.input, weights: args.depthwise.weights, bias: args.depthwise.bias, out: scratch.d }));
  const segments = scaleSegments(levels);
  programs.push(
    ...segmentStatsPrograms(scope, {
      values: scratch.d,
      table: { buffer: scope.upload(segmentTableData(segments), 'scale segments'), meta: 0, segments: segments.length, maxRows: rows.total },
      groups: args.groups,
      eps: args.eps,
      norm: args.depthwise.norm,
      segmentsPerSet: levels.levels - 1,
      affine: scratch.affine,
      partials: scratch.partials,
    }),
    scaleFuseProgram(scope, { levels, input: args.input, depthwise: scratch.d, gates: gates?.out, affine: scratch.affine, weights: args.mix, out: args.out }),
  );
  return programs;
}
