import { sumPrograms } from '../../src/ops/reduce';
import { sumRef } from '../../src/reference/reduce';
import { assertClose } from '../harness/assert';
import { readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

export default defineKernelSuite('reduce', [1, 255, 2049, 100_003].map((n) => ({
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
})));
