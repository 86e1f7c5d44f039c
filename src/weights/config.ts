/**
 * The model configuration a weights file carries: everything the engine needs to build the
 * network and run pre/post-processing, inferred from the checkpoint's shapes where possible and
 * otherwise the official defaults (spec §1–§5).
 */
import { WeightsFormatError } from '../errors';

/**
 * - `dynamic`: the fine-grained dynamic head (routers with spatial gates, masked depth convs);
 * - `fixed`: the same routers with every gate 1 (the official "Fix" baseline, dense);
 * - `fcos`: the plain FCOS head (cvpods FCOSHead): per tower 2·D × (conv 3×3 + GN + ReLU).
 */
export type HeadKind = 'dynamic' | 'fixed' | 'fcos';
export type GateActivation = 'geretanh' | 'retanh' | 'sigmoid';
export type TopBlockInput = 'c5' | 'p5';
export type InputFormat = 'BGR' | 'RGB';

export interface BackboneConfig {
  /** ResNet depth (50 for [3, 4, 6, 3]). */
  readonly depth: number;
  readonly stageBlocks: readonly number[];
  readonly stemChannels: number;
  /** Output channels of res2; each later stage doubles them. */
  readonly res2Channels: number;
  /** Bottleneck width per group at res2; doubles per stage. */
  readonly widthPerGroup: number;
  readonly numGroups: number;
  /** The stride of a stage's first block sits in its first 1×1 conv (MSRA). */
  readonly strideIn1x1: boolean;
  /** FrozenBN epsilon; already folded into the conv weights and biases. */
  readonly frozenBnEps: number;
}

export interface FpnConfig {
  readonly channels: number;
  readonly inFeatures: readonly string[];
  /** Whether P6 is computed from C5 (default) or P5. */
  readonly topBlockInput: TopBlockInput;
  readonly strides: readonly number[];
}

export interface HeadConfig {
  readonly kind: HeadKind;
  readonly channels: number;
  /** D: routers per tower (NUM_CONVS / 2); an FCOS baseline head has 2·D convs per tower (NUM_CONVS). */
  readonly routersPerTower: number;
  readonly numClasses: number;
  readonly gnGroups: number;
  readonly gnEps: number;
  readonly gateActivation: GateActivation;
  readonly gateTau: number;
  readonly centernessOnReg: boolean;
  readonly normRegTargets: boolean;
}

export interface InputConfig {
  readonly format: InputFormat;
  readonly pixelMean: readonly number[];
  readonly pixelStd: readonly number[];
  readonly sizeDivisibility: number;
  readonly minSize: number;
  readonly maxSize: number;
}

export interface TestConfig {
  readonly scoreThresh: number;
  /** Candidates kept per level before NMS. */
  readonly topkCandidates: number;
  readonly nmsThresh: number;
  readonly maxDetections: number;
}

export interface ModelConfig {
  readonly architecture: string;
  readonly backbone: BackboneConfig;
  readonly fpn: FpnConfig;
  readonly head: HeadConfig;
  readonly input: InputConfig;
  readonly test: TestConfig;
}

export const ARCHITECTURE = 'fcos-resnet-fpn-dynamic-head';

/** The official FCOS-R50 dynamic head D8 configuration. */
export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  architecture: ARCHITECTURE,
  backbone: {
    depth: 50,
    stageBlocks: [3, 4, 6, 3],
    stemChannels: 64,
    res2Channels: 256,
    widthPerGroup: 64,
    numGroups: 1,
    strideIn1x1: true,
    frozenBnEps: 1e-5,
  },
  fpn: { channels: 256, inFeatures: ['res3', 'res4', 'res5'], topBlockInput: 'c5', strides: [8, 16, 32, 64, 128] },
  head: {
    kind: 'dynamic',
    channels: 256,
    routersPerTower: 8,
    numClasses: 80,
    gnGroups: 32,
    gnEps: 1e-5,
    gateActivation: 'geretanh',
    gateTau: 1.5,
    centernessOnReg: true,
    normRegTargets: true,
  },
  input: {
    format: 'BGR',
    pixelMean: [103.53, 116.28, 123.675],
    pixelStd: [1, 1, 1],
    sizeDivisibility: 32,
    minSize: 800,
    maxSize: 1333,
  },
  test: { scoreThresh: 0.05, topkCandidates: 1000, nmsThresh: 0.6, maxDetections: 100 },
};

/** Per-section partial overrides (what a converter caller may set explicitly). */
export type ModelConfigOverrides = {
  readonly [S in Exclude<keyof ModelConfig, 'architecture'>]?: Partial<ModelConfig[S]>;
};

export function withOverrides(base: ModelConfig, overrides: ModelConfigOverrides = {}): ModelConfig {
  return {
    architecture: base.architecture,
    backbone: { ...base.backbone, ...overrides.backbone },
    fpn: { ...base.fpn, ...overrides.fpn },
    head: { ...base.head, ...overrides.head },
    input: { ...base.input, ...overrides.input },
    test: { ...base.test, ...overrides.test },
  };
}

/** The FPN levels the engine builds (P3–P7) and the backbone stages feeding P3–P5. */
export const FPN_LEVEL_STRIDES: readonly number[] = [8, 16, 32, 64, 128];
export const FPN_IN_FEATURES: readonly string[] = ['res3', 'res4', 'res5'];
const GATE_ACTIVATIONS: readonly GateActivation[] = ['geretanh', 'retanh', 'sigmoid'];
const HEAD_KINDS: readonly HeadKind[] = ['dynamic', 'fixed', 'fcos'];

/**
 * Every problem with a configuration (empty when it is usable), each naming its field. Strict on
 * purpose: a header value the engine would silently reinterpret (a stride that does not match
 * its level, an unknown feature name, a zero std, a threshold outside its range, a non-finite
 * gate parameter) is refused rather than run.
 */
export function configProblems(c: ModelConfig): string[] {
  const problems: string[] = [];
  const one = (v: unknown) => (typeof v === 'string' ? `"${v.slice(0, 80)}"` : String(v));
  const show = (v: unknown) => (Array.isArray(v) ? `[${v.slice(0, 8).map(one).join(', ')}${v.length > 8 ? ', …' : ''}]` : one(v));
  const positiveInt = (v: unknown, what: string, max = 1 << 16) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max)) problems.push(`${what} must be an integer in 1..${max} (got ${show(v)})`);
  };
  /** A finite number in [lo, hi] (or (lo, hi] when `open`). */
  const inRange = (v: unknown, what: string, lo: number, hi: number, open = false) => {
    const ok = typeof v === 'number' && Number.isFinite(v) && (open ? v > lo : v >= lo) && v <= hi;
    if (!ok) problems.push(`${what} must be a finite number in ${open ? '(' : '['}${lo}, ${hi}] (got ${show(v)})`);
  };
  const bool = (v: unknown, what: string) => {
    if (typeof v !== 'boolean') problems.push(`${what} must be true or false (got ${show(v)})`);
  };
  const list = (v: unknown, what: string, length: number): readonly unknown[] => {
    if (!Array.isArray(v) || v.length !== length) {
      problems.push(`${what} must have ${length} entries (got ${show(v)})`);
      return [];
    }
    return v;
  };
  if (c.architecture !== ARCHITECTURE) problems.push(`architecture ${show(c.architecture)} is not "${ARCHITECTURE}"`);

  const b = c.backbone;
  const blocks = list(b.stageBlocks, 'backbone.stageBlocks', 4);
  blocks.forEach((n, i) => positiveInt(n, `backbone.stageBlocks[${i}]`, 1000));
  positiveInt(b.depth, 'backbone.depth', 1000);
  if (blocks.length === 4 && blocks.every((n) => typeof n === 'number')) {
    // A bottleneck ResNet: stem + 3 convs per block + the classifier layer.
    const implied = 2 + 3 * (blocks as number[]).reduce((a, n) => a + n, 0);
    if (b.depth !== implied) problems.push(`backbone.depth ${show(b.depth)} does not match backbone.stageBlocks ${show(blocks)} (which imply ${implied})`);
  }
  positiveInt(b.stemChannels, 'backbone.stemChannels');
  positiveInt(b.res2Channels, 'backbone.res2Channels');
  positiveInt(b.widthPerGroup, 'backbone.widthPerGroup');
  positiveInt(b.numGroups, 'backbone.numGroups');
  bool(b.strideIn1x1, 'backbone.strideIn1x1');
  inRange(b.frozenBnEps, 'backbone.frozenBnEps', 0, 1);

  const f = c.fpn;
  positiveInt(f.channels, 'fpn.channels');
  const features = list(f.inFeatures, 'fpn.inFeatures', 3);
  if (features.length === 3 && features.some((name, i) => name !== FPN_IN_FEATURES[i])) {
    problems.push(`fpn.inFeatures must be ${show(FPN_IN_FEATURES)} (the stages feeding P3–P5; got ${show(features)})`);
  }
  const strides = list(f.strides, 'fpn.strides', 5);
  if (strides.length === 5 && strides.some((s, i) => s !== FPN_LEVEL_STRIDES[i])) {
    problems.push(`fpn.strides must be ${show(FPN_LEVEL_STRIDES)} (P3–P7, stride 2^level; got ${show(strides)})`);
  }
  if (f.topBlockInput !== 'c5' && f.topBlockInput !== 'p5') problems.push(`fpn.topBlockInput must be c5 or p5 (got ${show(f.topBlockInput)})`);

  const h = c.head;
  if (!HEAD_KINDS.includes(h.kind)) problems.push(`head.kind must be one of ${HEAD_KINDS.join(', ')} (got ${show(h.kind)})`);
  positiveInt(h.channels, 'head.channels');
  positiveInt(h.routersPerTower, 'head.routersPerTower', 1024);
  positiveInt(h.numClasses, 'head.numClasses', 1 << 20);
  positiveInt(h.gnGroups, 'head.gnGroups');
  if (Number.isInteger(h.channels) && Number.isInteger(h.gnGroups) && h.gnGroups > 0 && h.channels % h.gnGroups !== 0) {
    problems.push(`head.channels (${h.channels}) must be a multiple of head.gnGroups (${h.gnGroups})`);
  }
  inRange(h.gnEps, 'head.gnEps', 0, 1, true);
  if (!GATE_ACTIVATIONS.includes(h.gateActivation)) problems.push(`head.gateActivation must be one of ${GATE_ACTIVATIONS.join(', ')} (got ${show(h.gateActivation)})`);
  inRange(h.gateTau, 'head.gateTau', -100, 100);
  bool(h.centernessOnReg, 'head.centernessOnReg');
  bool(h.normRegTargets, 'head.normRegTargets');

  const i = c.input;
  if (i.format !== 'BGR' && i.format !== 'RGB') problems.push(`input.format must be BGR or RGB (got ${show(i.format)})`);
  list(i.pixelMean, 'input.pixelMean', 3).forEach((v, k) => inRange(v, `input.pixelMean[${k}]`, 0, 255));
  list(i.pixelStd, 'input.pixelStd', 3).forEach((v, k) => inRange(v, `input.pixelStd[${k}]`, 0, 255, true));
  positiveInt(i.sizeDivisibility, 'input.sizeDivisibility', 4096);
  positiveInt(i.minSize, 'input.minSize', 1 << 15);
  positiveInt(i.maxSize, 'input.maxSize', 1 << 15);
  if (Number.isInteger(i.minSize) && Number.isInteger(i.maxSize) && i.minSize > i.maxSize) {
    problems.push(`input.minSize (${i.minSize}) must not exceed input.maxSize (${i.maxSize})`);
  }

  const t = c.test;
  inRange(t.scoreThresh, 'test.scoreThresh', 0, 1);
  positiveInt(t.topkCandidates, 'test.topkCandidates', 1 << 24);
  inRange(t.nmsThresh, 'test.nmsThresh', 0, 1, true);
  positiveInt(t.maxDetections, 'test.maxDetections', 1 << 20);
  return problems;
}

export function assertValidConfig(c: ModelConfig): void {
  const problems = configProblems(c);
  if (problems.length > 0) throw new WeightsFormatError(`invalid model config: ${problems.join('; ')}`);
}
