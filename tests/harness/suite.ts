import type { GpuRuntime } from '../../src/gpu/runtime';

/**
 * Kernel test suites are plain data so the same cases run under Vitest in Node (Dawn) and inside
 * a dedicated Worker in Chromium (Playwright). A case throws to fail.
 */
export interface KernelCase {
  readonly name: string;
  run(runtime: GpuRuntime): Promise<void>;
}

export interface KernelSuite {
  readonly name: string;
  readonly cases: readonly KernelCase[];
}

export function defineKernelSuite(name: string, cases: readonly KernelCase[]): KernelSuite {
  return { name, cases };
}

/** All suites in `tests/kernels/*.cases.ts`, keyed by file stem. */
export function loadKernelSuites(): Map<string, KernelSuite> {
  const modules = import.meta.glob('../kernels/*.cases.ts', { eager: true, import: 'default' }) as Record<
    string,
    KernelSuite
  >;
  return new Map(
    Object.entries(modules)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, suite]) => [path.replace(/^.*\/([^/]+)\.cases\.ts$/, '$1'), suite]),
  );
}
