import { defineConfig } from 'vitest/config';

// Kernel tests run on WebGPU through Dawn + SwiftShader: slow (≈1 GFLOP/s) and multi-threaded,
// so files run one at a time with generous timeouts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
