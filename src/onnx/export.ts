/**
 * ONNX export of the detector network (pre-processed image → head outputs), built from the same
 * `.dhw` tensors the engine loads, so a peer runtime (ONNX Runtime Web) can run exactly our graph
 * with exactly our weights. NCHW, float32, static shapes (one model per padded input size),
 * opset 17 with only long-standing operators:
 * - backbone / FPN: Conv (FrozenBN already folded into the weights), Relu, Add, MaxPool, Resize
 *   (nearest, asymmetric/floor: the FPN's ×2 upsampling);
 * - head: depthwise Conv (group = C), GroupNorm decomposed as Reshape → InstanceNormalization →
 *   Reshape → Mul γ → Add β, bilinear Resize with `align_corners` to the exact target size,
 *   Mul/Add for the learned scalars;
 * - `fixed` head: every gate is 1 (the comparison graph; ORT has no masked GroupNorm);
 * - `dynamic-dense` head: the dynamic head's dense formulation of masked inference — gates
 *   (Conv → GeReTanH / ReTanH / Sigmoid), masks (`Greater(g, 0)`, the dilated one through a 3×3
 *   MaxPool), GroupNorm statistics over the active pixels only (ReduceSum of x·m over the group
 *   divided by max(1, Cg·Σm)), inactive pixels zero, ReLU(o·g + y).
 * Outputs per level l ∈ p3..p7: `cls_logits.<l>` [1, K, H, W], `bbox_reg.<l>` [1, 4, H, W]
 * (ReLU(conv · scale_l · stride_l)), `centerness.<l>` [1, 1, H, W].
 */
import protobuf from 'protobufjs';
import { InvalidArgumentError, WeightsFormatError } from '../errors';
import type { GateActivation, ModelConfig } from '../weights/config';
import protoText from './onnx.proto?raw';

/** A weight as the CPU sink returns it: PyTorch shape (conv weights OIHW), f32 values. */
export interface OnnxWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type OnnxHeadKind = 'fixed' | 'dynamic-dense';

export interface OnnxExportOptions {
  /** Padded input height and width (multiples of the size divisibility). */
  readonly height: number;
  readonly width: number;
  /** Default: `fixed` for a fixed checkpoint, `dynamic-dense` for a dynamic one. */
  readonly head?: OnnxHeadKind;
  /** Default 17. */
  readonly opset?: number;
}

export interface OnnxLevelOutputs {
  readonly level: string;
  readonly height: number;
  readonly width: number;
  readonly clsLogits: string;
  readonly bboxReg: string;
  readonly centerness: string;
}

export interface OnnxExport {
  /** The encoded ModelProto. */
  readonly bytes: Uint8Array;
  /** The input's name (`image`, NCHW [1, 3, H, W], already pre-processed). */
  readonly input: string;
  readonly inputShape: readonly [number, number, number, number];
  readonly outputs: readonly OnnxLevelOutputs[];
  readonly head: OnnxHeadKind;
  readonly nodeCount: number;
  readonly initializerBytes: number;
  /** Op type → node count. */
  readonly ops: Readonly<Record<string, number>>;
}

const LEVELS = ['p3', 'p4', 'p5', 'p6', 'p7'] as const;
const FLOAT = 1;
const INT64 = 7;

type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string };

const int = (value: number): Attr => ({ kind: 'int', value });
const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value });
const float = (value: number): Attr => ({ kind: 'float', value });
const str = (value: string): Attr => ({ kind: 'string', value });

interface NodeRecord {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

interface InitRecord {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: typeof FLOAT | typeof INT64;
  readonly f32?: Float32Array;
  readonly i64?: readonly number[];
}

let modelType: protobuf.Type | undefined;

/** The protobufjs type of `onnx.ModelProto` (from the bundled onnx.proto subset). */
export function onnxModelType(): protobuf.Type {
  if (!modelType) modelType = protobuf.parse(protoText).root.lookupType('onnx.ModelProto');
  return modelType;
}

const convOut = (size: number, k: number, stride: number, pad: number) => Math.floor((size + 2 * pad - k) / stride) + 1;

/** Builds the node list with shape tracking (every value's NCHW shape is known statically). */
class OnnxGraphBuilder {
  readonly nodes: NodeRecord[] = [];
  readonly inits: InitRecord[] = [];
  readonly shapes = new Map<string, readonly number[]>();
  private readonly initNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(private readonly weights: ReadonlyMap<string, OnnxWeight>) {}

  shape(value: string): readonly number[] {
    const s = this.shapes.get(value);
    if (!s) throw new Error(`onnx export: unknown value ${value}`);
    return s;
  }

  fresh(base: string): string {
    return `${base}#${this.counter++}`;
  }

  node(op: string, inputs: readonly string[], shape: readonly number[], attrs: Record<string, Attr> = {}, name?: string): string {
    const out = name ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op, name: `${op}:${out}`, inputs, outputs: [out], attrs });
    this.shapes.set(out, shape);
    return out;
  }

  /** A checkpoint tensor as an initializer (once), optionally reshaped. */
  weight(name: string, dims?: readonly number[]): string {
    const w = this.weights.get(name);
    if (!w) throw new WeightsFormatError(`tensor "${name}" is missing`);
    const d = dims ?? w.shape;
    const key = `${name}@${d.join('x')}`;
    if (!this.initNames.has(key)) {
      if (d.reduce((a, b) => a * b, 1) !== w.data.length) throw new WeightsFormatError(`tensor "${name}" cannot be viewed as [${d.join(', ')}]`);
      this.initNames.add(key);
      this.inits.push({ name: key, dims: d, type: FLOAT, f32: w.data });
      this.shapes.set(key, d);
    }
    return key;
  }

  hasWeight(name: string): boolean {
    return this.weights.has(name);
  }

  scalarValue(name: string): number {
    const w = this.weights.get(name);
    if (!w || w.data.length !== 1) throw new WeightsFormatError(`tensor "${name}" must be a scalar`);
    return w.data[0]!;
  }

  /** A shared f32 constant. */
  f32(values: readonly number[] | Float32Array, dims: readonly number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    const key = `const.f32[${dims.join('x')}]:${Array.from(data.subarray(0, 8)).join(',')}${data.length > 8 ? `…${data.length}` : ''}`;
    const known = this.constants.get(key);
    if (known && data.length <= 8) return known;
    const name = this.fresh('const_f32');
    this.inits.push({ name, dims, type: FLOAT, f32: data });
    this.shapes.set(name, dims);
    if (data.length <= 8) this.constants.set(key, name);
    return name;
  }

  i64(values: readonly number[]): string {
    const key = `const.i64:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('const_i64');
    this.inits.push({ name, dims: [values.length], type: INT64, i64: values });
    this.shapes.set(name, [values.length]);
    this.constants.set(key, name);
    return name;
  }

  scalar(v: number): string {
    return this.f32([v], [1]);
  }

  // --- layers ---------------------------------------------------------------------------------

  conv(prefix: string, x: string, options: { stride?: number; bias?: boolean; group?: number; name?: string } = {}): string {
    const w = this.weights.get(`${prefix}.weight`);
    if (!w) throw new WeightsFormatError(`tensor "${prefix}.weight" is missing`);
    const [o, , kh, kw] = w.shape as [number, number, number, number];
    const stride = options.stride ?? 1;
    const pad = Math.floor(kh / 2);
    const [n, , h, wd] = this.shape(x) as [number, number, number, number];
    const inputs = [x, this.weight(`${prefix}.weight`)];
    if (options.bias !== false && this.hasWeight(`${prefix}.bias`)) inputs.push(this.weight(`${prefix}.bias`));
    return this.node(
      'Conv',
      inputs,
      [n, o, convOut(h, kh, stride, pad), convOut(wd, kw, stride, pad)],
      {
        kernel_shape: ints([kh, kw]),
        strides: ints([stride, stride]),
        pads: ints([pad, pad, pad, pad]),
        dilations: ints([1, 1]),
        group: int(options.group ?? 1),
      },
      options.name,
    );
  }

  unary(op: string, x: string): string {
    return this.node(op, [x], this.shape(x));
  }

  binary(op: string, a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const rank = Math.max(sa.length, sb.length);
    const shape = Array.from({ length: rank }, (_, i) => {
      const da = sa[i - (rank - sa.length)] ?? 1;
      const db = sb[i - (rank - sb.length)] ?? 1;
      return Math.max(da, db);
    });
    return this.node(op, [a, b], shape);
  }

  maxPool(x: string, stride: number): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    return this.node('MaxPool', [x], [n, c, convOut(h, 3, stride, 1), convOut(w, 3, stride, 1)], {
      kernel_shape: ints([3, 3]),
      strides: ints([stride, stride]),
      pads: ints([1, 1, 1, 1]),
    });
  }

  reshape(x: string, shape: readonly number[]): string {
    return this.node('Reshape', [x, this.i64(shape)], shape);
  }

  /** Nearest ×2 (out[i] = in[⌊i/2⌋]). */
  upsample2(x: string): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    return this.node('Resize', [x, '', this.f32([1, 1, 2, 2], [4])], [n, c, 2 * h, 2 * w], {
      mode: str('nearest'),
      coordinate_transformation_mode: str('asymmetric'),
      nearest_mode: str('floor'),
    });
  }

  /** Bilinear, align_corners=True, to an exact size. */
  resizeBilinear(x: string, h: number, w: number): string {
    const [n, c, ih, iw] = this.shape(x) as [number, number, number, number];
    if (ih === h && iw === w) return x;
    return this.node('Resize', [x, '', '', this.i64([n, c, h, w])], [n, c, h, w], {
      mode: str('linear'),
      coordinate_transformation_mode: str('align_corners'),
    });
  }

  /** Dense GroupNorm (+ ReLU) with γ, β from `<prefix>.{weight,bias}`. */
  groupNorm(prefix: string, x: string, groups: number, eps: number, relu = false): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const grouped = this.reshape(x, [n, groups, (c / groups) * h * w]);
    const normed = this.node('InstanceNormalization', [grouped, this.f32(new Float32Array(groups).fill(1), [groups]), this.f32(new Float32Array(groups), [groups])], [n, groups, (c / groups) * h * w], {
      epsilon: float(eps),
    });
    const back = this.reshape(normed, [n, c, h, w]);
    let y = this.binary('Mul', back, this.weight(`${prefix}.weight`, [c, 1, 1]));
    y = this.binary('Add', y, this.weight(`${prefix}.bias`, [c, 1, 1]));
    return relu ? this.unary('Relu', y) : y;
  }

  /**
   * GroupNorm with statistics over the pixels where `mask` (0/1, [1, 1, H, W]) is 1; the output is
   * 0 elsewhere (and everywhere when no pixel is active).
   */
  maskedGroupNorm(prefix: string, x: string, mask: string, groups: number, eps: number, relu = false): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const cg = c / groups;
    const xg = this.reshape(x, [n, groups, cg, h * w]);
    const mg = this.reshape(mask, [n, 1, 1, h * w]);
    const axes = this.i64([2, 3]);
    const reduce = (v: string) => this.node('ReduceSum', [v, axes], [n, groups, 1, 1], { keepdims: int(1) });
    const active = this.node('ReduceSum', [mg, axes], [n, 1, 1, 1], { keepdims: int(1) });
    const count = this.binary('Max', this.binary('Mul', active, this.scalar(cg)), this.scalar(1));
    const mean = this.binary('Div', reduce(this.binary('Mul', xg, mg)), count);
    const centred = this.binary('Mul', this.binary('Sub', xg, mean), mg);
    const variance = this.binary('Div', reduce(this.binary('Mul', centred, centred)), count);
    const std = this.unary('Sqrt', this.binary('Add', variance, this.scalar(eps)));
    const normed = this.reshape(this.binary('Div', centred, std), [n, c, h, w]);
    let y = this.binary('Mul', normed, this.weight(`${prefix}.weight`, [c, 1, 1]));
    y = this.binary('Add', y, this.weight(`${prefix}.bias`, [c, 1, 1]));
    y = this.binary('Mul', y, mask);
    return relu ? this.unary('Relu', y) : y;
  }

  /** Spatial gate: 3×3 conv C→1 (bias) + activation. */
  gate(prefix: string, x: string, activation: GateActivation, tau: number): string {
    const logit = this.conv(`${prefix}.gate_conv`, x);
    if (activation === 'sigmoid') return this.unary('Sigmoid', logit);
    if (activation === 'retanh') return this.unary('Relu', this.unary('Tanh', logit));
    const t = Math.tanh(tau);
    const shifted = this.unary('Tanh', this.binary('Sub', logit, this.scalar(tau)));
    const scaled = this.binary('Div', this.binary('Add', shifted, this.scalar(t)), this.scalar(1 + t));
    return this.unary('Relu', scaled);
  }

  /** 0/1 mask of `g > 0`. */
  mask(g: string): string {
    const gt = this.node('Greater', [g, this.scalar(0)], this.shape(g));
    return this.node('Cast', [gt], this.shape(g), { to: int(FLOAT) });
  }
}

/**
 * Exports the network for one padded input size. `weights` holds the engine tensors of a `.dhw`
 * file as `loadWeights` with the default CPU sink returns them.
 */
export function exportOnnx(config: ModelConfig, weights: ReadonlyMap<string, OnnxWeight>, options: OnnxExportOptions): OnnxExport {
  const { height, width } = options;
  const divisor = config.input.sizeDivisibility;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height % divisor || width % divisor) {
    throw new InvalidArgumentError('input size', `${height}×${width} must be positive multiples of ${divisor}`);
  }
  if (config.head.kind === 'fcos') throw new InvalidArgumentError('head', 'the ONNX export covers the dynamic and fixed heads, not the FCOS baseline head');
  const head: OnnxHeadKind = options.head ?? (config.head.kind === 'fixed' ? 'fixed' : 'dynamic-dense');
  if (head === 'dynamic-dense' && config.head.kind !== 'dynamic') {
    throw new InvalidArgumentError('head', 'dynamic-dense needs a dynamic checkpoint (gate parameters)');
  }
  const g = new OnnxGraphBuilder(weights);
  const input = 'image';
  g.shapes.set(input, [1, 3, height, width]);

  // Backbone (ResNet, FrozenBN folded).
  const bb = 'backbone.bottom_up';
  let x = g.unary('Relu', g.conv(`${bb}.stem.conv1`, input, { stride: 2 }));
  x = g.maxPool(x, 2);
  const features: string[] = [];
  config.backbone.stageBlocks.forEach((blocks, s) => {
    for (let i = 0; i < blocks; i++) {
      const p = `${bb}.res${s + 2}.${i}`;
      const stride = s > 0 && i === 0 ? 2 : 1;
      const shortcut = g.hasWeight(`${p}.shortcut.weight`) ? g.conv(`${p}.shortcut`, x, { stride }) : x;
      const s1 = config.backbone.strideIn1x1 ? stride : 1;
      const h1 = g.unary('Relu', g.conv(`${p}.conv1`, x, { stride: s1 }));
      const h2 = g.unary('Relu', g.conv(`${p}.conv2`, h1, { stride: stride / s1 }));
      x = g.unary('Relu', g.binary('Add', g.conv(`${p}.conv3`, h2), shortcut));
    }
    if (s >= 1) features.push(x);
  });
  const [c3, c4, c5] = features as [string, string, string];

  // FPN.
  const lat5 = g.conv('backbone.fpn_lateral5', c5);
  const top4 = g.binary('Add', g.conv('backbone.fpn_lateral4', c4), g.upsample2(lat5));
  const top3 = g.binary('Add', g.conv('backbone.fpn_lateral3', c3), g.upsample2(top4));
  const p3 = g.conv('backbone.fpn_output3', top3);
  const p4 = g.conv('backbone.fpn_output4', top4);
  const p5 = g.conv('backbone.fpn_output5', lat5);
  const p6 = g.conv('backbone.top_block.p6', config.fpn.topBlockInput === 'p5' ? p5 : c5, { stride: 2 });
  const p7 = g.conv('backbone.top_block.p7', g.unary('Relu', p6), { stride: 2 });
  const fpn = [p3, p4, p5, p6, p7];

  // Head towers.
  const hc = config.head;
  const dynamic = head === 'dynamic-dense';
  const router = (name: string, levels: string[]): string[] => {
    const p = `head.${name}`;
    const incoming: string[][] = levels.map(() => []);
    for (const s of [0, 1] as const) {
      const q = `${p}.dynamic_convs.${s}`;
      levels.forEach((source, l) => {
        const target = s === 0 ? l + 1 : l - 1;
        if (target < 0 || target >= levels.length) return;
        const channels = g.shape(source)[1]!;
        let d = g.conv(`${q}.convs.0`, source, { group: channels });
        d = g.groupNorm(`${q}.convs.1`, d, hc.gnGroups, hc.gnEps);
        if (dynamic) d = g.binary('Mul', d, g.gate(`${q}.gate`, source, hc.gateActivation, hc.gateTau));
        incoming[target]!.push(d);
      });
    }
    const scaleWeight = g.scalar(g.scalarValue(`${p}.scale_weight`));
    const outputWeight = g.scalar(g.scalarValue(`${p}.output_weight`));
    return levels.map((xl, l) => {
      const [, , h, w] = g.shape(xl) as [number, number, number, number];
      const paths = incoming[l]!.map((d) => g.resizeBilinear(d, h, w));
      let acc = paths[0]!;
      for (const path of paths.slice(1)) acc = g.binary('Add', acc, path);
      const y = g.binary('Add', g.binary('Mul', acc, scaleWeight), g.binary('Mul', xl, outputWeight));
      const b = `${p}.depth_module.bottleneck`;
      if (!dynamic) {
        const hh = g.groupNorm(`${b}.conv1.norm`, g.conv(`${b}.conv1`, y, { bias: false }), hc.gnGroups, hc.gnEps, true);
        const o = g.groupNorm(`${b}.conv2.norm`, g.conv(`${b}.conv2`, hh, { bias: false }), hc.gnGroups, hc.gnEps);
        return g.unary('Relu', g.binary('Add', o, y));
      }
      const gate = g.gate(`${p}.depth_module.gate`, y, hc.gateActivation, hc.gateTau);
      const mask = g.mask(gate);
      const dilated = g.mask(g.maxPool(gate, 1));
      const hh = g.maskedGroupNorm(`${b}.conv1.norm`, g.conv(`${b}.conv1`, y, { bias: false }), dilated, hc.gnGroups, hc.gnEps, true);
      const o = g.maskedGroupNorm(`${b}.conv2.norm`, g.conv(`${b}.conv2`, hh, { bias: false }), mask, hc.gnGroups, hc.gnEps);
      return g.unary('Relu', g.binary('Add', g.binary('Mul', o, gate), y));
    });
  };
  const tower = (name: string) => {
    let levels = fpn;
    for (let i = 0; i < hc.routersPerTower; i++) levels = router(`${name}.${i}`, levels);
    return levels;
  };
  const cls = tower('cls_subnet');
  const bbox = tower('bbox_subnet');

  // Predictors.
  const outputs: OnnxLevelOutputs[] = LEVELS.map((level, l) => {
    const [, , h, w] = g.shape(cls[l]!) as [number, number, number, number];
    const clsLogits = g.conv('head.cls_score', cls[l]!, { name: `cls_logits.${level}` });
    const raw = g.conv('head.bbox_pred', bbox[l]!);
    const factor = hc.normRegTargets ? config.fpn.strides[l]! : 1;
    const scaled = g.binary('Mul', raw, g.scalar(g.scalarValue(`head.scales.${l}.scale`) * factor));
    const bboxReg = g.node('Relu', [scaled], g.shape(scaled), {}, `bbox_reg.${level}`);
    const centerness = g.conv('head.centerness', (hc.centernessOnReg ? bbox : cls)[l]!, { name: `centerness.${level}` });
    return { level, height: h, width: w, clsLogits, bboxReg, centerness };
  });

  const valueInfo = (name: string) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: g.shape(name).map((d) => ({ dimValue: d })) } } },
  });
  const encodeAttr = (name: string, a: Attr) => {
    switch (a.kind) {
      case 'int':
        return { name, type: 2, i: a.value };
      case 'ints':
        return { name, type: 7, ints: [...a.value] };
      case 'float':
        return { name, type: 1, f: a.value };
      case 'string':
        return { name, type: 3, s: new TextEncoder().encode(a.value) };
    }
  };
  let initializerBytes = 0;
  const initializer = g.inits.map((t) => {
    if (t.type === INT64) return { name: t.name, dims: [...t.dims], dataType: INT64, int64Data: [...t.i64!] };
    const f = t.f32!;
    initializerBytes += f.byteLength;
    const raw = new Uint8Array(f.byteLength);
    raw.set(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    return { name: t.name, dims: [...t.dims], dataType: FLOAT, rawData: raw };
  });
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const Model = onnxModelType();
  const message = Model.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: '', version: options.opset ?? 17 }],
    producerName: 'dynamic-head-webgpu',
    producerVersion: '0.1.0',
    docString: `FCOS-R${config.backbone.depth} + FPN + ${head} D${hc.routersPerTower} head, input ${height}×${width} (NCHW, pre-processed)`,
    graph: {
      name: `dynamic-head-${head}`,
      node: g.nodes.map((n) => ({
        input: [...n.inputs],
        output: [...n.outputs],
        name: n.name,
        opType: n.op,
        attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a)),
      })),
      initializer,
      input: [valueInfo(input)],
      output: outputs.flatMap((o) => [valueInfo(o.clsLogits), valueInfo(o.bboxReg), valueInfo(o.centerness)]),
    },
  });
  const bytes = Model.encode(message).finish();
  return {
    bytes,
    input,
    inputShape: [1, 3, height, width],
    outputs,
    head,
    nodeCount: g.nodes.length,
    initializerBytes,
    ops,
  };
}
