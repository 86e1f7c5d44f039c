import { InvalidArgumentError } from '../errors';
import { pipelineKey, type OverrideConstants } from './kernel';
import { overrideNames, shaderSource } from './shader-registry';

/**
 * Compute pipelines keyed by shader + entry point + override constants (the layout is derived
 * from the shader, so it is part of the same key). Pipelines are only ever built with
 * `createComputePipelineAsync`; `get` refuses to build synchronously so nothing compiles on the
 * hot path. Shader modules are shared between pipelines of the same file.
 */
export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly ready = new Map<string, GPUComputePipeline>();
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();

  /**
   * `adapterConstants` (e.g. SOFTWARE_ADAPTER) go to every shader that declares them, unless a
   * program sets them itself; they are fixed for the device, so pipeline keys leave them out.
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly adapterConstants: Readonly<Record<string, number>> = {},
  ) {}

  get size(): number {
    return this.ready.size;
  }

  /** Compiles (once) and resolves the pipeline; concurrent callers share one compilation. */
  prepare(shader: string, entryPoint = 'main', constants: OverrideConstants = {}): Promise<GPUComputePipeline> {
    const key = pipelineKey(shader, entryPoint, constants);
    const done = this.ready.get(key);
    if (done) return Promise.resolve(done);
    let promise = this.pending.get(key);
    if (!promise) {
      promise = this.compile(key, shader, entryPoint, constants);
      this.pending.set(key, promise);
    }
    return promise;
  }

  /** The already-compiled pipeline, or a clear error naming the missing one. */
  get(shader: string, entryPoint = 'main', constants: OverrideConstants = {}): GPUComputePipeline {
    const key = pipelineKey(shader, entryPoint, constants);
    const pipeline = this.ready.get(key);
    if (!pipeline) throw new Error(`pipeline ${key} was not prepared before encoding`);
    return pipeline;
  }

  private adapterConstantsFor(declared: Set<string>): Record<string, number> {
    return Object.fromEntries(Object.entries(this.adapterConstants).filter(([name]) => declared.has(name)));
  }

  private async compile(
    key: string,
    shader: string,
    entryPoint: string,
    constants: OverrideConstants,
  ): Promise<GPUComputePipeline> {
    const declared = overrideNames(shader);
    for (const name of Object.keys(constants)) {
      if (!declared.has(name)) {
        throw new InvalidArgumentError(`constants.${name}`, `shader "${shader}" declares no override named ${name}`);
      }
    }
    let module = this.modules.get(shader);
    if (!module) {
      module = this.device.createShaderModule({ label: shader, code: shaderSource(shader) });
      this.modules.set(shader, module);
    }
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint, constants: { ...this.adapterConstantsFor(declared), ...constants } },
      });
      this.ready.set(key, pipeline);
      return pipeline;
    } catch (error) {
      const info = await module.getCompilationInfo().catch(() => undefined);
      const messages = info?.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${shader}.wgsl:${m.lineNum}:${m.linePos} ${m.message}`)
        .join('\n');
      throw new Error(`failed to build pipeline ${key}: ${String(error)}${messages ? `\n${messages}` : ''}`);
    } finally {
      this.pending.delete(key);
    }
  }
}
