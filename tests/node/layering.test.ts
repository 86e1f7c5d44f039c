import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Folder dependencies point one way: the public API (src/api) owns the worker boundary and its
// types; src/worker implements it. The API spawns the worker by URL, never by import.
function importsOf(dir: string): { file: string; from: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => {
      const text = readFileSync(path.join(dir, f), 'utf8');
      return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => ({ file: path.join(dir, f), from: m[1]! }));
    });
}

describe('source layering', () => {
  it('src/api imports nothing from src/worker', () => {
    const api = importsOf('src/api');
    expect(api.length).toBeGreaterThan(10);
    expect(api.filter((i) => /(^|\/)worker\//.test(i.from))).toEqual([]);
  });
});
