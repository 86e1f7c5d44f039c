/** Shared fixture access for the weights tests (not a test file itself). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'fflate';
import type { ConversionResult } from '../../src/weights/convert';

export const FIXTURES = path.resolve(__dirname, '../fixtures/weights');

export interface ExpectedTensor {
  shape: number[];
  sha256_f32: string;
  sha256_f16: string | null;
}

export interface ExpectedModel {
  architecture: Record<string, number | string>;
  tensors: Record<string, ExpectedTensor>;
  folded_f64: Record<string, number[]>;
}

export interface Expected {
  eps: number;
  fixtures: Record<string, string>;
  models: Record<string, ExpectedModel>;
  malicious: Record<string, { global: string; marker: string; payload_verified: boolean | null }>;
}

export const expected: Expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Expected;

/** A fixture's raw bytes (gunzipped when stored as .gz). */
export function fixture(name: string): Uint8Array {
  const raw = new Uint8Array(readFileSync(path.join(FIXTURES, name)));
  return name.endsWith('.gz') ? gunzipSync(raw) : raw;
}

export function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** The bytes of one converted tensor inside the .dhw file. */
export function tensorBytes(result: ConversionResult, name: string): Uint8Array {
  const info = result.header.tensors.find((t) => t.name === name);
  if (!info) throw new Error(`no tensor ${name}`);
  const start = result.bytes.length - result.header.dataLength + info.offset;
  return result.bytes.subarray(start, start + info.byteLength);
}

/** Deterministic PRNG (mulberry32) for fuzzing and chunking. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
