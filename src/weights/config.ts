/**
 * The model configuration a weights file carries: everything the engine needs to build the
 * network and run pre/post-processing, inferred from the checkpoint's shapes where possible and
 * otherwise the official defaults (spec §1–§5).
 */
import { WeightsFormatError } from '../errors';

export type HeadKind = 'dynamic' | 'fixed';
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
  /** D: routers per tower (NUM_CONVS / 2). */
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

/** Problems with a configuration (empty when it is usable). */
export function configProblems(c: ModelConfig): string[] {
  const problems: string[] = [];
  const positiveInt = (v: number, what: string, max = 1 << 16) => {
    if (!Number.isInteger(v) || v <= 0 || v > max) problems.push(`${what} must be an integer in 1..${max} (got ${v})`);
  };
  const finite = (v: number, what: string, lo: number, hi: number) => {
    if (!(typeof v === 'number' && v >= lo && v <= hi)) problems.push(`${what} must be in [${lo}, ${hi}] (got ${v})`);
  };
  if (c.architecture !== ARCHITECTURE) problems.push(`architecture "${c.architecture}" is not "${ARCHITECTURE}"`);
  const b = c.backbone;
  positiveInt(b.depth, 'backbone.depth', 1000);
  if (b.stageBlocks.length !== 4) problems.push('backbone.stageBlocks must have 4 entries');
  b.stageBlocks.forEach((n, i) => positiveInt(n, `backbone.stageBlocks[${i}]`, 1000));
  positiveInt(b.stemChannels, 'backbone.stemChannels');
  positiveInt(b.res2Channels, 'backbone.res2Channels');
  positiveInt(b.widthPerGroup, 'backbone.widthPerGroup');
  positiveInt(b.numGroups, 'backbone.numGroups');
  finite(b.frozenBnEps, 'backbone.frozenBnEps', 0, 1);
  positiveInt(c.fpn.channels, 'fpn.channels');
  if (c.fpn.strides.length !== 5) problems.push('fpn.strides must have 5 entries (P3..P7)');
  c.fpn.strides.forEach((s, i) => positiveInt(s, `fpn.strides[${i}]`, 4096));
  if (c.fpn.topBlockInput !== 'c5' && c.fpn.topBlockInput !== 'p5') problems.push('fpn.topBlockInput must be c5 or p5');
  const h = c.head;
  if (h.kind !== 'dynamic' && h.kind !== 'fixed') problems.push('head.kind must be dynamic or fixed');
  positiveInt(h.channels, 'head.channels');
  positiveInt(h.routersPerTower, 'head.routersPerTower', 1024);
  positiveInt(h.numClasses, 'head.numClasses', 1 << 20);
  positiveInt(h.gnGroups, 'head.gnGroups');
  if (h.channels % h.gnGroups !== 0) problems.push(`head.channels (${h.channels}) must be a multiple of head.gnGroups (${h.gnGroups})`);
  finite(h.gnEps, 'head.gnEps', 0, 1);
  if (!['geretanh', 'retanh', 'sigmoid'].includes(h.gateActivation)) problems.push('head.gateActivation is unknown');
  finite(h.gateTau, 'head.gateTau', -100, 100);
  const i = c.input;
  if (i.format !== 'BGR' && i.format !== 'RGB') problems.push('input.format must be BGR or RGB');
  if (i.pixelMean.length !== 3 || i.pixelStd.length !== 3) problems.push('input.pixelMean/pixelStd must have 3 entries');
  i.pixelMean.forEach((v, k) => finite(v, `input.pixelMean[${k}]`, -1e4, 1e4));
  i.pixelStd.forEach((v, k) => finite(v, `input.pixelStd[${k}]`, 1e-9, 1e4));
  positiveInt(i.sizeDivisibility, 'input.sizeDivisibility', 4096);
  positiveInt(i.minSize, 'input.minSize', 1 << 15);
  positiveInt(i.maxSize, 'input.maxSize', 1 << 15);
  const t = c.test;
  finite(t.scoreThresh, 'test.scoreThresh', 0, 1);
  positiveInt(t.topkCandidates, 'test.topkCandidates', 1 << 24);
  finite(t.nmsThresh, 'test.nmsThresh', 0, 1);
  positiveInt(t.maxDetections, 'test.maxDetections', 1 << 20);
  return problems;
}

export function assertValidConfig(c: ModelConfig): void {
  const problems = configProblems(c);
  if (problems.length > 0) throw new WeightsFormatError(`invalid model config: ${problems.join('; ')}`);
}
