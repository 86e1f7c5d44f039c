import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/cli/image';
import { createDetector } from '../../src/node/create-detector';
import { fixtureWeights } from '../harness/parity';
import { loadReferenceFixture, nodeFixtureReader } from '../harness/reference-fixtures';

// What a user reads (the public API's `macs`, `routerDensities` and gate densities, the numbers the
// demo and the CLI print) against the PyTorch reference's own accounting (tools/reference/macs.py):
// gate convs and the scale paths' depthwise convs dense, conv1 at the dilated-mask pixels, conv2
// at the mask pixels, predictors dense; a router's density is its depth gate's over every level;
// a gate's density the fraction of its pixels that are on (the reference stores them as f32).
const read = nodeFixtureReader();

interface ReferenceGate {
  readonly overall: number;
  readonly per_level: Record<string, number>;
  readonly used_levels?: readonly string[];
}

describe('the MAC and density report', () => {
  it('narrow-d8 through createDetector equals the reference accounting on both fixture images', async () => {
    const fixture = await loadReferenceFixture('narrow-d8', read);
    const weights = await fixtureWeights(fixture, read, 'dynamic');
    const detector = await createDetector({ weights, sparseCrossover: 1 });
    try {
      for (const image of fixture.images) {
        const result = await detector.detect(decodeImage(new Uint8Array(await read(image.pngPath))), { gateDensities: true });
        const info = image.info as unknown as {
          macs: { head: { executed: number; dense_fixed: number; dense_dynamic: number } };
          gate_densities: Record<string, Record<'scale0' | 'scale1' | 'depth', ReferenceGate>>;
        };
        const head = info.macs.head;
        expect(result.macs).toEqual({ executed: head.executed, denseFixed: head.dense_fixed, denseDynamic: head.dense_dynamic });
        const routers = Object.keys(info.gate_densities);
        expect(result.routerDensities?.map((r) => r.router).sort()).toEqual([...routers].sort());
        for (const r of result.routerDensities!) expect(r.density, r.router).toBeCloseTo(info.gate_densities[r.router]!.depth.overall, 6);
        let gates = 0;
        for (const g of result.gates!) {
          const reference = info.gate_densities[g.router]![g.path];
          if (g.path !== 'depth') expect(reference.used_levels, g.name).toContain(g.level);
          expect(g.density, g.name).toBeCloseTo(reference.per_level[g.level]!, 6);
          gates++;
        }
        // Scale gates are computed (and reported) at the levels their path consumes: scale0 from
        // p3–p6, scale1 from p4–p7 (the reference's used_levels); the depth gate at all five.
        expect(gates).toBe(routers.length * (4 + 4 + 5));
        console.log(
          `${image.id}: executed ${head.executed} of ${head.dense_dynamic} dense-dynamic head MACs (${((100 * head.executed) / head.dense_dynamic).toFixed(1)} %), ` +
            `router densities ${result.routerDensities!.map((r) => r.density.toFixed(3)).join(' ')}`,
        );
      }
    } finally {
      await detector.dispose();
    }
  });
});
