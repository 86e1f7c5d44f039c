/**
 * The memory series of a soak: RSS, JS heap and live GPU buffers sampled every few iterations of
 * a repeated call, summarised at start, middle and end (used by `npm run soak` and, short, by
 * tests/node/reliability.test.ts).
 */
export interface SoakSample {
  /** Iterations done when sampled. */
  readonly iteration: number;
  readonly rssMiB?: number;
  readonly heapMiB?: number;
  readonly gpuBuffers: number;
  readonly gpuMiB: number;
}

export interface SoakSeries {
  readonly label: string;
  readonly samples: SoakSample[];
  readonly msPerIteration: number;
}

export type Sampler = (iteration: number) => Promise<SoakSample> | SoakSample;

/** Runs `step` `iterations` times, sampling before the first, every `every`, and after the last. */
export async function soak(label: string, iterations: number, step: (i: number) => Promise<unknown>, sample: Sampler, every = Math.max(1, Math.floor(iterations / 20))): Promise<SoakSeries> {
  const samples: SoakSample[] = [await sample(0)];
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    await step(i);
    if ((i + 1) % every === 0 || i + 1 === iterations) samples.push(await sample(i + 1));
  }
  return { label, samples, msPerIteration: (performance.now() - t0) / Math.max(1, iterations) };
}

/** The samples at start, middle and end. */
export function startMiddleEnd(series: SoakSeries): [SoakSample, SoakSample, SoakSample] {
  const s = series.samples;
  return [s[0]!, s[Math.floor((s.length - 1) / 2)]!, s[s.length - 1]!];
}

export function describeSeries(series: SoakSeries): string {
  const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
  const rows = startMiddleEnd(series).map(
    (s) => `  after ${String(s.iteration).padStart(5)}: RSS ${f(s.rssMiB)} MiB, JS heap ${f(s.heapMiB)} MiB, GPU buffers ${s.gpuBuffers} (${f(s.gpuMiB)} MiB)`,
  );
  return `${series.label}: ${series.samples.at(-1)!.iteration} iterations, ${series.msPerIteration.toFixed(0)} ms each\n${rows.join('\n')}`;
}

/** A Node process sample (RSS and V8 heap) with GPU buffer counts from a census. */
export function nodeSample(census: () => { buffers: number; bytes: number }): Sampler {
  return (iteration) => {
    const m = process.memoryUsage();
    const c = census();
    return { iteration, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, gpuBuffers: c.buffers, gpuMiB: c.bytes / 2 ** 20 };
  };
}
