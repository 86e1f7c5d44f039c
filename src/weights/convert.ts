/**
 * Checkpoint → `.dhw` conversion: read the checkpoint (safely), infer the architecture, check
 * every tensor the engine needs is present with the right shape, fold FrozenBN into the convs,
 * and write the weights file (optionally with f16 conv weights).
 */
import { CheckpointFormatError, CheckpointMismatchError, DynamicHeadError, InvalidArgumentError } from '../errors';
import { inferArchitecture } from './architecture';
import { readCheckpoint, type CheckpointFormat } from './checkpoint/read-checkpoint';
import type { SourceTensor } from './checkpoint/source-tensor';
import {
  ARCHITECTURE,
  configProblems,
  DEFAULT_MODEL_CONFIG,
  withOverrides,
  type HeadKind,
  type ModelConfig,
  type ModelConfigOverrides,
} from './config';
import { crc32 } from './crc32';
import { BN_PARAMS, expectedTensors, type ExpectedTensor, type HeadLayout } from './engine-tensors';
import { f32ArrayToF16 } from './f16';
import { COCO_CLASS_NAMES } from './coco-classes';
import { classNameProblems, encodeFileHead, layoutTensors, type TensorInfo, type WeightsDType, type WeightsHeader } from './format';

export const CONVERTER_ID = 'dynamic-head-webgpu convert 1';

export interface ConvertProgress {
  readonly stage: 'read' | 'tensors' | 'done';
  /** Tensors written so far (stage 'tensors'). */
  readonly done: number;
  readonly total: number;
  readonly name?: string;
}

export interface ConvertOptions {
  /** Store 4-D (conv) weights as f16; biases, norms and scalars stay f32. */
  readonly fp16?: boolean;
  /** Overrides the inferred head kind ('dynamic' needs the gate parameters). */
  readonly headKind?: HeadKind;
  /** Settings the checkpoint cannot tell (gate activation, input size, test thresholds, ...). */
  readonly config?: ModelConfigOverrides;
  /** Recorded in the header. */
  readonly fileName?: string;
  /**
   * Class names by class id, recorded in the header (default: the 80 COCO names for an 80-class
   * checkpoint, none otherwise; `[]` records none).
   */
  readonly classNames?: readonly string[];
  readonly onProgress?: (progress: ConvertProgress) => void;
}

export interface ConversionResult {
  /** The complete `.dhw` file. */
  readonly bytes: Uint8Array;
  readonly header: WeightsHeader;
  readonly config: ModelConfig;
  readonly format: CheckpointFormat;
  /** Checkpoint tensors the model does not use (reported, not written). */
  readonly unexpected: readonly string[];
  /** Human-readable notes: unexpected tensors, ignored entries. */
  readonly warnings: readonly string[];
}

/** Tensors that carry no inference information and are dropped silently. */
const IGNORABLE = /(^|\.)num_batches_tracked$/;

export function convertCheckpoint(input: Uint8Array | ArrayBuffer, options: ConvertOptions = {}): ConversionResult {
  try {
    return convert(input, options);
  } catch (e) {
    if (e instanceof DynamicHeadError) throw e;
    // Tensors are materialised lazily, so a malformed storage can surface here as a RangeError.
    throw new CheckpointFormatError(`malformed checkpoint (${e instanceof Error ? e.message : String(e)})`);
  }
}

function convert(input: Uint8Array | ArrayBuffer, options: ConvertOptions): ConversionResult {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  options.onProgress?.({ stage: 'read', done: 0, total: 0 });
  const checkpoint = readCheckpoint(bytes);
  const sources = checkpoint.tensors;
  const shapes = new Map([...sources].map(([n, t]) => [n, t.shape]));
  const arch = inferArchitecture(shapes);
  const config = buildConfig(arch, options);
  const expected = expectedTensors(config, headLayoutFor(config.head.kind, arch.headLayout));
  checkShapes(expected, sources, config.head.kind);

  const used = new Set(expected.flatMap((e) => e.sources.map((s) => s.name)));
  const unexpected = [...sources.keys()].filter((n) => !used.has(n) && !IGNORABLE.test(n));
  const warnings: string[] = [];
  if (unexpected.length > 0) warnings.push(`${unexpected.length} checkpoint tensor(s) not used by the model: ${unexpected.join(', ')}`);
  if (checkpoint.nonTensorEntries.length > 0) {
    warnings.push(`ignored non-tensor state dict entries: ${checkpoint.nonTensorEntries.join(', ')}`);
  }

  const dtypeOf = (e: ExpectedTensor): WeightsDType => (options.fp16 && e.shape.length === 4 ? 'f16' : 'f32');
  const layout = layoutTensors(expected.map((e) => ({ name: e.name, shape: e.shape, dtype: dtypeOf(e) })));
  const source = { fileName: options.fileName ?? '', format: checkpoint.format, converter: CONVERTER_ID };
  // The header's size does not depend on the CRCs (fixed32), so place the data first, then
  // write the header with the real CRCs into the space reserved for it.
  const classNames = options.classNames ?? (config.head.numClasses === COCO_CLASS_NAMES.length ? COCO_CLASS_NAMES : []);
  if (classNames.length > 0) {
    const problems = classNameProblems(classNames, config.head.numClasses);
    if (problems.length > 0) throw new InvalidArgumentError('class names', problems.join('; '));
  }
  const draft: WeightsHeader = { config, tensors: layout.tensors, dataLength: layout.dataLength, source, ...(classNames.length > 0 ? { classNames } : {}) };
  const dataStart = encodeFileHead(draft).length;
  const out = new Uint8Array(dataStart + layout.dataLength);

  const folder = new BnFolder(sources, config.backbone.frozenBnEps);
  const tensors: TensorInfo[] = [];
  let materialised = 0;
  const budget = 8 * bytes.length + (256 << 20);
  expected.forEach((e, i) => {
    const info = layout.tensors[i];
    materialised += info.byteLength;
    if (materialised > budget) throw new CheckpointFormatError('the checkpoint expands to implausibly many values');
    const at = dataStart + info.offset;
    const numel = info.byteLength / (info.dtype === 'f16' ? 2 : 4);
    const f32 =
      info.dtype === 'f32' ? new Float32Array(out.buffer, at, numel) : new Float32Array(numel);
    produce(e, sources, folder, f32);
    if (info.dtype === 'f16') f32ArrayToF16(f32, new Uint16Array(out.buffer, at, numel));
    tensors.push({ ...info, crc32: crc32(out.subarray(at, at + info.byteLength)) });
    options.onProgress?.({ stage: 'tensors', done: i + 1, total: expected.length, name: e.name });
  });

  const header: WeightsHeader = { ...draft, tensors };
  const head = encodeFileHead(header);
  if (head.length !== dataStart) throw new Error('internal: header size changed between passes');
  out.set(head);
  options.onProgress?.({ stage: 'done', done: expected.length, total: expected.length });
  return { bytes: out, header, config, format: checkpoint.format, unexpected, warnings };
}

/** The checkpoint's head layout, checked against the head kind asked for. */
function headLayoutFor(kind: HeadKind, layout: HeadLayout): HeadLayout {
  const names: Record<HeadLayout, string> = { dynamic: 'a dynamic-head (DynamicScale) checkpoint', fix: 'an official Fix-head (FCOSFixHead) checkpoint', fcos: 'an FCOS baseline (FCOSHead) checkpoint' };
  const fits = kind === 'fcos' ? layout === 'fcos' : kind === 'fixed' ? layout !== 'fcos' : layout === 'dynamic';
  if (!fits) throw new CheckpointMismatchError([], [], `a ${kind} head cannot be built from ${names[layout]}`);
  return layout;
}

function buildConfig(arch: ReturnType<typeof inferArchitecture>, options: ConvertOptions): ModelConfig {
  const d = DEFAULT_MODEL_CONFIG;
  const inferred: ModelConfig = {
    architecture: ARCHITECTURE,
    backbone: {
      ...d.backbone,
      depth: arch.depth,
      stageBlocks: arch.stageBlocks,
      stemChannels: arch.stemChannels,
      res2Channels: arch.res2Channels,
      widthPerGroup: arch.widthPerGroup,
      numGroups: arch.numGroups,
    },
    fpn: { ...d.fpn, channels: arch.fpnChannels, topBlockInput: arch.topBlockInput },
    head: {
      ...d.head,
      kind: options.headKind ?? arch.headKind,
      channels: arch.headChannels,
      routersPerTower: arch.routersPerTower,
      numClasses: arch.numClasses,
    },
    input: d.input,
    test: d.test,
  };
  const config = withOverrides(inferred, options.config);
  const problems = configProblems(config);
  if (config.head.channels !== config.fpn.channels) {
    problems.push(`head width ${config.head.channels} differs from the FPN width ${config.fpn.channels}`);
  }
  if (problems.length > 0) {
    if (options.config) throw new InvalidArgumentError('config', problems.join('; '));
    throw new CheckpointFormatError(`the checkpoint's shapes give an unusable configuration: ${problems.join('; ')}`);
  }
  return config;
}

const sameShape = (actual: readonly number[], expected: readonly number[]) =>
  // A scalar parameter may be saved as shape [] or [1].
  (actual.length === expected.length && actual.every((d, i) => d === expected[i])) ||
  (actual.length === 0 && expected.length === 1 && expected[0] === 1);

function checkShapes(expected: readonly ExpectedTensor[], sources: ReadonlyMap<string, SourceTensor>, kind: HeadKind): void {
  const missing = new Set<string>();
  const misshaped = new Map<string, { name: string; expected: readonly number[]; actual: readonly number[] }>();
  for (const e of expected) {
    for (const s of e.sources) {
      const t = sources.get(s.name);
      if (!t) missing.add(s.name);
      else if (!sameShape(t.shape, s.shape)) misshaped.set(s.name, { name: s.name, expected: s.shape, actual: t.shape });
    }
  }
  if (missing.size > 0 || misshaped.size > 0) {
    const gatesOnly = [...missing].every((n) => n.includes('.gate.gate_conv.'));
    const context = kind === 'dynamic' && gatesOnly && misshaped.size === 0 ? 'a dynamic head needs gate parameters; use --head fixed' : '';
    throw new CheckpointMismatchError([...missing], [...misshaped.values()], context);
  }
}

/** Computes each FrozenBN's per-channel scale γ/√(var+eps) once, in f64, for weight and bias. */
class BnFolder {
  private readonly scales = new Map<string, Float64Array>();
  constructor(
    private readonly sources: ReadonlyMap<string, SourceTensor>,
    private readonly eps: number,
  ) {}

  scale(conv: string): Float64Array {
    let s = this.scales.get(conv);
    if (!s) {
      const gamma = this.param(conv, 'weight');
      const variance = this.param(conv, 'running_var');
      s = new Float64Array(gamma.length);
      for (let i = 0; i < s.length; i++) {
        const v = variance[i] + this.eps;
        if (!(v > 0)) throw new CheckpointFormatError(`${conv}.norm.running_var[${i}] is negative or NaN`);
        s[i] = gamma[i] / Math.sqrt(v);
      }
      this.scales.set(conv, s);
    }
    return s;
  }

  /** Done with a conv (its bias is written after its weight). */
  release(conv: string): void {
    this.scales.delete(conv);
  }

  param(conv: string, p: (typeof BN_PARAMS)[number]): Float64Array {
    return (this.sources.get(`${conv}.norm.${p}`) as SourceTensor).toFloat64();
  }
}

function produce(e: ExpectedTensor, sources: ReadonlyMap<string, SourceTensor>, folder: BnFolder, out: Float32Array): void {
  const r = e.recipe;
  switch (r.kind) {
    case 'copy':
      (sources.get(r.source) as SourceTensor).toFloat32(out);
      return;
    case 'fill':
      out.fill(r.value);
      return;
    case 'fold-weight': {
      const scale = folder.scale(r.conv);
      const w = (sources.get(`${r.conv}.weight`) as SourceTensor).toFloat32(out);
      const inner = w.length / scale.length;
      for (let o = 0; o < scale.length; o++) {
        const s = scale[o];
        for (let j = o * inner, end = j + inner; j < end; j++) w[j] = w[j] * s;
      }
      return;
    }
    case 'fold-bias': {
      const scale = folder.scale(r.conv);
      const beta = folder.param(r.conv, 'bias');
      const mean = folder.param(r.conv, 'running_mean');
      for (let o = 0; o < scale.length; o++) out[o] = beta[o] - mean[o] * scale[o];
      folder.release(r.conv);
      return;
    }
  }
}
