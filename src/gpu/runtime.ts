import { AdapterUnavailableError, DeviceLostError, WebGPUUnavailableError } from '../errors';
import { BufferScope, readBuffer, writeBuffer, type HostData } from './buffers';
import { adapterOverrides, planDeviceRequest, readCapabilities, type Capabilities, type LimitName, type OptionalFeature } from './capabilities';
import type { Binding, KernelProgram } from './kernel';
import { PipelineCache } from './pipeline-cache';
import { PassTimer, type PassTimings } from './timing';

export interface RuntimeOptions {
  /** The WebGPU entry point; defaults to `navigator.gpu` (Dawn's `create()` in Node). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Optional features to enable when the adapter has them (default: all the engine knows). */
  features?: readonly OptionalFeature[];
  /** Raises the engine's floor for some limits (e.g. for a very large input). */
  minimumLimits?: Partial<Record<LimitName, number>>;
}

export interface DeviceLostDetail {
  readonly reason: string;
  readonly message: string;
  /** Generation of the device that was lost; owners of its buffers must re-create them. */
  readonly generation: number;
}

/** Finds `navigator.gpu` in a window, a worker or Node (where a caller may have installed one). */
function defaultGpu(): GPU {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) throw new WebGPUUnavailableError();
  return nav.gpu;
}

/**
 * The engine's handle on WebGPU: one adapter + device, their capabilities, a pipeline cache and
 * the encode/submit helpers. When the device is lost, a `devicelost` event fires and the next
 * `ensureDevice()` (or `run`) transparently re-creates device and pipeline cache; buffers from
 * the lost device are gone, and their owners (e.g. a planned graph) rebuild on that event.
 */
export class GpuRuntime extends EventTarget {
  private current!: { device: GPUDevice; adapter: GPUAdapter; pipelines: PipelineCache; capabilities: Capabilities };
  private lost: DeviceLostDetail | undefined;
  private generationCounter = 0;
  private readonly bindGroups = new WeakMap<KernelProgram, { generation: number; group: GPUBindGroup }>();

  private constructor(private readonly options: RuntimeOptions) {
    super();
  }

  static async create(options: RuntimeOptions = {}): Promise<GpuRuntime> {
    const runtime = new GpuRuntime(options);
    await runtime.acquire();
    return runtime;
  }

  get device(): GPUDevice {
    if (this.lost) throw new DeviceLostError(this.lost.reason, this.lost.message);
    return this.current.device;
  }
  get capabilities(): Capabilities {
    return this.current.capabilities;
  }
  get pipelines(): PipelineCache {
    return this.current.pipelines;
  }
  /** Increments each time a device is created; lets owners detect stale buffers. */
  get generation(): number {
    return this.generationCounter;
  }
  get isLost(): boolean {
    return this.lost !== undefined;
  }

  /** The live device, re-created first if the previous one was lost. */
  async ensureDevice(): Promise<GPUDevice> {
    if (this.lost) await this.acquire();
    return this.current.device;
  }

  /** A new ownership scope for buffers on the current device. */
  scope(label: string): BufferScope {
    return new BufferScope(this.device, label);
  }

  write(buffer: GPUBuffer, data: HostData, byteOffset = 0): void {
    writeBuffer(this.device, buffer, data, byteOffset);
  }

  async read(buffer: GPUBuffer, byteLength = buffer.size, byteOffset = 0): Promise<ArrayBuffer> {
    return readBuffer(this.device, buffer, byteLength, byteOffset);
  }

  async readF32(buffer: GPUBuffer, length = buffer.size / 4, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, length * 4, offset * 4));
  }

  async readU32(buffer: GPUBuffer, length = buffer.size / 4, offset = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, length * 4, offset * 4));
  }

  /** Compiles every program's pipeline in parallel (asynchronously). */
  async prepare(programs: Iterable<KernelProgram>): Promise<void> {
    const pipelines = this.pipelines;
    await Promise.all(
      [...programs].map((p) => pipelines.prepare(p.shader, p.entryPoint ?? 'main', p.constants ?? {})),
    );
  }

  /** Records one program into an open compute pass; its pipeline must already be prepared. */
  encode(pass: GPUComputePassEncoder, program: KernelProgram): void {
    const pipeline = this.pipelines.get(program.shader, program.entryPoint ?? 'main', program.constants ?? {});
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.bindGroupFor(program, pipeline));
    const d = program.dispatch;
    if ('indirect' in d) pass.dispatchWorkgroupsIndirect(d.indirect, d.offset);
    else if (d[0] > 0 && d[1] > 0 && d[2] > 0) pass.dispatchWorkgroups(d[0], d[1], d[2]);
  }

  /**
   * Prepares, encodes and submits programs in one command encoder: one compute pass per group
   * (a group is a list of programs, dispatched in order), each pass timed when `timer` is given.
   */
  async run(
    groups: readonly (readonly KernelProgram[])[] | readonly KernelProgram[],
    options: { label?: string; timed?: boolean } = {},
  ): Promise<PassTimings | undefined> {
    await this.ensureDevice();
    const passes = normaliseGroups(groups);
    await this.prepare(passes.flat());
    const device = this.device;
    const timer = options.timed ? new PassTimer(device, passes.length) : undefined;
    device.pushErrorScope('validation');
    try {
      const encoder = device.createCommandEncoder({ label: options.label ?? 'run' });
      passes.forEach((programs, i) => {
        const label = programs[0]?.label ?? `pass ${i}`;
        const pass = encoder.beginComputePass({ label, timestampWrites: timer?.passWrites(label) });
        for (const program of programs) this.encode(pass, program);
        pass.end();
      });
      timer?.resolve(encoder);
      if (timer) timer.submit([encoder.finish()]);
      else device.queue.submit([encoder.finish()]);
    } finally {
      const error = await device.popErrorScope();
      if (error) {
        timer?.destroy();
        throw new Error(`WebGPU validation failed in ${options.label ?? 'run'}: ${error.message}`);
      }
    }
    try {
      return timer ? await timer.read() : undefined;
    } finally {
      timer?.destroy();
    }
  }

  /** Resolves once all submitted work is done; surfaces a device loss as a typed error. */
  async finish(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    if (this.lost) throw new DeviceLostError(this.lost.reason, this.lost.message);
  }

  /** Destroys the device for good (the runtime can still re-acquire via ensureDevice). */
  destroy(): void {
    this.current.device.destroy();
  }

  private bindGroupFor(program: KernelProgram, pipeline: GPUComputePipeline): GPUBindGroup {
    const cached = this.bindGroups.get(program);
    if (cached && cached.generation === this.generationCounter) return cached.group;
    const group = this.device.createBindGroup({
      label: program.label,
      layout: pipeline.getBindGroupLayout(0),
      entries: program.bindings.flatMap((b, binding) => (b ? [{ binding, resource: toResource(b) }] : [])),
    });
    this.bindGroups.set(program, { generation: this.generationCounter, group });
    return group;
  }

  private async acquire(): Promise<void> {
    const gpu = this.options.gpu ?? defaultGpu();
    const adapter = await gpu.requestAdapter({ powerPreference: this.options.powerPreference });
    if (!adapter) throw new AdapterUnavailableError();
    const request = planDeviceRequest(adapter, {
      features: this.options.features,
      minimumLimits: this.options.minimumLimits,
    });
    const device = await adapter.requestDevice({ ...request, label: 'dynamic-head' });
    const generation = ++this.generationCounter;
    const capabilities = readCapabilities(adapter, device);
    this.current = {
      device,
      adapter,
      pipelines: new PipelineCache(device, adapterOverrides(capabilities)),
      capabilities,
    };
    this.lost = undefined;
    void device.lost.then((info) => {
      if (generation !== this.generationCounter) return;
      this.lost = { reason: info.reason ?? 'unknown', message: info.message ?? '', generation };
      this.dispatchEvent(new CustomEvent<DeviceLostDetail>('devicelost', { detail: this.lost }));
    });
  }
}

function toResource(binding: Binding): GPUBufferBinding | GPUTextureView {
  if ('texture' in binding) return binding.texture;
  if ('buffer' in binding) {
    return { buffer: binding.buffer, offset: binding.offset ?? 0, size: binding.size };
  }
  return { buffer: binding as GPUBuffer };
}

function normaliseGroups(
  groups: readonly (readonly KernelProgram[])[] | readonly KernelProgram[],
): (readonly KernelProgram[])[] {
  if (groups.length === 0) return [];
  return Array.isArray(groups[0]) ? [...(groups as readonly (readonly KernelProgram[])[])] : [groups as readonly KernelProgram[]];
}
