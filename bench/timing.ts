import type { KernelProgram } from '../src/gpu/kernel';
import type { GpuRuntime } from '../src/gpu/runtime';

/** One kernel's measured time: the median over repetitions of (pass time / dispatches per pass). */
export interface KernelTiming {
  readonly medianMs: number;
  readonly minMs: number;
  readonly samplesMs: readonly number[];
  /** Dispatches recorded into each timed pass (more for fast kernels, so submit overhead fades). */
  readonly dispatchesPerPass: number;
  readonly source: 'timestamp-query' | 'wall-clock';
}

export interface TimingOptions {
  /** Timed repetitions after the warm-up (default 5). */
  readonly repetitions?: number;
  /** Aim for passes at least this long by repeating the dispatch (default 25 ms). */
  readonly targetPassMs?: number;
  /** Cap on dispatches per pass (default 64). */
  readonly maxDispatches?: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Times `program`: one untimed run (compiles the pipeline), one timed probe that sizes the pass,
 * then `repetitions` timed passes of the same dispatch repeated. Uses GPU timestamps when the
 * device has timestamp-query, else submit-to-done wall clock.
 */
export async function timeProgram(rt: GpuRuntime, program: KernelProgram, options: TimingOptions = {}): Promise<KernelTiming> {
  const repetitions = options.repetitions ?? 5;
  await rt.run([program], { label: `warm-up ${program.label}` });
  const probe = await rt.run([[program]], { label: `probe ${program.label}`, timed: true });
  const probeMs = Math.max(probe?.total ?? 1, 1e-3);
  const dispatches = Math.min(options.maxDispatches ?? 64, Math.max(1, Math.ceil((options.targetPassMs ?? 25) / probeMs)));
  const pass = Array.from({ length: dispatches }, () => program);
  const samples: number[] = [];
  let source: KernelTiming['source'] = probe?.source ?? 'wall-clock';
  for (let i = 0; i < repetitions; i++) {
    const t = await rt.run([pass], { label: `bench ${program.label}`, timed: true });
    if (!t) throw new Error('timed run returned no timings');
    source = t.source;
    samples.push(t.total / dispatches);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), samplesMs: samples, dispatchesPerPass: dispatches, source };
}
