import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { formatParity, runFixtureParity } from '../harness/parity';
import { loadReferenceFixture, nodeFixtureReader } from '../harness/reference-fixtures';

// Engine parity with the PyTorch reference's golden outputs (criteria in tests/harness/parity.ts):
// every FPN level, gate, mask, router and head output, and the detections end to end from the
// PNG, for the D4, D8, fixed-head and FCOS-baseline-head fixtures. D4 runs the default (gather–scatter, the dense
// fallback above the crossover), D8 with a low crossover so some routers take the fallback.
const read = nodeFixtureReader();
let runtime: GpuRuntime;
beforeAll(async () => {
  runtime = await createNodeRuntime();
});
afterAll(() => runtime?.destroy());

describe('engine parity with the reference', () => {
  const mixed = { mode: 'sparse', crossover: 0.3 } as const;
  for (const [fixtureName, headKind, imageCount, execution] of [
    ['narrow-d4', 'dynamic', 2, undefined],
    ['narrow-d8', 'dynamic', 2, mixed],
    ['narrow-d4-fixed', 'fixed', 1, undefined],
    ['narrow-fcos', 'fcos', 1, undefined],
  ] as const) {
    it(`${fixtureName}: tensors, masks and detections on ${imageCount} image(s)`, async () => {
      const fixture = await loadReferenceFixture(fixtureName, read);
      expect(fixture.images.length).toBe(imageCount);
      const reports = await runFixtureParity(runtime, fixture, read, headKind, execution);
      for (const report of reports) {
        console.log(formatParity(fixtureName, report));
        expect(report.failures, `${fixtureName}/${report.image}`).toEqual([]);
        expect(report.tensors).toBeGreaterThan(50);
        expect(report.detections).toBeGreaterThan(0);
      }
    });
  }

  // The real ResNet-50 / C=256 layouts, D8 dynamic and the FCOS baseline (checkpoints of 200 and
  // 130 MB, so not committed): each runs when
  // `/usr/bin/python3 -m tools.reference.make_fixtures --config <name>` has written it.
  for (const [name, headKind] of [['full-r50-d8', 'dynamic'], ['full-r50-fcos', 'fcos']] as const) {
    const full = `tests/fixtures/reference/${name}/manifest.json`;
    it.skipIf(!existsSync(full))(`${name} (generated locally, not in CI): tensors, masks and detections`, { timeout: 600_000 }, async () => {
      const fixture = await loadReferenceFixture(name, read);
      const reports = await runFixtureParity(runtime, fixture, read, headKind, undefined);
      for (const report of reports) {
        console.log(formatParity(name, report));
        expect(report.failures, `${name}/${report.image}`).toEqual([]);
        expect(report.detections).toBeGreaterThan(0);
      }
    });
  }
});
