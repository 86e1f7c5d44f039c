import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { GpuRuntime } from '../gpu/runtime';
import { PassTimer, type PassTimings } from '../gpu/timing';
import type { Tensor } from '../ops/tensor';
import type { Graph, Stage, Value } from './graph';
import { planMemory, type MemoryPlan } from './memory-plan';

interface StagedProgram {
  readonly stage: Stage;
  readonly program: KernelProgram;
}

export interface RunResult {
  /** Host copies of the requested outputs, in request order. */
  readonly outputs: Map<Value, ArrayBuffer>;
  /** Every scalar probe the nodes registered (empty unless asked for). */
  readonly probes: Map<string, number>;
  readonly timings?: PassTimings;
}

/**
 * A graph bound to GPU memory: the memory plan's blocks are allocated, every node's programs are
 * built once and every pipeline is compiled (asynchronously) before the first run. A run encodes
 * all programs into one command encoder — one compute pass per stage — copies the requested
 * outputs into one staging buffer and maps it once: the only CPU read-back.
 */
export class CompiledGraph {
  private readonly programs: StagedProgram[] = [];
  private readonly blocks: GPUBuffer[];
  private readonly probes: { name: string; buffer: GPUBuffer; type: 'u32' | 'f32' }[] = [];

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly graph: Graph,
    readonly plan: MemoryPlan,
    private readonly scope: BufferScope,
  ) {
    this.blocks = plan.blockSizes.map((size, i) => scope.storage(size, `block ${i}`));
  }

  static async compile(runtime: GpuRuntime, graph: Graph, label = 'graph'): Promise<CompiledGraph> {
    const scope = runtime.scope(label);
    try {
      const compiled = new CompiledGraph(runtime, graph, planMemory(graph), scope);
      const ctx = {
        tensor: (v: Value) => compiled.tensor(v),
        scope,
        probe: (name: string, buffer: GPUBuffer, type: 'u32' | 'f32') => compiled.probes.push({ name, buffer, type }),
      };
      for (const node of graph.nodes) {
        for (const program of node.build(ctx)) compiled.programs.push({ stage: node.stage, program });
      }
      await runtime.prepare(compiled.programs.map((p) => p.program));
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
    return this.programs.length;
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
    outputs: readonly Value[],
    options: { timed?: boolean; beforeSubmit?: () => void; probes?: boolean; prefix?: readonly KernelProgram[] } = {},
  ): Promise<RunResult> {
    const device = this.runtime.device;
    const stages: { stage: Stage; programs: KernelProgram[] }[] = [];
    if (options.prefix?.length) stages.push({ stage: 'preprocess', programs: [...options.prefix] });
    for (const p of this.programs) {
      const last = stages[stages.length - 1];
      if (last && last.stage === p.stage) last.programs.push(p.program);
      else stages.push({ stage: p.stage, programs: [p.program] });
    }
    const timer = options.timed ? new PassTimer(device, stages.length) : undefined;
    const offsets: number[] = [];
    let stagingSize = 0;
    for (const v of outputs) {
      offsets.push(stagingSize);
      stagingSize += Math.ceil(this.graph.byteLength(v) / 4) * 4;
    }
    const probes = options.probes ? this.probes : [];
    const probeOffsets = probes.map(() => {
      const at = stagingSize;
      stagingSize += 4;
      return at;
    });
    const staging = device.createBuffer({
      label: 'graph outputs',
      size: Math.max(stagingSize, 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      options.beforeSubmit?.();
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder({ label: this.graph.nodes.length ? 'inference' : 'empty' });
      for (const { stage, programs } of stages) {
        const pass = encoder.beginComputePass({ label: stage, timestampWrites: timer?.passWrites(stage) });
        for (const program of programs) this.runtime.encode(pass, program);
        pass.end();
      }
      outputs.forEach((v, i) => {
        const t = this.tensor(v);
        encoder.copyBufferToBuffer(t.buffer, 0, staging, offsets[i]!, Math.ceil(this.graph.byteLength(v) / 4) * 4);
      });
      probes.forEach((p, i) => encoder.copyBufferToBuffer(p.buffer, 0, staging, probeOffsets[i]!, 4));
      timer?.resolve(encoder);
      if (timer) timer.submit([encoder.finish()]);
      else device.queue.submit([encoder.finish()]);
      const error = await device.popErrorScope();
      if (error) throw new Error(`WebGPU validation failed while running the graph: ${error.message}`);
      const timings = timer ? await timer.read() : undefined;
      await staging.mapAsync(GPUMapMode.READ);
      const mapped = staging.getMappedRange();
      const result = new Map<Value, ArrayBuffer>();
      outputs.forEach((v, i) => result.set(v, mapped.slice(offsets[i]!, offsets[i]! + this.graph.byteLength(v))));
      const view = new DataView(mapped);
      const probed = new Map(
        probes.map((p, i) => [p.name, p.type === 'u32' ? view.getUint32(probeOffsets[i]!, true) : view.getFloat32(probeOffsets[i]!, true)]),
      );
      staging.unmap();
      return { outputs: result, probes: probed, timings };
    } finally {
      staging.destroy();
      timer?.destroy();
    }
  }

  dispose(): void {
    this.scope.dispose();
  }
}
