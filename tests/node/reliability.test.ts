import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSeries, nodeSample, soak, startMiddleEnd } from '../../bench/soak-series';
import { decodeImage } from '../../src/cli/image';
import { AbortError, EngineDisposedError } from '../../src/errors';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine } from '../../src/model/engine';
import { CallQueue } from '../../src/worker/call-queue';
import { EngineHost, type PixelSource } from '../../src/worker/engine-host';
import { GpuBufferCensus } from '../../src/worker/gpu-buffer-census';
import type { LoadRequest } from '../../src/api/worker-protocol';

// Lifecycle and leaks, on Dawn: the worker's logic (EngineHost: call queue, device-loss reload,
// disposal) driven directly in Node, the engine's warm start, and a short soak. The long soak is
// `npm run soak`; the same checks through the real worker run in Chromium (e2e/lifecycle.spec.ts).
const root = path.resolve(__dirname, '../..');
const weights = new Uint8Array(readFileSync(path.join(root, 'weights/default/model.dhw')));
const sample = decodeImage(new Uint8Array(readFileSync(path.join(root, 'demo/samples/shapes-val-000000.png'))));
const request: LoadRequest = { weights: weights.slice().buffer, cache: false, warmup: { gates: false } };

const runtimes: GpuRuntime[] = [];
const newRuntime = async () => {
  const runtime = await createNodeRuntime();
  runtimes.push(runtime);
  return runtime;
};
afterAll(() => {
  for (const r of runtimes) {
    try {
      r.destroy();
    } catch {
      // already destroyed
    }
  }
});

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('CallQueue', () => {
  it('runs in order; close() rejects queued and running callers at once, resolves after the running task', async () => {
    const queue = new CallQueue();
    const order: string[] = [];
    const gate = deferred();
    const skipped: number[] = [];
    const running = queue.run(async () => {
      order.push('start 0');
      await gate.promise;
      order.push('end 0');
      return 0;
    });
    const queued = [1, 2, 3].map((i) =>
      queue.run(
        async () => {
          order.push(`run ${i}`);
          return i;
        },
        () => skipped.push(i),
      ),
    );
    await Promise.resolve();
    expect(queue.pending).toBe(4);
    const closed = queue.close();
    const settled = await Promise.allSettled([running, ...queued]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const s of settled) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(EngineDisposedError);
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false); // the running task has not finished yet
    gate.resolve();
    await closed;
    expect(order).toEqual(['start 0', 'end 0']);
    expect(skipped).toEqual([1, 2, 3]);
    await expect(queue.run(async () => 1)).rejects.toBeInstanceOf(EngineDisposedError);
  });
});

describe('EngineHost (the worker, in Node): dispose during a detect with 3 queued', () => {
  it('every call settles with EngineDisposedError within 1 s; GPU buffers are freed after the running one; a new host works', async () => {
    const host = new EngineHost(newRuntime);
    const info = await host.load(request);
    expect(info.warmInputSize).toEqual([160, 160]);
    const started = deferred();
    const discarded: number[] = [];
    const source = (i: number): PixelSource => ({
      read: () => {
        if (i === 0) started.resolve();
        return sample;
      },
      discard: () => discarded.push(i),
    });
    const calls = [0, 1, 2, 3].map((i) => host.detect(source(i), { gates: 'none' }));
    const settledAt: number[] = [];
    const settled = calls.map((c, i) =>
      c.then(
        () => 'resolved',
        (e: unknown) => {
          settledAt[i] = performance.now();
          return e;
        },
      ),
    );
    await started.promise;
    const t0 = performance.now();
    const report = host.dispose();
    const outcomes = await Promise.all(settled);
    const latest = Math.max(...settledAt) - t0;
    for (const o of outcomes) expect(o).toBeInstanceOf(EngineDisposedError);
    expect(latest).toBeLessThan(1000);
    await expect(host.detect(source(9), { gates: 'none' })).rejects.toBeInstanceOf(EngineDisposedError);
    const { liveBuffers, waitedMs } = await report;
    console.log(
      `dispose during a detect with 3 queued: all 4 calls rejected within ${latest.toFixed(1)} ms; ` +
        `GPU freed after the running detect (waited ${waitedMs.toFixed(0)} ms); live GPU buffers left ${liveBuffers.buffers} (${liveBuffers.bytes} bytes)`,
    );
    expect(liveBuffers).toEqual({ buffers: 0, bytes: 0 });
    expect(discarded.sort()).toEqual([1, 2, 3, 9]);

    const again = new EngineHost(newRuntime);
    await again.load({ ...request, weights: weights.slice().buffer });
    const result = await again.detect(source(0), { gates: 'densities' });
    expect(result.detections.length).toBeGreaterThan(0);
    expect((await again.dispose()).liveBuffers.buffers).toBe(0);
  });
});

describe('EngineHost (the worker, in Node): a cancelled queued detect', () => {
  it('is skipped with AbortError (its pixels never read); the calls around it run; a cancel for a running call changes nothing', async () => {
    const host = new EngineHost(newRuntime);
    await host.load(request);
    try {
      const read: number[] = [];
      const discarded: number[] = [];
      const source = (i: number): PixelSource => ({
        read: () => {
          read.push(i);
          return sample;
        },
        discard: () => discarded.push(i),
      });
      const calls = [1, 2, 3].map((id) => host.detect(source(id), { gates: 'none', callId: id }));
      host.cancel(2);
      const outcomes = await Promise.all(calls.map((c) => c.then((r) => r.detections.length, (e: unknown) => e)));
      expect(outcomes[1]).toBeInstanceOf(AbortError);
      expect(outcomes[0]).toBeGreaterThan(0);
      expect(outcomes[2]).toBe(outcomes[0]);
      expect(read).toEqual([1, 3]);
      expect(discarded).toContain(2);
      expect(host.stats().skippedCalls).toBe(1);
      // Cancelling a call that already ran (or runs) skips nothing later.
      host.cancel(3);
      expect(((await host.detect(source(4), { gates: 'none', callId: 4 })).detections.length)).toBe(outcomes[0]);
      expect(host.stats().skippedCalls).toBe(1);
    } finally {
      await host.dispose();
    }
  });
});

describe('warm start and a short soak (engine directly)', () => {
  it('load compiles the default plan and the input stage: the first detect compiles no pipeline; 8 detections leak no GPU buffer', async () => {
    const runtime = await newRuntime();
    const census = new GpuBufferCensus();
    census.watch(runtime.device);
    const phases: string[] = [];
    const engine = await DetectorEngine.load(runtime, weights, { onProgress: (_l, _t, phase) => void (phases.at(-1) !== phase && phases.push(phase)) });
    try {
      expect(phases).toEqual(['weights', 'compiling']);
      expect(engine.warmInputSize).toEqual([160, 160]);
      expect(engine.loadTimings.compileMs).toBeGreaterThan(0);
      const pipelines = runtime.pipelines.size;
      const first = await engine.detect(sample);
      // Plans are keyed by the padded size and the warm-up also compiles the input stage: the
      // first detect compiles nothing.
      expect(runtime.pipelines.size - pipelines, 'pipelines compiled by the first detect').toBe(0);
      const second = await engine.detect(sample);
      console.log(
        `warm start: load compiled ${pipelines} pipelines, the first detect ${runtime.pipelines.size - pipelines} more in ${engine.loadTimings.compileMs.toFixed(0)} ms; first detect compile ${first.timings.compileMs.toFixed(0)} ms ` +
          `(GPU ${first.timings.gpuMs.toFixed(0)} ms), second ${second.timings.compileMs.toFixed(1)} ms (GPU ${second.timings.gpuMs.toFixed(0)} ms)`,
      );
      expect(second.detections).toEqual(first.detections);
      const series = await soak('Node engine, short soak', 8, () => engine.detect(sample), nodeSample(() => census.current), 4);
      console.log(describeSeries(series));
      const [start, , end] = startMiddleEnd(series);
      expect(end.gpuBuffers).toBe(start.gpuBuffers);
      expect(end.gpuMiB).toBe(start.gpuMiB);
    } finally {
      engine.dispose();
    }
    expect(census.current).toEqual({ buffers: 0, bytes: 0 });
  });
});
