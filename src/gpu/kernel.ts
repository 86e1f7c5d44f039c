/**
 * The one interface every kernel binding speaks (see shared/style.md): a binding in `src/ops/`
 * validates its arguments and returns programs; `src/gpu/runtime.ts` owns pipelines, bind groups
 * and dispatch. A program never compiles anything itself.
 */
export type OverrideConstants = Readonly<Record<string, number>>;

/** A buffer (a bare GPUBuffer binds the whole buffer) or a texture view bound at one binding slot. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number } | { texture: GPUTextureView };

/** Workgroup counts written on the GPU: 3 × u32 at `offset` bytes of an INDIRECT buffer. */
export interface IndirectDispatch {
  readonly indirect: GPUBuffer;
  readonly offset: number;
}

/** Workgroup counts, or an indirect-arguments buffer (3 x u32) written on the GPU. */
export type Dispatch = readonly [number, number, number] | IndirectDispatch;

export interface KernelProgram {
  /** Shown in GPU debuggers and error messages. */
  readonly label: string;
  /** File name in `shaders/` without `.wgsl`. */
  readonly shader: string;
  readonly entryPoint?: string;
  /** Values for the shader's `override` declarations (structural specialisation, not shapes). */
  readonly constants?: OverrideConstants;
  /**
   * Group 0 bindings, indexed by binding number. With the 'auto' layout an entry point's layout
   * holds only the bindings it statically uses, so slots it never touches are left undefined.
   */
  readonly bindings: readonly (Binding | undefined)[];
  readonly dispatch: Dispatch;
}

/** The key under which a program's pipeline is cached: shader + entry point + constants. */
export function pipelineKey(shader: string, entryPoint: string, constants: OverrideConstants = {}): string {
  const parts = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`);
  return `${shader}#${entryPoint}(${parts.join(',')})`;
}

/**
 * Splits a 1-D workgroup count over x and y so it stays under the per-dimension limit (65535).
 * Shaders recover the linear workgroup index as `wid.x + wid.y * num_workgroups.x`.
 */
export function workgroups1D(count: number, maxPerDimension = 65535): [number, number, number] {
  if (count <= maxPerDimension) return [Math.max(count, 1), 1, 1];
  const y = Math.ceil(count / maxPerDimension);
  return [Math.ceil(count / y), y, 1];
}

/** A uniform buffer's bytes, written field by field in WGSL struct order (4-byte scalars). */
export class UniformWriter {
  private readonly words: number[] = [];
  private readonly kinds: ('u32' | 'i32' | 'f32')[] = [];
  u32(...values: number[]): this {
    for (const v of values) this.push(v, 'u32');
    return this;
  }
  i32(...values: number[]): this {
    for (const v of values) this.push(v, 'i32');
    return this;
  }
  f32(...values: number[]): this {
    for (const v of values) this.push(v, 'f32');
    return this;
  }
  /** Bytes padded to a multiple of 16, as uniform buffers require. */
  bytes(): ArrayBuffer {
    const length = Math.max(16, Math.ceil(this.words.length / 4) * 16);
    const buffer = new ArrayBuffer(length);
    const view = new DataView(buffer);
    this.words.forEach((v, i) => {
      const kind = this.kinds[i];
      if (kind === 'f32') view.setFloat32(i * 4, v, true);
      else if (kind === 'i32') view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    return buffer;
  }
  private push(value: number, kind: 'u32' | 'i32' | 'f32'): void {
    this.words.push(value);
    this.kinds.push(kind);
  }
}

/** A shader's binding slots by name (binding number per name), as its ops file declares them. */
export type BindingSlots = Readonly<Record<string, number>>;

/**
 * The positional bindings array of a program from named values, so a program says what it binds
 * (`{ params, x, out }`) instead of relying on argument order. Slots left out stay unbound (with
 * the 'auto' layout, an entry point only has the bindings it statically uses).
 */
export function bindSlots<S extends BindingSlots>(slots: S, values: { readonly [K in keyof S]?: Binding }): (Binding | undefined)[] {
  const out: (Binding | undefined)[] = [];
  for (const [name, slot] of Object.entries(slots)) {
    const value = values[name as keyof S];
    if (value !== undefined) out[slot] = value;
  }
  return out;
}
