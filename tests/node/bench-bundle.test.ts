import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The GPU bundle (npm run bench:bundle) end to end on SwiftShader: built into a temporary folder,
// copied away from the repository (no node_modules beside it), run with its own command, and its
// JSON report validated. Here without the Vulkan .debs (this machine has the loader) and without
// the Node binary (run.sh uses a Node ≥ 20 on the PATH first).
describe('bench:bundle', () => {
  it('builds under 60 MiB and its run.sh writes a valid report from a copy outside the repo', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'dh-bundle-'));
    try {
      const built = spawnSync(process.execPath, ['scripts/bench-bundle.mjs', '--out', path.join(work, 'built'), '--no-loaders', '--no-node'], { encoding: 'utf8', timeout: 120_000 });
      expect(built.status, built.stderr).toBe(0);
      const size = Number(/is ([\d.]+) MiB/.exec(built.stdout)?.[1]);
      console.log(built.stdout.trim());
      expect(size).toBeGreaterThan(5);
      expect(size).toBeLessThan(60);
      const copy = path.join(work, 'elsewhere', 'bench-bundle');
      cpSync(path.join(work, 'built'), copy, { recursive: true });
      const run = spawnSync('sh', [path.join(copy, 'run.sh'), '--small'], { cwd: path.join(work, 'elsewhere'), encoding: 'utf8', timeout: 240_000, env: { ...process.env, OUT: work, NODE_PATH: '' } });
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(path.join(work, 'gpu-report.json'), 'utf8')) as {
        adapter: { description: string; timestampQuery: boolean };
        series: { label: string; gpuMs: { medianMs: number }; gpuStages: Record<string, { medianMs: number }>; programsPerFrame: number; firstDetectMs: number; warmWallMs: { medianMs: number }; headMacs: { executed: number; denseFixed: number } }[];
      };
      expect(report.adapter.description).toMatch(/SwiftShader/);
      expect(report.series.map((s) => s.label)).toEqual(['dense-masked', 'dynamic (sparse)']);
      for (const s of report.series) {
        expect(s.gpuMs.medianMs).toBeGreaterThan(0);
        expect(Object.keys(s.gpuStages)).toEqual(expect.arrayContaining(['backbone', 'fpn', 'head', 'predictor']));
        expect(s.programsPerFrame).toBeGreaterThan(20);
        expect(s.firstDetectMs).toBeGreaterThan(0);
        expect(s.headMacs.executed).toBeGreaterThan(0);
        expect(s.headMacs.executed).toBeLessThanOrEqual(s.headMacs.denseFixed * 1.1);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
