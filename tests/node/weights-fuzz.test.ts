/**
 * Seeded mutation fuzzing of the three readers: the checkpoint converter (.pth zip, .pkl) and the
 * streaming .dhw loader. Every mutated input must end in a typed error or a valid result, quickly,
 * without a crash, a hang or a runaway allocation.
 */
import { describe, expect, it } from 'vitest';
import { DynamicHeadError } from '../../src/errors';
import { convertCheckpoint } from '../../src/weights/convert';
import { loadWeights } from '../../src/weights/loader';
import { fixture, rng } from './weights-helpers';

type Region = readonly [number, number];

interface Target {
  name: string;
  bytes: Uint8Array;
  /** Where the structure lives (pickle, header, central directory): most mutations go there. */
  regions: Region[];
  run(bytes: Uint8Array): Promise<unknown>;
}

// Defaults keep the suite fast; raise them locally for a deeper run.
const CASES_PER_TARGET = Number(process.env.WEIGHTS_FUZZ_CASES ?? 200);
const SEED = Number(process.env.WEIGHTS_FUZZ_SEED ?? 0xd1ea);
const MAX_MS_PER_CASE = 3000;

function mutate(src: Uint8Array, regions: Region[], random: () => number): { bytes: Uint8Array; what: string } {
  const pick = (): number => {
    if (random() < 0.7) {
      const [a, b] = regions[Math.floor(random() * regions.length)];
      return a + Math.floor(random() * (b - a));
    }
    return Math.floor(random() * src.length);
  };
  const kind = Math.floor(random() * 6);
  const bytes = src.slice();
  switch (kind) {
    case 0: {
      const cut = random() < 0.5 ? pick() : Math.floor(random() * src.length);
      return { bytes: src.slice(0, cut), what: `truncate at ${cut}` };
    }
    case 1: {
      const flips = 1 + Math.floor(random() * 8);
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const p = pick();
        bytes[p] ^= 1 << Math.floor(random() * 8);
        at.push(p);
      }
      return { bytes, what: `flip bits at ${at.join(',')}` };
    }
    case 2: {
      // a huge (or negative) declared size / count / offset
      const p = Math.min(pick(), bytes.length - 8);
      const values = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, Math.floor(random() * 2 ** 32)];
      new DataView(bytes.buffer).setUint32(p, values[Math.floor(random() * values.length)], true);
      if (random() < 0.3) new DataView(bytes.buffer).setUint32(p + 4, 0xffffffff, true);
      return { bytes, what: `huge value at ${p}` };
    }
    case 3: {
      const p = pick();
      const n = 1 + Math.floor(random() * 64);
      return { bytes: new Uint8Array([...src.subarray(0, p), ...src.subarray(p + n)]), what: `delete ${n} at ${p}` };
    }
    case 4: {
      const p = pick();
      const junk = Array.from({ length: 1 + Math.floor(random() * 32) }, () => Math.floor(random() * 256));
      return { bytes: new Uint8Array([...src.subarray(0, p), ...junk, ...src.subarray(p)]), what: `insert ${junk.length} at ${p}` };
    }
    default: {
      const p = pick();
      bytes.fill(Math.floor(random() * 256), p, p + 1 + Math.floor(random() * 16));
      return { bytes, what: `overwrite at ${p}` };
    }
  }
}

/** Zip-specific damage: entry names, compression methods and sizes in the central directory. */
function mutateZipEntries(src: Uint8Array, random: () => number): { bytes: Uint8Array; what: string } {
  const bytes = src.slice();
  const view = new DataView(bytes.buffer);
  const central: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++) if (view.getUint32(i, true) === 0x02014b50) central.push(i);
  const at = central[Math.floor(random() * central.length)];
  const choice = Math.floor(random() * 4);
  if (choice === 0) {
    const nameLength = view.getUint16(at + 28, true);
    bytes[at + 46 + Math.floor(random() * nameLength)] = 0x41 + Math.floor(random() * 26);
    return { bytes, what: `rename central entry at ${at}` };
  }
  if (choice === 1) {
    view.setUint16(at + 10, [8, 12, 99][Math.floor(random() * 3)], true);
    return { bytes, what: `compression method of entry at ${at}` };
  }
  if (choice === 2) {
    view.setUint32(at + 20, Math.floor(random() * 2 ** 32), true);
    view.setUint32(at + 24, Math.floor(random() * 2 ** 32), true);
    return { bytes, what: `sizes of entry at ${at}` };
  }
  view.setUint32(at + 42, Math.floor(random() * bytes.length * 2), true);
  return { bytes, what: `local header offset of entry at ${at}` };
}

function targets(): Target[] {
  const pth = fixture('tiny-d2.pth.gz');
  const pkl = fixture('tiny-d2-p4.pkl.gz');
  const dhw = convertCheckpoint(pkl, { fp16: true }).bytes;
  let second = 4;
  while (!(pth[second] === 0x50 && pth[second + 1] === 0x4b && pth[second + 2] === 3 && pth[second + 3] === 4)) second++;
  const convert = async (bytes: Uint8Array) => convertCheckpoint(bytes);
  return [
    { name: '.pth (zip)', bytes: pth, regions: [[0, second], [pth.length - 40_000, pth.length]], run: convert },
    { name: '.pkl (protocol 4)', bytes: pkl, regions: [[0, 4096], [0, pkl.length]], run: convert },
    {
      name: '.dhw',
      bytes: dhw,
      regions: [[0, dhw.length - convertCheckpoint(pkl, { fp16: true }).header.dataLength]],
      run: (bytes) => loadWeights(bytes, { chunkBytes: 65536 }),
    },
  ];
}

describe('fuzzing the readers (seeded)', () => {
  it(`${3 * CASES_PER_TARGET} mutations: typed error or valid result, fast, bounded memory`, async () => {
    const outcomes: Record<string, Record<string, number>> = {};
    let slowest = 0;
    const baseline = process.memoryUsage();
    for (const target of targets()) {
      const random = rng(SEED + target.name.length);
      const tally: Record<string, number> = {};
      for (let i = 0; i < CASES_PER_TARGET; i++) {
        const { bytes, what } =
          target.name.startsWith('.pth') && random() < 0.25 ? mutateZipEntries(target.bytes, random) : mutate(target.bytes, target.regions, random);
        const started = performance.now();
        let outcome: string;
        try {
          await target.run(bytes);
          outcome = 'ok';
        } catch (e) {
          if (!(e instanceof DynamicHeadError)) {
            throw new Error(`${target.name} case ${i} (${what}): untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
          }
          outcome = e.name;
        }
        const ms = performance.now() - started;
        slowest = Math.max(slowest, ms);
        expect(ms, `${target.name} case ${i} (${what})`).toBeLessThan(MAX_MS_PER_CASE);
        const memory = process.memoryUsage();
        expect(memory.heapUsed + memory.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers, `${target.name} case ${i}`).toBeLessThan(
          512 * 2 ** 20,
        );
        tally[outcome] = (tally[outcome] ?? 0) + 1;
      }
      outcomes[target.name] = tally;
    }
    console.log('fuzz outcomes', JSON.stringify(outcomes), `slowest case ${slowest.toFixed(0)} ms`);
  }, 600_000);
});
