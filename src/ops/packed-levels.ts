import { InvalidArgumentError } from '../errors';
import { UniformWriter } from '../gpu/kernel';

/** Most FPN levels the packed layout's GPU table holds (shaders/include/packed-levels.wgsl). */
export const MAX_PACKED_LEVELS = 8;

/**
 * The packed head layout: all FPN levels of a tower in one block of `rows` rows, rows = (level,
 * y, x) in level order (NHWC), `towers` blocks one after another. The dynamic head treats the
 * level and the tower the way sparse-conv engines treat the batch index: as part of a row's
 * coordinate, so one dispatch covers every level of both towers. A (tower, level) pair is a
 * segment `t·L + l`: GroupNorm statistics and active-pixel counts are per segment.
 */
export class PackedLevels {
  /** First row of each level within a tower. */
  readonly offsets: readonly number[];
  /** R: rows per tower. */
  readonly rows: number;

  constructor(
    readonly sizes: readonly (readonly [number, number])[],
    readonly towers: number,
  ) {
    if (sizes.length < 1 || sizes.length > MAX_PACKED_LEVELS) {
      throw new InvalidArgumentError('levels', `expected 1 to ${MAX_PACKED_LEVELS} levels, got ${sizes.length}`);
    }
    if (!Number.isInteger(towers) || towers < 1) throw new InvalidArgumentError('towers', `expected a positive integer, got ${towers}`);
    const offsets: number[] = [];
    let rows = 0;
    for (const [h, w] of sizes) {
      if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
        throw new InvalidArgumentError('levels', `level sizes must be positive integers, got ${h}×${w}`);
      }
      offsets.push(rows);
      rows += h * w;
    }
    this.offsets = offsets;
    this.rows = rows;
  }

  get levels(): number {
    return this.sizes.length;
  }

  /** Segments (tower, level pairs). */
  get segments(): number {
    return this.towers * this.levels;
  }

  /** Rows over all towers. */
  get totalRows(): number {
    return this.towers * this.rows;
  }

  pixels(level: number): number {
    const [h, w] = this.sizes[level]!;
    return h * w;
  }

  /** The same levels with another tower count (e.g. one tower for the predictors). */
  withTowers(towers: number): PackedLevels {
    return new PackedLevels(this.sizes, towers);
  }

  /** The `PackedLevels` uniform of packed-levels.wgsl. */
  uniformBytes(): ArrayBuffer {
    const quads = (values: readonly number[]) => Array.from({ length: MAX_PACKED_LEVELS }, (_, i) => values[i] ?? 0);
    return new UniformWriter()
      .u32(this.levels, this.rows, this.towers, 0)
      .u32(...quads(this.offsets))
      .u32(...quads(this.sizes.map(([h]) => h)))
      .u32(...quads(this.sizes.map(([, w]) => w)))
      .bytes();
  }

  /** Where packed row p (over all towers) sits: tower, level, y, x. */
  locate(p: number): { tower: number; level: number; y: number; x: number } {
    const tower = Math.floor(p / this.rows);
    const q = p - tower * this.rows;
    let level = 0;
    for (let l = 1; l < this.levels; l++) if (q >= this.offsets[l]!) level = l;
    const w = this.sizes[level]![1];
    const local = q - this.offsets[level]!;
    return { tower, level, y: Math.floor(local / w), x: local % w };
  }
}

const tables = new WeakMap<object, Map<string, GPUBuffer>>();

/**
 * The uniform buffer of `levels` in `scope`, made once per scope and layout: every program of a
 * plan binds the same small table.
 */
export function levelTable(scope: { uniform(bytes: ArrayBuffer, label?: string): GPUBuffer }, levels: PackedLevels): GPUBuffer {
  let byLayout = tables.get(scope);
  if (!byLayout) tables.set(scope, (byLayout = new Map()));
  const key = `${levels.towers}:${levels.sizes.map(([h, w]) => `${h}x${w}`).join(',')}`;
  let buffer = byLayout.get(key);
  if (!buffer) byLayout.set(key, (buffer = scope.uniform(levels.uniformBytes(), 'packed level table')));
  return buffer;
}

/** Checks a packed activation [T, R, C] against `levels` (C a multiple of 4 for vec4 access). */
export function requirePacked(name: string, tensor: { readonly shape: readonly number[]; readonly buffer: GPUBuffer }, levels: PackedLevels, towers: number, channels?: number): number {
  const [t, r, c] = tensor.shape as [number, number, number];
  if (tensor.shape.length !== 3 || t !== towers || r !== levels.rows || (channels !== undefined && c !== channels)) {
    throw new InvalidArgumentError(
      name,
      `expected packed [${towers}, ${levels.rows}, ${channels ?? 'C'}], got [${tensor.shape.join(', ')}]`,
    );
  }
  if (tensor.buffer.size < t * r * c * 4) throw new InvalidArgumentError(name, `buffer holds ${tensor.buffer.size} bytes, needs ${t * r * c * 4}`);
  return c;
}
