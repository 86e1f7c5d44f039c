import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { Tensor } from '../ops/tensor';

/**
 * A small dataflow IR: values are activations (f32 or u32 tensors whose storage the memory plan
 * assigns), nodes are kernel invocations in execution order. A node turns its resolved tensors
 * into kernel programs once, at plan time; running the plan only replays them.
 */
export interface Value {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  /** Bytes per element: 4 for f32 / u32. */
  readonly elementBytes: number;
}

/** The pipeline stage a node belongs to: one compute pass (and one timing) per stage. */
export type Stage = 'preprocess' | 'backbone' | 'fpn' | 'head' | 'predictor' | 'candidates';

export interface BuildContext {
  /** The planned storage of a value, as a tensor of its shape. */
  tensor(value: Value): Tensor;
  /** Owner of per-node buffers that live as long as the plan (uniforms, fixed tables). */
  readonly scope: BufferScope;
}

/** A buffer-to-buffer copy (bytes; offsets and size multiples of 4). */
export interface BufferCopy {
  readonly from: GPUBuffer;
  readonly fromOffset: number;
  readonly to: GPUBuffer;
  readonly toOffset: number;
  readonly size: number;
}

/** Bytes of a value to read back after a run (a slice instead of the whole value). */
export interface ReadRange {
  readonly value: Value;
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** What a run reads back: whole values or slices of them. */
export type ReadRequest = Value | ReadRange;

/** Bytes that reading `requests` back copies to the host. */
export function readBytes(graph: Graph, requests: readonly ReadRequest[]): number {
  return requests.reduce((n, r) => n + ('value' in r ? r.byteLength : graph.byteLength(r)), 0);
}

export interface GraphNode {
  readonly name: string;
  readonly stage: Stage;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** Outputs written in place of an input: [output index, input index] (same storage). */
  readonly inPlace?: readonly (readonly [number, number])[];
  /** Builds the node's programs; they must dispatch in this order. */
  build(ctx: BuildContext): KernelProgram[];
  /**
   * Copies that run before the node's stage begins its compute pass (so a node with copies must
   * come before any node with programs in its stage), e.g. FPN levels packed into one buffer.
   */
  copies?(ctx: BuildContext): BufferCopy[];
}

export class Graph {
  readonly values: Value[] = [];
  readonly nodes: GraphNode[] = [];
  /** Values the caller reads after a run (kept alive to the end, never reused). */
  readonly outputs = new Set<Value>();

  value(name: string, shape: readonly number[], elementBytes = 4): Value {
    const v: Value = { id: this.values.length, name, shape: [...shape], elementBytes };
    this.values.push(v);
    return v;
  }

  add(node: GraphNode): void {
    this.nodes.push(node);
  }

  markOutput(value: Value): Value {
    this.outputs.add(value);
    return value;
  }

  byteLength(value: Value): number {
    return value.shape.reduce((a, b) => a * b, 1) * value.elementBytes;
  }
}
