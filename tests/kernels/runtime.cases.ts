import { InvalidArgumentError, ShaderNotFoundError } from '../../src/errors';
import type { DeviceLostDetail } from '../../src/gpu/runtime';
import { addProgram } from '../../src/ops/elementwise';
import { addRef } from '../../src/reference/elementwise';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

async function addWorks(rt: Parameters<typeof withScope>[0]): Promise<void> {
  // Every engine entry point starts with ensureDevice(), which re-creates a lost device.
  await rt.ensureDevice();
  await withScope(rt, 'add check', async (scope) => {
    const a = randomArray(300, 7);
    const b = randomArray(300, 8);
    const out = emptyTensor(scope, [300]);
    await rt.run([addProgram(scope, uploadTensor(scope, a, [300]), uploadTensor(scope, b, [300]), out)]);
    assertClose(await readTensor(rt, out), addRef(a, b), 'add after re-creation');
  });
}

export default defineKernelSuite('runtime', [
  {
    name: 'reports capabilities and the limits it requested',
    run: async (rt) => {
      const caps = rt.capabilities;
      assert(caps.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024, 'storage binding limit below the floor');
      assert(typeof caps.f16 === 'boolean' && typeof caps.timestampQuery === 'boolean', 'feature flags missing');
    },
  },
  {
    name: 'pipeline cache shares one compilation per shader + constants',
    run: async (rt) => {
      const [p1, p2] = await Promise.all([
        rt.pipelines.prepare('elementwise', 'add', { RELU: 1 }),
        rt.pipelines.prepare('elementwise', 'add', { RELU: 1 }),
      ]);
      assert(p1 === p2, 'concurrent prepares built two pipelines');
      const p3 = await rt.pipelines.prepare('elementwise', 'add', { RELU: 0 });
      assert(p3 !== p1, 'different constants must give a different pipeline');
      assert(rt.pipelines.get('elementwise', 'add', { RELU: 1 }) === p1, 'get() must return the cached pipeline');
      await assertRejects(() => rt.pipelines.prepare('no-such-kernel'), ShaderNotFoundError, 'no-such-kernel');
      await assertRejects(() => rt.pipelines.prepare('elementwise', 'add', { NOPE: 1 }), InvalidArgumentError, 'NOPE');
    },
  },
  {
    name: 'timed run reports per-pass times',
    run: (rt) =>
      withScope(rt, 'timed', async (scope) => {
        const t = uploadTensor(scope, randomArray(4096, 9), [4096]);
        const out = emptyTensor(scope, [4096]);
        const timings = await rt.run([[addProgram(scope, t, t, out)], [addProgram(scope, out, t, out)]], { timed: true });
        assert(timings !== undefined && timings.total >= 0, 'no timings');
        assert(timings.source === (rt.capabilities.timestampQuery ? 'timestamp-query' : 'wall-clock'), 'wrong timing source');
      }),
  },
  {
    name: 'survives device.destroy(): fires devicelost and re-creates the device on the next call',
    run: async (rt) => {
      const before = rt.generation;
      const lost = new Promise<DeviceLostDetail>((resolve) =>
        rt.addEventListener('devicelost', (e) => resolve((e as CustomEvent<DeviceLostDetail>).detail), { once: true }),
      );
      rt.device.destroy();
      const detail = await lost;
      assert(detail.generation === before, `lost generation ${detail.generation} != ${before}`);
      assert(rt.isLost, 'runtime should know its device is lost');
      await addWorks(rt);
      assert(rt.generation === before + 1, 'device was not re-created');
      assert(!rt.isLost, 'runtime still marked lost');
    },
  },
]);
