import { sumPrograms } from '../../src/ops/reduce';
import { sumRef } from '../../src/reference/reduce';
import { assert, assertClose } from '../harness/assert';
import { readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

const sums = [1, 255, 2049, 100_003].map((n) => ({
  name: `workgroup sum reduction of ${n} values`,
  run: (rt: Parameters<typeof withScope>[0]) =>
    withScope(rt, 'sum', async (scope) => {
      const values = randomArray(n, n);
      const { programs, result } = sumPrograms(scope, uploadTensor(scope, values, [n]));
      await rt.run([programs]);
      const [got] = await readTensor(rt, result);
      // f32 accumulation over n terms: compare to the f64 sum relative to the sum of magnitudes.
      const magnitude = values.reduce((s, v) => s + Math.abs(v), 0);
      assertClose([got! / magnitude], [sumRef(values) / magnitude], 'sum', 1e-5, 1e-6);
    }),
}));

// Counting (a gate map's active pixels): exact, including a multi-pass chain and a map whose
// "inactive" values are 0 and negative (only > 0 counts).
const counts = [1, 64, 2047, 70_001].map((n) => ({
  name: `count of values > 0 in ${n} values (exact)`,
  run: (rt: Parameters<typeof withScope>[0]) =>
    withScope(rt, 'count', async (scope) => {
      const values = randomArray(n, n + 7).map((v, i) => (i % 3 === 0 ? 0 : v));
      const { programs, result } = sumPrograms(scope, uploadTensor(scope, values, [n]), { positive: true });
      await rt.run([programs]);
      const [got] = await readTensor(rt, result);
      const expected = values.filter((v) => v > 0).length;
      assert(got === expected, `count over ${n}: ${got}, expected ${expected}`);
    }),
}));

export default defineKernelSuite('reduce', [...sums, ...counts]);
