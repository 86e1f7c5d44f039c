/**
 * Offline parity check of the engine against any reference fixture folder, e.g. the full-width
 * R50 D8 one (too slow for CI on SwiftShader):
 *   /usr/bin/python3 -m tools.reference.make_fixtures --config full-r50-d8 --out /tmp/dh-full
 *   node scripts/run-ts.mjs tools/parity.ts /tmp/dh-full full-r50-d8 [dynamic|fixed]
 */
import { createNodeRuntime } from '../src/gpu/node-gpu';
import { formatParity, runFixtureParity } from '../tests/harness/parity';
import { loadReferenceFixture, nodeFixtureReader } from '../tests/harness/reference-fixtures';

export async function main(args: string[]): Promise<number> {
  const [root, name, kind = 'dynamic'] = args;
  if (!root || !name || (kind !== 'dynamic' && kind !== 'fixed')) {
    console.error('usage: tools/parity.ts <fixtures root> <config name> [dynamic|fixed]');
    return 2;
  }
  const read = nodeFixtureReader(root);
  const runtime = await createNodeRuntime();
  try {
    const fixture = await loadReferenceFixture(name, read);
    const t0 = performance.now();
    const reports = await runFixtureParity(runtime, fixture, read, kind);
    for (const r of reports) {
      console.log(formatParity(name, r));
      for (const f of r.failures) console.log(`  FAIL ${f}`);
    }
    console.log(`${reports.length} image(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return reports.every((r) => r.failures.length === 0) ? 0 : 1;
  } finally {
    runtime.destroy();
  }
}
