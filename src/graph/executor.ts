import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { GpuRuntime } from '../gpu/runtime';
import { PassTimer, type PassTimings } from '../gpu/timing';
import type { Tensor } from '../ops/tensor';
import { readBytes, type BufferCopy, type Graph, type ReadRequest, type Stage, type Value } from './graph';
import { planMemory, type MemoryPlan } from './memory-plan';

/** One stage's work: buffer copies first, then its programs in one compute pass. */
interface StageWork {
  readonly stage: Stage;
  readonly copies: BufferCopy[];
  readonly programs: KernelProgram[];
}

export interface RunResult {
  /** Host copies of the requested values (or slices), keyed by request. */
  readonly outputs: Map<ReadRequest, ArrayBuffer>;
  readonly timings?: PassTimings;
  /** Bytes copied back to the host (the requested values and slices). */
  readonly readbackBytes: number;
}

const rangeOf = (graph: Graph, r: ReadRequest) =>
  'value' in r ? r : { value: r, byteOffset: 0, byteLength: graph.byteLength(r) };

/**
 * A graph bound to GPU memory: the memory plan's blocks are allocated, every node's programs are
 * built once and every pipeline is compiled (asynchronously) before the first run. A run encodes
 * all programs into one command encoder — one compute pass per stage — copies the requested
 * outputs into one staging buffer and maps it once: the only CPU read-back.
 */
export class CompiledGraph {
  private readonly stages: StageWork[] = [];
  private readonly blocks: GPUBuffer[];

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly graph: Graph,
    readonly plan: MemoryPlan,
    private readonly scope: BufferScope,
  ) {
    // INDIRECT too: a compaction's row lists carry the indirect arguments of their consumers.
    this.blocks = plan.blockSizes.map((size, i) => scope.storage(size, `block ${i}`, GPUBufferUsage.INDIRECT));
  }

  static async compile(runtime: GpuRuntime, graph: Graph, label = 'graph'): Promise<CompiledGraph> {
    const scope = runtime.scope(label);
    try {
      const compiled = new CompiledGraph(runtime, graph, planMemory(graph), scope);
      const ctx = { tensor: (v: Value) => compiled.tensor(v), scope };
      for (const node of graph.nodes) {
        let work = compiled.stages[compiled.stages.length - 1];
        if (!work || work.stage !== node.stage) compiled.stages.push((work = { stage: node.stage, copies: [], programs: [] }));
        const copies = node.copies?.(ctx) ?? [];
        if (copies.length > 0 && work.programs.length > 0) {
          throw new Error(`node ${node.name} copies buffers after programs of stage ${node.stage}: copies must open their stage`);
        }
        work.copies.push(...copies);
        work.programs.push(...node.build(ctx));
      }
      await runtime.prepare(compiled.stages.flatMap((w) => w.programs));
      return compiled;
    } catch (error) {
      scope.dispose();
      throw error;
    }
  }

  /** GPU bytes this graph holds: planned activation blocks plus per-node buffers. */
  get gpuBytes(): number {
    return this.scope.byteLength;
  }

  get programCount(): number {
    return this.stages.reduce((n, w) => n + w.programs.length, 0);
  }

  /** Programs per stage, and how many of them dispatch indirectly. */
  programStats(): { readonly byStage: Partial<Record<Stage, number>>; readonly indirect: number; readonly total: number } {
    const byStage: Partial<Record<Stage, number>> = {};
    let indirect = 0;
    for (const w of this.stages) {
      byStage[w.stage] = (byStage[w.stage] ?? 0) + w.programs.length;
      indirect += w.programs.filter((p) => 'indirect' in p.dispatch).length;
    }
    return { byStage, indirect, total: this.programCount };
  }

  tensor(value: Value): Tensor {
    const block = this.plan.blockOf[value.id];
    if (block === undefined || block < 0) throw new Error(`value ${value.name} is not used by any node`);
    return { buffer: this.blocks[block]!, shape: value.shape };
  }

  /**
   * Encodes and submits one run. `beforeSubmit` may write per-run inputs (e.g. the image) with
   * queue.writeBuffer; those writes land before the commands execute. `prefix` programs (the
   * engine's per-run input stage, pipelines already prepared) are encoded first, as one compute
   * pass timed as stage 'preprocess'.
   */
  async run(
    outputs: readonly ReadRequest[],
    options: { timed?: boolean; profile?: boolean; beforeSubmit?: () => void; prefix?: readonly KernelProgram[] } = {},
  ): Promise<RunResult> {
    const device = this.runtime.device;
    const prefix = options.prefix ?? [];
    const stages: readonly StageWork[] = prefix.length
      ? [{ stage: 'preprocess', copies: [], programs: [...prefix] }, ...this.stages]
      : this.stages;
    // Profiling puts every program in a pass of its own, timed as `<stage>/<program label>`
    // (repeated labels summed); the extra passes cost a little, so it is for benchmarks only.
    const passCount = options.profile ? stages.reduce((n, s) => n + Math.max(1, s.programs.length), 0) : stages.length;
    const timer = options.timed || options.profile ? new PassTimer(device, passCount) : undefined;
    const ranges = outputs.map((r) => rangeOf(this.graph, r));
    const offsets: number[] = [];
    let stagingSize = 0;
    for (const r of ranges) {
      if (r.byteOffset % 4 || r.byteOffset < 0 || r.byteOffset + r.byteLength > this.graph.byteLength(r.value)) {
        throw new Error(`read of ${r.value.name} [${r.byteOffset}, +${r.byteLength}) is unaligned or out of range`);
      }
      offsets.push(stagingSize);
      stagingSize += Math.ceil(r.byteLength / 4) * 4;
    }
    const staging = device.createBuffer({
      label: 'graph outputs',
      size: Math.max(stagingSize, 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      options.beforeSubmit?.();
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder({ label: this.graph.nodes.length ? 'inference' : 'empty' });
      for (const { stage, copies, programs } of stages) {
        for (const c of copies) encoder.copyBufferToBuffer(c.from, c.fromOffset, c.to, c.toOffset, c.size);
        if (options.profile && programs.length > 0) {
          for (const program of programs) {
            const label = `${stage}/${program.label}`;
            const pass = encoder.beginComputePass({ label, timestampWrites: timer?.passWrites(label) });
            this.runtime.encode(pass, program);
            pass.end();
          }
          continue;
        }
        const pass = encoder.beginComputePass({ label: stage, timestampWrites: timer?.passWrites(stage) });
        for (const program of programs) this.runtime.encode(pass, program);
        pass.end();
      }
      ranges.forEach((r, i) => {
        const size = Math.ceil(r.byteLength / 4) * 4;
        if (size > 0) encoder.copyBufferToBuffer(this.tensor(r.value).buffer, r.byteOffset, staging, offsets[i]!, size);
      });
      timer?.resolve(encoder);
      if (timer) timer.submit([encoder.finish()]);
      else device.queue.submit([encoder.finish()]);
      const error = await device.popErrorScope();
      if (error) throw new Error(`WebGPU validation failed while running the graph: ${error.message}`);
      const timings = timer ? await timer.read() : undefined;
      await staging.mapAsync(GPUMapMode.READ);
      const mapped = staging.getMappedRange();
      const result = new Map<ReadRequest, ArrayBuffer>();
      outputs.forEach((request, i) => result.set(request, mapped.slice(offsets[i]!, offsets[i]! + ranges[i]!.byteLength)));
      staging.unmap();
      return { outputs: result, timings, readbackBytes: readBytes(this.graph, outputs) };
    } finally {
      staging.destroy();
      timer?.destroy();
    }
  }

  dispose(): void {
    this.scope.dispose();
  }
}
