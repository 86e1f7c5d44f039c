import { alignedSize } from '../gpu/buffers';
import type { Graph, Value } from './graph';

/**
 * Static memory plan: liveness over the node order, then greedy best-fit reuse of storage
 * blocks. Values written in place share one block whose lifetime is the union of theirs; graph
 * outputs live to the end. The plan is decided once per graph and replayed for every run, the
 * way TVM's web runtime does (see shared/style.md): the runtime only allocates and dispatches.
 */
export interface MemoryPlan {
  /** Block index per value id. */
  readonly blockOf: readonly number[];
  /** Size in bytes of each block. */
  readonly blockSizes: readonly number[];
  /** Sum of block sizes: what the plan allocates. */
  readonly plannedBytes: number;
  /** Sum of all value sizes: what one buffer per value would allocate. */
  readonly naiveBytes: number;
}

export function planMemory(graph: Graph): MemoryPlan {
  const n = graph.values.length;
  // Storage groups: in-place outputs join their input's group (union-find).
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (const node of graph.nodes) {
    for (const [o, i] of node.inPlace ?? []) parent[find(node.outputs[o]!.id)] = find(node.inputs[i]!.id);
  }
  const end = graph.nodes.length;
  const first = new Array<number>(n).fill(Infinity);
  const last = new Array<number>(n).fill(-1);
  const size = new Array<number>(n).fill(0);
  const touch = (v: Value, at: number) => {
    const g = find(v.id);
    first[g] = Math.min(first[g]!, at);
    last[g] = Math.max(last[g]!, at);
    size[g] = Math.max(size[g]!, alignedSize(graph.byteLength(v)));
  };
  const produced = new Set<number>();
  graph.nodes.forEach((node, at) => {
    node.inputs.forEach((v) => {
      // A graph input (read, never written by a node) is written before the run: live from the start.
      if (!produced.has(v.id)) touch(v, 0);
      touch(v, at);
    });
    node.outputs.forEach((v) => {
      produced.add(v.id);
      touch(v, at);
    });
  });
  for (const v of graph.outputs) {
    touch(v, end);
  }

  // Walk the nodes: allocate groups first defined here, free groups last used here (after).
  const starts = new Map<number, number[]>();
  const ends = new Map<number, number[]>();
  for (let g = 0; g < n; g++) {
    if (find(g) !== g || first[g] === Infinity) continue;
    (starts.get(first[g]!) ?? starts.set(first[g]!, []).get(first[g]!)!).push(g);
    (ends.get(last[g]!) ?? ends.set(last[g]!, []).get(last[g]!)!).push(g);
  }
  const blockSizes: number[] = [];
  const free: number[] = []; // block indices
  const blockOfGroup = new Map<number, number>();
  for (let at = 0; at <= end; at++) {
    for (const g of starts.get(at) ?? []) {
      const need = size[g]!;
      let best = -1;
      for (let k = 0; k < free.length; k++) {
        const b = free[k]!;
        if (blockSizes[b]! >= need && (best < 0 || blockSizes[b]! < blockSizes[free[best]!]!)) best = k;
      }
      if (best >= 0) {
        blockOfGroup.set(g, free[best]!);
        free.splice(best, 1);
      } else {
        // Grow the largest free block rather than leaving it stranded, when one exists.
        let largest = -1;
        for (let k = 0; k < free.length; k++) if (largest < 0 || blockSizes[free[k]!]! > blockSizes[free[largest]!]!) largest = k;
        if (largest >= 0) {
          const b = free[largest]!;
          free.splice(largest, 1);
          blockSizes[b] = need;
          blockOfGroup.set(g, b);
        } else {
          blockOfGroup.set(g, blockSizes.push(need) - 1);
        }
      }
    }
    for (const g of ends.get(at) ?? []) free.push(blockOfGroup.get(g)!);
  }
  const blockOf = graph.values.map((v) => blockOfGroup.get(find(v.id)) ?? -1);
  const naiveBytes = graph.values.reduce((s, v) => s + alignedSize(graph.byteLength(v)), 0);
  return { blockOf, blockSizes, plannedBytes: blockSizes.reduce((a, b) => a + b, 0), naiveBytes };
}
