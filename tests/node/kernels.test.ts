import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { loadKernelSuites } from '../harness/suite';
import { createNodeRuntime } from '../../src/gpu/node-gpu';

// The shared kernel suites (tests/kernels/*.cases.ts), run on Dawn in Node. The same cases run
// in a Chromium Worker through e2e/kernels.spec.ts.
let runtime: GpuRuntime;
beforeAll(async () => {
  runtime = await createNodeRuntime();
});
afterAll(() => runtime?.destroy());

for (const [file, suite] of loadKernelSuites()) {
  describe(`${suite.name} (${file}.cases.ts)`, () => {
    for (const kernelCase of suite.cases) {
      it(kernelCase.name, () => kernelCase.run(runtime));
    }
  });
}
