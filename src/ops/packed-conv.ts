import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, type IndirectDispatch, type KernelProgram } from '../gpu/kernel';
import type { ActiveList, ActiveListsLayout } from './active-lists';
import { CONV2D_INDEXED_TILE_ROWS, CONV2D_SLOTS, CONV2D_TILE_ROWS, conv2dParams, conv2dThreadCols, conv2dTileCols, type Conv2dGeometry } from './conv2d';
import { levelTable, MAX_PACKED_LEVELS, type PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/**
 * The head's 3×3 convs over the packed layout with `shaders/conv2d.wgsl` in PACKED mode: every
 * level of every tower in one dispatch (workgroup z = tower, weights stacked per tower), zero
 * padding at each row's own level. The dense head (fixed, predictors, the fallback) and the
 * sparse one (an active-row list from the compaction, indirect dispatch) are the same kernel.
 */

/** Which rows of each tower the conv computes. */
export type PackedConvRows =
  | { readonly mode: 'all' }
  /** The tower's part of a compaction list; the dispatch comes from the compaction too. */
  | { readonly mode: 'list'; readonly lists: Tensor; readonly layout: ActiveListsLayout; readonly list: ActiveList; readonly dispatch: IndirectDispatch };

/** What the conv reads. */
export type PackedConvInput =
  /** A packed [T_in, R, C] activation; `tower` picks one of its towers when the conv has fewer. */
  | { readonly kind: 'plain'; readonly tensor: Tensor; readonly tower?: number }
  /**
   * The previous conv's rows [rows, C], normalised (GroupNorm fold `affine` [S, 3, C]) and ReLU'd
   * as they are gathered; a pixel's row comes from `map` (a compaction list's map) or is the pixel
   * itself ('identity', a dense previous conv). Pixels without a row read 0.
   */
  | { readonly kind: 'normalised'; readonly tensor: Tensor; readonly affine: Tensor; readonly map: { readonly lists: Tensor; readonly layout: ActiveListsLayout; readonly list: ActiveList } | 'identity' };

export interface PackedConvArgs {
  readonly levels: PackedLevels;
  readonly input: PackedConvInput;
  /** [T, 3, 3, Cin, Cout] stacked per tower, or HWIO [3, 3, Cin, Cout] for one tower. */
  readonly weights: Tensor;
  readonly bias?: Tensor;
  readonly rows: PackedConvRows;
  /** `compact`: list row r → out row (first + r), out [T·R, Cout]; `pixel`: packed [T, R, Cout]. */
  readonly placement: 'compact' | 'pixel';
  /** The box predictor's epilogue: columns < 4 become max(v · scales[l] · strides[l], 0). */
  readonly box?: { readonly scales: Tensor; readonly strides: readonly number[] };
  readonly out: Tensor;
}

export function packedConvProgram(scope: BufferScope, args: PackedConvArgs): KernelProgram {
  const { levels, input, rows } = args;
  const towers = levels.towers;
  const source = input.tensor;
  let cin: number;
  let inTowerStride = 0;
  let inRowBase = 0;
  if (input.kind === 'plain') {
    const [t, r, c] = source.shape as [number, number, number];
    if (source.shape.length !== 3 || r !== levels.rows) throw new InvalidArgumentError('input', `expected packed [T, ${levels.rows}, C], got [${source.shape.join(', ')}]`);
    cin = c;
    const tower = input.tower ?? 0;
    if (t === towers) inTowerStride = levels.rows;
    else if (t === 1 && towers > 1) inTowerStride = 0;
    else if (towers === 1 && tower < t) inRowBase = tower * levels.rows;
    else throw new InvalidArgumentError('input', `a ${t}-tower input does not fit a ${towers}-tower conv`);
  } else {
    if (source.shape.length !== 2 || source.shape[0]! < levels.totalRows) throw new InvalidArgumentError('input', `expected rows [≥ ${levels.totalRows}, C], got [${source.shape.join(', ')}]`);
    cin = source.shape[1]!;
    requireShape('affine', input.affine, [levels.segments, 3, cin]);
  }
  const stacked = args.weights.shape.length === 5;
  const [kh, kw, wcin, cout] = (stacked ? args.weights.shape.slice(1) : args.weights.shape) as [number, number, number, number];
  if ((stacked ? args.weights.shape[0] !== towers : towers !== 1) || kh !== 3 || kw !== 3 || wcin !== cin) {
    throw new InvalidArgumentError('weights', `expected [${towers}, 3, 3, ${cin}, Cout], got [${args.weights.shape.join(', ')}]`);
  }
  if (args.bias) requireShape('bias', args.bias, [cout]);
  if (args.placement === 'compact' && rows.mode !== 'list') throw new InvalidArgumentError('placement', "compact rows need a row list (use 'pixel' for every row)");
  requireShape('out', args.out, args.placement === 'compact' ? [levels.totalRows, cout] : [towers, levels.rows, cout]);
  if (args.box) {
    requireShape('box scales', args.box.scales, [levels.levels]);
    if (cout < 4) throw new InvalidArgumentError('box', `the box epilogue needs ≥ 4 output channels, got ${cout}`);
  }
  const lists = rows.mode === 'list' ? rows.lists : input.kind === 'normalised' && input.map !== 'identity' ? input.map.lists : undefined;
  if (rows.mode === 'list' && input.kind === 'normalised' && input.map !== 'identity' && input.map.lists.buffer !== rows.lists.buffer) {
    throw new InvalidArgumentError('input', 'the input map and the row list must come from the same compaction buffer');
  }
  const inputs = [source, args.weights, args.bias, lists, input.kind === 'normalised' ? input.affine : undefined, args.box?.scales];
  if (inputs.some((t) => t?.buffer === args.out.buffer)) throw new InvalidArgumentError('out', 'must not share its buffer with an input');
  if (Math.ceil(levels.rows / CONV2D_INDEXED_TILE_ROWS) > 65535) throw new InvalidArgumentError('levels', `${levels.rows} rows per tower need more than 65535 row tiles`);

  const g: Conv2dGeometry = { batch: 1, inH: 1, inW: levels.rows, cin, kh: 3, kw: 3, cout, stride: 1, padY: 1, padX: 1, outH: 1, outW: levels.rows };
  const listLayout = rows.mode === 'list' ? rows : undefined;
  const mapLayout = input.kind === 'normalised' && input.map !== 'identity' ? input.map : undefined;
  const params = conv2dParams(
    g,
    [
      inTowerStride,
      inRowBase,
      stacked ? 9 * cin * cout : 0,
      listLayout ? listLayout.layout.meta[listLayout.list] : 0,
      listLayout ? listLayout.layout.rows[listLayout.list] : 0,
      mapLayout ? mapLayout.layout.map[mapLayout.list] : 0,
    ],
    args.box ? Array.from({ length: MAX_PACKED_LEVELS }, (_, l) => args.box!.strides[l] ?? 1) : [],
  );
  const tileRows = rows.mode === 'list' ? CONV2D_INDEXED_TILE_ROWS : CONV2D_TILE_ROWS;
  // The same choice as the compaction's indirect arguments for a list (headCompactProgram).
  const tileCols = conv2dTileCols(cout);
  const unused = (what: string) => scope.storage(16, `packed conv: no ${what}`);
  return {
    label: `packed conv 3×3 ${cin}→${cout} ×${towers} (${rows.mode === 'list' ? `${rows.list} rows` : 'all rows'}${input.kind === 'normalised' ? ', GN+ReLU on load' : ''})`,
    shader: 'conv2d',
    constants: {
      PACKED: 1,
      ROWS_LIST: rows.mode === 'list' ? 1 : 0,
      NORM_INPUT: input.kind === 'normalised' ? 1 : 0,
      NORM_IDENTITY: input.kind === 'normalised' && input.map === 'identity' ? 1 : 0,
      OUT_COMPACT: args.placement === 'compact' ? 1 : 0,
      PRED_BOX: args.box ? 1 : 0,
      VEC4_A: cin % 4 === 0 ? 1 : 0,
      VEC4_B: cout % 4 === 0 ? 1 : 0,
      HAS_BIAS: args.bias ? 1 : 0,
      TILE_M: tileRows,
      TILE_N: tileCols,
      THREAD_COLS: conv2dThreadCols(tileCols),
    },
    bindings: bindSlots(CONV2D_SLOTS, {
      params: scope.uniform(params, 'packed conv params'),
      x: source.buffer,
      weights: args.weights.buffer,
      bias: args.bias?.buffer ?? unused('bias'),
      residual: unused('residual'),
      lists: lists?.buffer ?? unused('row lists'),
      aux: (input.kind === 'normalised' ? input.affine.buffer : args.box?.scales.buffer) ?? unused('aux'),
      out: args.out.buffer,
      levels: levelTable(scope, levels),
    }),
    dispatch: rows.mode === 'list' ? rows.dispatch : [Math.ceil(cout / tileCols), Math.ceil(levels.rows / tileRows), towers],
  };
}
