import { InvalidArgumentError } from '../../src/errors';
import {
  crossoverFromSamples,
  DEFAULT_SPARSE_CROSSOVER,
  MAX_SPARSE_CROSSOVER,
  measureSparseCrossover,
  resolveSparseCrossover,
  SPARSE_CROSSOVER_TABLE,
  tabulatedSparseCrossover,
} from '../../src/ops/sparse-crossover';
import { assert, assertRejects } from '../harness/assert';
import { defineKernelSuite } from '../harness/suite';

const line = (a: number, b: number, dense: number, densities = [0, 0.2, 0.4, 0.6, 0.8, 1]) =>
  densities.map((density) => ({ density, sparseMs: a + b * density, denseMs: dense }));

const near = (x: number, y: number, what: string) => assert(Math.abs(x - y) < 1e-9, `${what}: ${x} != ${y}`);

export default defineKernelSuite('sparse-crossover', [
  {
    name: 'crossoverFromSamples: linear fit, clamping, one outlier, bad input',
    run: async () => {
      near(crossoverFromSamples(line(10, 100, 70)), 0.6, 'clean line');
      near(crossoverFromSamples(line(1, 90, 100)), MAX_SPARSE_CROSSOVER, 'sparse always cheaper');
      near(crossoverFromSamples(line(120, 10, 100)), 0, 'sparse never cheaper');
      const noisy = line(10, 100, 70);
      noisy[0] = { density: 0, sparseMs: 60, denseMs: 30 }; // a stall on a shared machine
      const c = crossoverFromSamples(noisy);
      assert(c > 0.4 && c < 0.7, `one outlier moved the crossover to ${c}`);
      assert(DEFAULT_SPARSE_CROSSOVER > 0 && DEFAULT_SPARSE_CROSSOVER <= MAX_SPARSE_CROSSOVER, 'default in range');
      await assertRejects(() => crossoverFromSamples([]), InvalidArgumentError, 'sample');
    },
  },
  {
    name: 'measureSparseCrossover runs on this adapter (tiny map) and returns a fraction',
    run: async (rt) => {
      const r = await measureSparseCrossover(rt, { height: 8, width: 8, channels: 32, densities: [0, 1], repetitions: 1 });
      assert(r.samples.length === 2 && r.samples.every((s) => s.sparseMs >= 0 && s.denseMs >= 0), 'two finite samples');
      assert(r.crossover >= 0 && r.crossover <= MAX_SPARSE_CROSSOVER, `crossover ${r.crossover}`);
    },
  },
  {
    name: 'crossover choice: a fraction as given, the calibration table by kind of adapter, bad values rejected',
    run: async (rt) => {
      near(await resolveSparseCrossover(rt, 0.42), 0.42, 'explicit fraction');
      near(await resolveSparseCrossover(rt, 0), 0, 'zero (always dense)');
      const table = await resolveSparseCrossover(rt);
      near(table, rt.capabilities.softwareAdapter ? SPARSE_CROSSOVER_TABLE.software : SPARSE_CROSSOVER_TABLE.hardware, 'table (default)');
      near(tabulatedSparseCrossover({ softwareAdapter: true }), 0.95, 'software adapters');
      near(tabulatedSparseCrossover({ softwareAdapter: false }), DEFAULT_SPARSE_CROSSOVER, 'hardware adapters');
      for (const bad of [1.5, -0.1, Number.NaN, 'fast']) {
        await assertRejects(() => resolveSparseCrossover(rt, bad as number), InvalidArgumentError, 'crossover');
      }
    },
  },
]);
