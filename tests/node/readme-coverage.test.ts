import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Every option a user can pass and every field a result carries, as the public types declare
// them, is named in README.md, so the README cannot fall behind the API. The names come from
// the interfaces' source text (inline object types included): `readonly name?:` and methods.
const SOURCES: readonly (readonly [string, readonly string[] | 'all'])[] = [
  ['src/api/types.ts', 'all'],
  ['src/model/macs.ts', ['MacReport']],
];

function interfaces(file: string): Map<string, string> {
  const text = readFileSync(file, 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/export interface (\w+)[^{]*\{/g)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    for (; i < text.length && depth > 0; i++) depth += text[i] === '{' ? 1 : text[i] === '}' ? -1 : 0;
    out.set(m[1]!, text.slice(m.index! + m[0].length, i - 1));
  }
  return out;
}

function publicNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const [file, wanted] of SOURCES) {
    for (const [name, body] of interfaces(file)) {
      if (wanted !== 'all' && !wanted.includes(name)) continue;
      const code = body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/(?:readonly\s+)(\w+)\??\s*:|^\s*(\w+)\s*\(/gm)) {
        const field = m[1] ?? m[2]!;
        if (!names.has(field)) names.set(field, `${file} ${name}`);
      }
    }
  }
  return names;
}

describe('README covers the public API', () => {
  it('names every option and result field of the public types', () => {
    const readme = readFileSync('README.md', 'utf8');
    const names = publicNames();
    // The extraction must reach nested and inline fields (a broken one would pass vacuously).
    for (const expected of ['weights', 'onProgress', 'scoreThreshold', 'gpuStages', 'classId', 'label', 'loadTimings', 'sparseCrossover', 'padded', 'executed', 'detect', 'dispose']) {
      expect(names.has(expected), expected).toBe(true);
    }
    expect(names.size).toBeGreaterThan(50);
    const missing = [...names].filter(([name]) => !new RegExp(`\\b${name}\\b`).test(readme)).map(([name, owner]) => `${owner}: ${name}`);
    expect(missing, 'names absent from README.md').toEqual([]);
  });
});
