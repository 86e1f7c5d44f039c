/**
 * The Pillow resize fixtures (tests/fixtures/pillow-resize/pairs.json, written by
 * tools/fixtures/pillow_resize.py): each pair's source is a formula of (pattern, seed) that this
 * file evaluates exactly as the generator does (32-bit integer arithmetic), Pillow's output is
 * kept as a SHA-256 of its RGB bytes plus three whole rows. Works in Node and in a browser
 * Worker (Web Crypto for the digest).
 */
import fixtures from '../fixtures/pillow-resize/pairs.json';

export interface PillowPair {
  /** [h, w] */
  readonly source: readonly [number, number];
  /** [h, w] */
  readonly target: readonly [number, number];
  readonly pattern: 'noise' | 'gradient' | 'stripes';
  readonly seed: number;
  readonly note: string;
  readonly sha256: string;
  /** Row index → base64 of that output row's RGB bytes. */
  readonly rows: Readonly<Record<string, string>>;
}

export const PILLOW_PAIRS = fixtures.pairs as unknown as readonly PillowPair[];
export const PILLOW_VERSION = fixtures.pillow;

function mix(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39) >>> 0;
  h ^= h >>> 15;
  return h >>> 0;
}

/** One channel value of a pattern (c = 3 is an alpha byte the pipeline must ignore). */
function patternValue(pair: PillowPair, x: number, y: number, c: number): number {
  const [h, w] = pair.source;
  switch (pair.pattern) {
    case 'noise': {
      const base = (Math.imul(pair.seed, 0x9e3779b1) + Math.imul(x, 0x85ebca77) + Math.imul(y, 0xc2b2ae3d) + Math.imul(c, 0x27d4eb2f)) >>> 0;
      return mix(base) >>> 24;
    }
    case 'gradient': {
      const ramp = [
        Math.floor((x * 255) / Math.max(w - 1, 1)),
        Math.floor((y * 255) / Math.max(h - 1, 1)),
        Math.floor(((x + y) * 255) / Math.max(w + h - 2, 1)),
      ][c]!;
      return (ramp + pair.seed) & 255;
    }
    case 'stripes': {
      const period = 1 + (pair.seed % 7);
      return ((Math.floor(x / period) + Math.floor(y / period) + c) % 2) * 255;
    }
  }
}

/** The pair's source as RGBA (ImageData layout); alpha is noise, which the resize ignores. */
export function pillowSource(pair: PillowPair): Uint8Array {
  const [h, w] = pair.source;
  const rgba = new Uint8Array(h * w * 4);
  const alphaSeed = { ...pair, pattern: 'noise' as const, seed: pair.seed + 7 };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) rgba[p + c] = patternValue(pair, x, y, c);
      rgba[p + 3] = patternValue(alphaSeed, x, y, 3);
    }
  }
  return rgba;
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface PillowComparison {
  /** The SHA-256 of `rgb` equals Pillow's: every byte is identical. */
  readonly identical: boolean;
  /** max |Δ| over the stored rows (0 when identical). */
  readonly maxDiffStoredRows: number;
  readonly firstDiff?: string;
}

/** Compares an RGB result (`target` h × w × 3 bytes) with Pillow's. */
export async function compareWithPillow(pair: PillowPair, rgb: Uint8Array): Promise<PillowComparison> {
  const [th, tw] = pair.target;
  if (rgb.length !== th * tw * 3) throw new Error(`${pair.note}: ${rgb.length} bytes, expected ${th * tw * 3}`);
  let maxDiff = 0;
  let firstDiff: string | undefined;
  for (const [row, encoded] of Object.entries(pair.rows)) {
    const expected = fromBase64(encoded);
    const r = Number(row);
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(rgb[r * tw * 3 + i]! - expected[i]!);
      if (d > 0 && firstDiff === undefined) firstDiff = `row ${r}, x ${Math.floor(i / 3)}, channel ${i % 3}: ${rgb[r * tw * 3 + i]} vs Pillow ${expected[i]}`;
      maxDiff = Math.max(maxDiff, d);
    }
  }
  const identical = (await sha256Hex(rgb)) === pair.sha256;
  return { identical, maxDiffStoredRows: maxDiff, firstDiff };
}

export function describePair(pair: PillowPair): string {
  return `${pair.source[1]}×${pair.source[0]} → ${pair.target[1]}×${pair.target[0]} (${pair.pattern}, ${pair.note})`;
}
