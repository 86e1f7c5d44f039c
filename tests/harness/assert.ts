/** Minimal assertions usable in both harnesses (no test-runner globals in a Worker). */

export class AssertionFailure extends Error {
  override name = 'AssertionFailure';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

/** max |actual − expected| / max |expected| (the absolute difference when expected is all zero; NaN counts as ∞). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/**
 * Fails unless every |actual − expected| ≤ tolerance · max|expected| (the tensor's max magnitude;
 * a floor of `absFloor` keeps all-zero tensors meaningful). Reports the worst element.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tolerance = 1e-4,
  absFloor = 1e-6,
): void {
  assert(actual.length === expected.length, `${what}: length ${actual.length} != expected ${expected.length}`);
  const bound = Math.max(maxAbs(expected) * tolerance, absFloor);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const d = Math.abs(a - e);
    if (!(d <= worst) || Number.isNaN(a)) {
      worst = Number.isNaN(a) ? Infinity : d;
      at = i;
    }
  }
  assert(
    worst <= bound,
    `${what}: max |diff| ${worst.toExponential(3)} at index ${at} (got ${actual[at]}, expected ${expected[at]}) exceeds ${bound.toExponential(3)}`,
  );
}

/** Runs `fn` and checks it throws an error of class `type` whose message mentions `mentions`. */
export async function assertRejects(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
  mentions: string,
): Promise<void> {
  try {
    await fn();
  } catch (error) {
    assert(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert(error.message.includes(mentions), `expected the message to mention "${mentions}", got: ${error.message}`);
    return;
  }
  throw new AssertionFailure(`expected ${type.name} mentioning "${mentions}", nothing was thrown`);
}
