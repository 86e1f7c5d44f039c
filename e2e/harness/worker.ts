import { GpuRuntime } from '../../src/gpu/runtime';
import { loadKernelSuites } from '../../tests/harness/suite';
import type { HarnessMessage, HarnessRequest } from './protocol';

// Runs the shared kernel suites on the Worker's own `navigator.gpu` and reports each case.
const post = (message: HarnessMessage) => (self as unknown as Worker).postMessage(message);

self.onmessage = async (event: MessageEvent<HarnessRequest>) => {
  if (event.data.hideGpu) Object.defineProperty(self.navigator, 'gpu', { value: undefined, configurable: true });
  let runtime: GpuRuntime;
  try {
    runtime = await GpuRuntime.create();
  } catch (error) {
    const e = error as Error;
    post({ type: 'fatal', errorName: e.name, message: e.message });
    return;
  }
  const caps = runtime.capabilities;
  post({
    type: 'adapter',
    description: caps.adapterInfo.description || caps.adapterInfo.vendor,
    features: [...runtime.device.features],
  });
  let passed = 0;
  let failed = 0;
  for (const [file, suite] of loadKernelSuites()) {
    if (event.data.suite && event.data.suite !== file) continue;
    for (const kernelCase of suite.cases) {
      const start = performance.now();
      try {
        await kernelCase.run(runtime);
        passed++;
        post({ type: 'case', suite: file, name: kernelCase.name, ok: true, ms: performance.now() - start });
      } catch (error) {
        failed++;
        post({ type: 'case', suite: file, name: kernelCase.name, ok: false, error: String(error), ms: performance.now() - start });
      }
    }
  }
  runtime.destroy();
  post({ type: 'done', passed, failed });
};
