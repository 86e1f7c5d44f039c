import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/loader';
import { expected, fixture, FIXTURES } from './weights-helpers';

const BIN = path.resolve(__dirname, '../../bin/dynamic-head.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'dynamic-head-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('dynamic-head convert (CLI, end to end)', () => {
  it('converts a .pth to a loadable .dhw and prints a summary', async () => {
    const input = path.join(dir, 'tiny.pth');
    writeFileSync(input, fixture('tiny-d2.pth.gz'));
    const { code, stdout, stderr } = await cli('convert', input, '--fp16', '--json', '--progress');
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as { output: string; tensors: number; fp16: boolean; format: string };
    expect(summary).toMatchObject({ output: path.join(dir, 'tiny.dhw'), fp16: true, format: 'torch-zip' });
    expect(stderr).toMatch(/100% 221\/221 tensors/);
    expect(stderr).toMatch(/wrote .*tiny\.dhw: 221 tensors/);
    const loaded = await loadWeights(new Uint8Array(readFileSync(summary.output)));
    expect(loaded.tensors.size).toBe(summary.tensors);
    expect(loaded.config.head.routersPerTower).toBe(2);
  });

  it('refuses a malicious checkpoint with exit code 1, naming the global; nothing runs, nothing is written', async () => {
    const [file, info] = Object.entries(expected.malicious).find(([f]) => f.endsWith('.pkl'))!;
    rmSync(info.marker, { force: true });
    const out = path.join(dir, 'evil.dhw');
    const { code, stderr } = await cli('convert', path.join(FIXTURES, file), '-o', out);
    expect(code).toBe(1);
    expect(stderr).toContain('UnsafeCheckpointError');
    expect(stderr).toContain(info.global);
    expect(existsSync(info.marker)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('usage errors exit with 2; --help and the command list exit cleanly', async () => {
    expect((await cli('convert')).code).toBe(2);
    expect((await cli('convert', 'x.pth', '--head', 'sparse')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    const help = await cli('convert', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--fp16/);
    const missing = await cli('convert', path.join(dir, 'does-not-exist.pth'));
    expect(missing.code).toBe(1);
  });
});
