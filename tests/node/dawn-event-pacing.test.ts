import { describe, expect, it } from 'vitest';
import { paceDawnEvents } from '../../src/gpu/dawn-event-pacing';
import { createNodeRuntime, dawnEventPacing } from '../../src/gpu/node-gpu';

describe('dawn.node event pacing', () => {
  it('paces on a software Vulkan driver, and GPU waits still complete through it', async () => {
    const rt = await createNodeRuntime();
    const pacing = dawnEventPacing();
    const software = /swiftshader|lvp_icd|lavapipe/i.test(process.env.VK_ICD_FILENAMES ?? '');
    const forced = process.env.DYNAMIC_HEAD_DAWN_EVENTS;
    expect(pacing !== undefined).toBe(forced === 'paced' || (forced !== 'spin' && software));
    if (!pacing) return;
    const scope = rt.scope('pacing');
    try {
      const before = pacing.pacedCallbacks;
      const data = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5);
      const buffer = scope.upload(data);
      await rt.finish();
      expect(Array.from(new Float32Array(await rt.read(buffer)))).toEqual(Array.from(data));
      // The waits above went through the paced tick (dawn.node ticks until its promises settle).
      expect(pacing.pacedCallbacks).toBeGreaterThan(before);
    } finally {
      scope.dispose();
    }
  });

  it('leaves JavaScript callers of setImmediate untouched', async () => {
    const installedBefore = dawnEventPacing() !== undefined;
    const pacing = paceDawnEvents();
    try {
      const order: string[] = [];
      const handle = setImmediate(() => order.push('immediate'));
      expect(handle.constructor.name).toBe('Immediate');
      setTimeout(() => order.push('timeout'), 5);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(order).toEqual(['immediate', 'timeout']);
      // A native, anonymous callback (what dawn.node passes) goes through the timer instead.
      const before = pacing.pacedCallbacks;
      const native = await new Promise<boolean>((resolve) => {
        const bound = Function.prototype.call.bind(() => resolve(true));
        Object.defineProperty(bound, 'name', { value: '' });
        setImmediate(bound as () => void);
      });
      expect(native).toBe(true);
      expect(pacing.pacedCallbacks).toBe(before + 1);
    } finally {
      if (!installedBefore) pacing.undo();
    }
  });
});
