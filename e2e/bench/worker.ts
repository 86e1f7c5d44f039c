/**
 * The browser benchmark, inside a dedicated Worker: our engine (fixed and dynamic D8 head) and
 * ONNX Runtime Web (WebGPU and wasm execution providers) running the same dense graph — exported
 * here from the same `.dhw` weights by src/onnx/export.ts — on the same pre-processed inputs.
 * Outputs are compared in the same run, then timed: first run, warm-up, timed runs (median, p90),
 * GPU time per pass from timestamp-query where the device has it. Also runs the sparse/dense
 * conv-block curve (measureSparseCrossover) on this adapter.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine, gateDensities, LEVEL_NAMES, type NetworkResult } from '../../src/model/engine';
import { headMacs } from '../../src/model/macs';
import { exportOnnx, type OnnxHeadKind } from '../../src/onnx/export';
import { loadWeights } from '../../src/weights/loader';
import {
  stats,
  type AdapterRecord,
  type Agreement,
  type EngineRun,
  type Series,
  type SparseCurve,
  type SuiteImage,
  type SuiteMessage,
  type SuiteModel,
  type SuiteRequest,
} from '../../bench/suite-types';

const post = (message: SuiteMessage) => (self as unknown as Worker).postMessage(message);
const progress = (text: string) => post({ type: 'progress', text });
const now = () => performance.now();

interface LoadedImage {
  readonly spec: SuiteImage;
  readonly rgba: Uint8Array;
  /** NCHW (ORT's input). */
  readonly nchw: Float32Array;
  /** NHWC (our engine's network input). */
  readonly nhwc: Float32Array;
}

/** Head outputs per image, NHWC, keyed `<kind>.<level>` (kind: cls, bbox, ctr). */
type HeadOutputs = Map<string, Float32Array>;

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.arrayBuffer();
}

function nchwToNhwc(data: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  const hw = h * w;
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) out[p * c + ch] = data[ch * hw + p]!;
  return out;
}

function median(values: readonly number[]): number {
  return stats(values).medianMs;
}

async function adapterRecord(): Promise<AdapterRecord> {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const info: Record<string, string> = {};
  for (const key of ['vendor', 'architecture', 'device', 'description', 'type', 'backend'] as const) {
    const value = (adapter.info as unknown as Record<string, unknown>)[key];
    if (value !== undefined && value !== '') info[key] = String(value);
  }
  const limits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  const features = [...adapter.features].map(String).sort();
  return {
    info,
    features,
    limits,
    timestampQuery: adapter.features.has('timestamp-query'),
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
  };
}

function networkOutputs(result: NetworkResult): HeadOutputs {
  const out: HeadOutputs = new Map();
  result.levels.forEach((level, l) => {
    out.set(`cls.${LEVEL_NAMES[l]}`, level.clsLogits);
    out.set(`bbox.${LEVEL_NAMES[l]}`, level.bboxReg);
    out.set(`ctr.${LEVEL_NAMES[l]}`, level.centerness);
  });
  return out;
}

function compare(ours: HeadOutputs, peer: HeadOutputs): { worst: number; tensor: string } {
  let worst = 0;
  let tensor = '';
  for (const [name, b] of peer) {
    const a = ours.get(name);
    if (!a || a.length !== b.length) return { worst: Infinity, tensor: `${name} (missing or size mismatch)` };
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = 0; i < b.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(b[i]!));
      const d = Math.abs(a[i]! - b[i]!);
      maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
    }
    const rel = maxRef === 0 ? maxDiff : maxDiff / maxRef;
    if (rel > worst || tensor === '') [worst, tensor] = [rel, name];
  }
  return { worst, tensor };
}

/** Runs `fn` first once, then `warmup` times, then `timed` times over the images round-robin. */
async function series<T>(
  request: SuiteRequest,
  images: readonly LoadedImage[],
  fn: (image: LoadedImage, index: number) => Promise<T>,
  onTimed: (value: T, wallMs: number) => void,
): Promise<{ firstRunMs: number; samples: number[] }> {
  const [result] = await interleaved(request, images, [fn], [onTimed]);
  return result!;
}

/**
 * Several series measured side by side: each one's first run and warm-up, then `timed` rounds
 * in which every series runs once, in an order rotated each round, so that drift of the machine
 * (other processes, thermal state) lands on all of them alike. With no warm-up the first run is
 * also the first timed sample (a frame that takes minutes on a CPU adapter is not run twice).
 * `onEach` sees every run's value and image (first, warm-up and timed), so that outputs and
 * densities are read from the runs already made.
 */
async function interleaved<T>(
  request: SuiteRequest,
  images: readonly LoadedImage[],
  fns: readonly ((image: LoadedImage, index: number) => Promise<T>)[],
  onTimed: readonly ((value: T, wallMs: number) => void)[],
  onEach?: readonly ((value: T, image: LoadedImage) => void)[],
): Promise<{ firstRunMs: number; samples: number[] }[]> {
  const out: { firstRunMs: number; samples: number[] }[] = [];
  const call = async (j: number, i: number) => {
    const image = images[i % images.length]!;
    const value = await fns[j]!(image, i);
    onEach?.[j]!(value, image);
    return value;
  };
  for (let j = 0; j < fns.length; j++) {
    if (request.warmupRuns === 0) {
      out.push({ firstRunMs: NaN, samples: [] });
      continue;
    }
    const t = now();
    await call(j, 0);
    out.push({ firstRunMs: now() - t, samples: [] });
    for (let i = 0; i < request.warmupRuns; i++) await call(j, i);
  }
  for (let i = 0; i < request.timedRuns; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + k) % fns.length;
      const t = now();
      const value = await call(j, i);
      const ms = now() - t;
      if (i === 0 && request.warmupRuns === 0) out[j]!.firstRunMs = ms;
      out[j]!.samples.push(ms);
      onTimed[j]!(value, ms);
    }
  }
  return out;
}

function stageMedians(perRun: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(perRun.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(perRun.map((r) => r[k] ?? 0))]));
}

function stageStats(perRun: readonly Record<string, number>[]): Record<string, ReturnType<typeof stats>> {
  const keys = [...new Set(perRun.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, stats(perRun.map((r) => r[k] ?? 0))]));
}

interface OursPrepared {
  readonly model: SuiteModel;
  readonly engine: DetectorEngine;
  readonly loadMs: number;
  readonly compileMs: number;
  readonly notes: string[];
}

async function prepareOurs(runtime: GpuRuntime, model: SuiteModel, images: readonly LoadedImage[]): Promise<OursPrepared> {
  progress(`ours/${model.id}: loading ${model.weightsUrl}`);
  let t = now();
  // No warm-up while loading: the load and compile columns measure one thing each.
  const engine = await DetectorEngine.load(runtime, model.weightsUrl, { warmup: false });
  const loadMs = now() - t;
  t = now();
  const sizes = [...new Set(images.map((im) => `${im.spec.paddedHeight}x${im.spec.paddedWidth}`))];
  for (const im of images) await engine.prepare(im.spec.paddedHeight, im.spec.paddedWidth);
  const compileMs = now() - t;
  progress(`ours/${model.id}: weights loaded in ${loadMs.toFixed(0)} ms, plans compiled in ${compileMs.toFixed(0)} ms`);
  return { model, engine, loadMs, compileMs, notes: [`prepare compiled ${sizes.length} input size(s): ${sizes.join(', ')}`] };
}

/** Our configurations, measured interleaved: the network series together, then the pipeline series together. */
async function runOurs(runtime: GpuRuntime, request: SuiteRequest, models: readonly SuiteModel[], images: readonly LoadedImage[], outputs: Map<string, HeadOutputs>): Promise<EngineRun[]> {
  const prepared: OursPrepared[] = [];
  // Host outputs for the agreement check, only where a peer runs the same configuration.
  const compared = (m: SuiteModel) => request.peers.length > 0 && (m.headKind === 'fixed' || (m.headKind === 'dynamic' && request.peerDynamic));
  const densities: Map<string, number>[] = [];
  const macs: (EngineRun['macs'] | undefined)[] = [];
  const noted = (i: number, r: Pick<Awaited<ReturnType<DetectorEngine['detect']>>, 'routerDensities' | 'macs'>, image: LoadedImage) => {
    const routers = Object.values(r.routerDensities ?? {});
    if (routers.length) densities[i]!.set(image.spec.id, routers.reduce((a, b) => a + b, 0) / routers.length);
    macs[i] ??= { denseFixed: r.macs.denseFixed, denseDynamic: r.macs.denseDynamic, executed: r.macs.executed };
  };
  // The same numbers from a network run, as detect() derives them from the compactions' counts.
  const notedNetwork = (i: number, r: NetworkResult, image: LoadedImage) => {
    const sizes = r.levels.map((l) => [l.height, l.width] as const);
    noted(i, { routerDensities: r.counts ? gateDensities(r.counts, sizes).routers : undefined, macs: headMacs(prepared[i]!.engine.config, sizes, r.counts) }, image);
  };
  try {
    for (const model of models) {
      prepared.push(await prepareOurs(runtime, model, images));
      densities.push(new Map());
    }
    const none = { firstRunMs: NaN, samples: [] as number[] };
    // Network: pre-processed input → head outputs on the host (what the peer runs too).
    const net = prepared.map(() => ({ gpu: [] as number[], stages: [] as Record<string, number>[], source: 'wall-clock' }));
    const netRuns = request.ourSeries.includes('network')
      ? await interleaved(
          request,
          images,
          prepared.map((p) => (im: LoadedImage) => p.engine.runNetwork(im.nhwc, im.spec.paddedHeight, im.spec.paddedWidth, { timed: true })),
          net.map((acc) => (r: NetworkResult) => {
            if (r.timings) {
              acc.gpu.push(r.timings.total);
              acc.stages.push({ ...r.timings.passes });
              acc.source = r.timings.source;
            }
          }),
          prepared.map((p, i) => (r: NetworkResult, im: LoadedImage) => {
            const key = `${p.model.id}/${im.spec.id}`;
            if (compared(p.model) && !outputs.has(key)) outputs.set(key, networkOutputs(r));
            notedNetwork(i, r, im);
          }),
        )
      : prepared.map(() => none);
    if (request.ourSeries.includes('network')) progress(`ours: network medians ${prepared.map((p, i) => `${p.model.id} ${median(netRuns[i]!.samples).toFixed(1)} ms`).join(', ')} (interleaved)`);
    // Pipeline: RGBA → GPU pre-processing → network → FCOS post-processing.
    const pipe = prepared.map(() => ({ gpu: [] as number[], stages: [] as Record<string, number>[], source: 'wall-clock' }));
    const pipeRuns = request.ourSeries.includes('pipeline')
      ? await interleaved(
          request,
          images,
          prepared.map((p) => (im: LoadedImage) => p.engine.detect({ data: im.rgba, width: im.spec.width, height: im.spec.height })),
          pipe.map((acc) => (r: Awaited<ReturnType<DetectorEngine['detect']>>) => {
            acc.gpu.push(r.timings.gpuMs);
            acc.stages.push({ ...r.timings.gpuStages, 'pre-process (CPU)': r.timings.preprocessMs, 'post-process (CPU)': r.timings.postprocessMs });
            acc.source = r.timings.gpuTimer;
          }),
          prepared.map((_, i) => (r: Awaited<ReturnType<DetectorEngine['detect']>>, im: LoadedImage) => noted(i, r, im)),
        )
      : prepared.map(() => none);
    if (request.ourSeries.includes('pipeline')) progress(`ours: pipeline medians ${prepared.map((p, i) => `${p.model.id} ${median(pipeRuns[i]!.samples).toFixed(1)} ms`).join(', ')} (interleaved)`);
    const toSeries = (kind: Series['kind'], s: { firstRunMs: number; samples: number[] }, acc: { gpu: number[]; stages: Record<string, number>[]; source: string }): Series => ({
      kind,
      firstRunMs: s.firstRunMs,
      wall: stats(s.samples),
      gpu: acc.gpu.length ? stats(acc.gpu) : undefined,
      stages: stageMedians(acc.stages),
      stageStats: stageStats(acc.stages),
      timingSource: acc.source,
      samplesMs: s.samples,
    });
    const runs: EngineRun[] = [];
    for (const [i, p] of prepared.entries()) {
      // What the series did not visit: outputs for a compared configuration, and the gate
      // densities and head MACs as detect() reports them (no debug plan needed).
      for (const im of images) {
        const key = `${p.model.id}/${im.spec.id}`;
        if (compared(p.model) && !outputs.has(key)) outputs.set(key, networkOutputs(await p.engine.runNetwork(im.nhwc, im.spec.paddedHeight, im.spec.paddedWidth)));
        if (!densities[i]!.has(im.spec.id) && !(macs[i] && p.model.headKind !== 'dynamic')) noted(i, await p.engine.detect({ data: im.rgba, width: im.spec.width, height: im.spec.height }), im);
      }
      const series = request.ourSeries.map((kind) => (kind === 'network' ? toSeries('network', netRuns[i]!, net[i]!) : toSeries('pipeline', pipeRuns[i]!, pipe[i]!)));
      runs.push({
        engine: 'ours',
        engineLabel: 'ours (WebGPU, WGSL)',
        config: p.model.id,
        loadMs: p.loadMs,
        compileMs: p.compileMs,
        series,
        notes: [
          ...p.notes,
          `timed interleaved with ${prepared.filter((q) => q !== p).map((q) => q.model.id).join(', ') || 'nothing'}`,
          ...(request.warmupRuns === 0 ? ['no warm-up: the first run after compiling is the first timed sample'] : []),
        ],
        densities: densities[i]!.size ? Object.fromEntries(densities[i]!) : undefined,
        macs: macs[i],
      });
    }
    return runs;
  } finally {
    for (const p of prepared) p.engine.dispose();
  }
}

async function runPeer(
  ep: 'webgpu' | 'wasm',
  request: SuiteRequest,
  model: SuiteModel,
  head: OnnxHeadKind,
  images: readonly LoadedImage[],
  outputs: Map<string, HeadOutputs>,
  agreement: Agreement[],
): Promise<EngineRun> {
  const engineId = `ort-${ep}`;
  progress(`${engineId}/${head}: exporting ONNX from ${model.weightsUrl}`);
  let t = now();
  const weights = await loadWeights(model.weightsUrl);
  const loadMs = now() - t;
  const shapes = [...new Map(images.map((im) => [`${im.spec.paddedHeight}x${im.spec.paddedWidth}`, im.spec])).values()];
  t = now();
  const exported = shapes.map((s) => exportOnnx(weights.config, weights.tensors, { height: s.paddedHeight, width: s.paddedWidth, head }));
  const exportMs = now() - t;
  t = now();
  const sessions = new Map<string, ort.InferenceSession>();
  for (const [i, s] of shapes.entries()) {
    sessions.set(`${s.paddedHeight}x${s.paddedWidth}`, await ort.InferenceSession.create(exported[i]!.bytes, { executionProviders: [ep], graphOptimizationLevel: 'all' }));
  }
  const compileMs = now() - t;
  progress(`${engineId}/${head}: ${exported[0]!.nodeCount} nodes, session(s) created in ${compileMs.toFixed(0)} ms`);
  const layout = exported[0]!;
  const run = async (im: LoadedImage) => {
    const session = sessions.get(`${im.spec.paddedHeight}x${im.spec.paddedWidth}`)!;
    const feeds = { [layout.input]: new ort.Tensor('float32', im.nchw, [1, 3, im.spec.paddedHeight, im.spec.paddedWidth]) };
    return session.run(feeds);
  };
  const oursId = head === 'fixed' ? 'fixed' : 'dynamic';
  try {
    for (const im of images) {
      const r = await run(im);
      const peer: HeadOutputs = new Map();
      for (const [l, o] of layout.outputs.entries()) {
        const level = LEVEL_NAMES[l]!;
        for (const [key, name] of [['cls', o.clsLogits], ['bbox', o.bboxReg], ['ctr', o.centerness]] as const) {
          const tensor = r[name]!;
          const [, c, h, w] = tensor.dims as [number, number, number, number];
          peer.set(`${key}.${level}`, nchwToNhwc(tensor.data as Float32Array, c, h, w));
        }
      }
      const ours = outputs.get(`${oursId}/${im.spec.id}`);
      if (ours) {
        const { worst, tensor } = compare(ours, peer);
        agreement.push({ peer: engineId, config: head, image: im.spec.id, worstRelative: worst, worstTensor: tensor, pass: worst <= request.tolerance });
        progress(`${engineId}/${head}/${im.spec.id}: max rel diff vs ours ${worst.toExponential(2)} (${tensor})`);
      }
    }
    const s = await series(request, images, run, () => {});
    progress(`${engineId}/${head}: median ${median(s.samples).toFixed(1)} ms`);
    return {
      engine: engineId,
      engineLabel: `ONNX Runtime Web ${ort.env.versions.web ?? ''} (${ep === 'webgpu' ? 'WebGPU EP' : `wasm EP, ${ort.env.wasm.numThreads ?? 1} thread(s)`})`,
      config: head,
      loadMs,
      compileMs,
      exportMs,
      onnx: { nodes: layout.nodeCount, bytes: layout.bytes.byteLength, ops: layout.ops },
      series: [{ kind: 'network', firstRunMs: s.firstRunMs, wall: stats(s.samples), stages: {}, timingSource: 'wall-clock', samplesMs: s.samples }],
      notes: [`ONNX opset 17, ${layout.nodeCount} nodes, ${(layout.bytes.byteLength / 1e6).toFixed(2)} MB; session.run with host input and host outputs`],
    };
  } finally {
    for (const session of sessions.values()) await session.release();
  }
}

async function sparseCurve(runtime: GpuRuntime, spec: NonNullable<SuiteRequest['sparseCurve']>): Promise<SparseCurve> {
  const { measureSparseCrossover } = await import('../../src/ops/sparse-crossover');
  progress(`sparse curve: ${spec.channels} channels at ${spec.height}×${spec.width}, densities ${spec.densities.join(', ')}`);
  const { crossover, samples } = await measureSparseCrossover(runtime, spec);
  return {
    source: 'browser',
    label: `measured in this browser (measureSparseCrossover: masked 3×3 conv block, ${spec.channels}→${spec.channels} ch at ${spec.height}×${spec.width}, random mask, median of ${spec.repetitions})`,
    series: [{ name: 'conv-block, random mask', points: samples.map((p) => ({ density: p.density, sparseMs: p.sparseMs, denseMs: p.denseMs, ratio: p.sparseMs / p.denseMs })) }],
    crossover,
  };
}

async function main(request: SuiteRequest): Promise<void> {
  const errors: string[] = [];
  const adapter = await adapterRecord();
  progress(`adapter: ${JSON.stringify(adapter.info)}; timestamp-query: ${adapter.timestampQuery}`);
  const images: LoadedImage[] = [];
  for (const spec of request.images) {
    const rgba = new Uint8Array(await fetchBytes(spec.rgbaUrl));
    const nchw = new Float32Array(await fetchBytes(spec.inputUrl));
    images.push({ spec, rgba, nchw, nhwc: nchwToNhwc(nchw, 3, spec.paddedHeight, spec.paddedWidth) });
  }
  const runtime = await GpuRuntime.create();
  const runs: EngineRun[] = [];
  const agreement: Agreement[] = [];
  const outputs = new Map<string, HeadOutputs>();
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      const message = `${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      errors.push(message);
      progress(`ERROR ${message}`);
    }
  };
  await attempt('ours', async () => void runs.push(...(await runOurs(runtime, request, request.models, images, outputs))));

  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.logLevel = 'error';
  const fixed = request.models.find((m) => m.headKind === 'fixed');
  const dynamic = request.models.find((m) => m.headKind === 'dynamic');
  for (const ep of request.peers) {
    if (fixed) await attempt(`ort-${ep}/fixed`, async () => void runs.push(await runPeer(ep, request, fixed, 'fixed', images, outputs, agreement)));
    if (dynamic && request.peerDynamic) {
      await attempt(`ort-${ep}/dynamic-dense`, async () => void runs.push(await runPeer(ep, request, dynamic, 'dynamic-dense', images, outputs, agreement)));
    }
  }
  const sparse: SparseCurve[] = [];
  if (request.sparseCurve) {
    const spec = request.sparseCurve;
    await attempt('sparse curve', async () => void sparse.push(await sparseCurve(runtime, spec)));
  }
  runtime.destroy();
  post({ type: 'done', result: { adapter, runs, agreement, sparse, errors, ortVersion: ort.env.versions.web ?? 'unknown' } });
}

self.onmessage = (event: MessageEvent<SuiteRequest>) => {
  main(event.data).catch((error: unknown) => post({ type: 'fatal', message: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error) }));
};
