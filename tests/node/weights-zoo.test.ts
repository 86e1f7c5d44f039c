import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { inferArchitecture } from '../../src/weights/architecture';
import { readCheckpoint } from '../../src/weights/checkpoint/read-checkpoint';
import { COCO_CLASS_NAMES } from '../../src/weights/coco-classes';
import { DEFAULT_MODEL_CONFIG, type HeadKind, type ModelConfig } from '../../src/weights/config';
import { convertCheckpoint } from '../../src/weights/convert';
import { expectedTensors } from '../../src/weights/engine-tensors';
import { encodeFileHead, layoutTensors } from '../../src/weights/format';
import { loadWeights } from '../../src/weights/loader';
import { tensorBytes } from './weights-helpers';

// The converter on checkpoints in the official model zoo's layout (tools/reference/zoo_checkpoints.py:
// cvpods Checkpointer files with `model` / `optimizer` / `scheduler` / `iteration`, the state
// dicts of the official FCOSHead / FCOSFixHead / FCOSDynamicHead module trees, ResNet-50 depth at
// narrow widths, seeded weights): each architecture inferred, every head tensor taken from the
// right source, and the README's table of expected full-width .dhw sizes is what the converter writes.

const ZOO = path.resolve(__dirname, '../fixtures/zoo');
interface ZooEntry {
  project: string;
  head: 'fcos' | 'fix' | 'dynamic';
  depth: number;
  expect: { kind: HeadKind; routersPerTower: number; backboneDepth: number; channels: number; numClasses: number };
  tensors: number;
  first_values: Record<string, number[]>;
}
const record = JSON.parse(readFileSync(path.join(ZOO, 'zoo.json'), 'utf8')) as { checkpoints: Record<string, ZooEntry> };
const checkpoint = (file: string) => gunzipSync(new Uint8Array(readFileSync(path.join(ZOO, file))));

describe('official model zoo layouts', () => {
  it('covers the FCOS baseline, Fix D4 / D8 and Dynamic D4 / D8', () => {
    expect(Object.values(record.checkpoints).map((e) => `${e.head} D${e.depth}`)).toEqual(['fcos D2', 'fix D4', 'fix D8', 'dynamic D4', 'dynamic D8']);
  });

  for (const [file, entry] of Object.entries(record.checkpoints)) {
    it(`${entry.project}: inferred as a ${entry.expect.kind} head D${entry.depth}, every tensor from its source`, async () => {
      const bytes = checkpoint(file);
      const source = readCheckpoint(bytes);
      expect(source.stateDictKey).toBe('model');
      expect([...source.ignoredKeys].sort()).toEqual(['iteration', 'optimizer', 'scheduler']);
      expect(source.tensors.size).toBe(entry.tensors);

      const result = convertCheckpoint(bytes, { fileName: file.replace(/\.gz$/, '') });
      const { config } = result;
      expect(config.head.kind).toBe(entry.expect.kind);
      expect(config.head.routersPerTower).toBe(entry.expect.routersPerTower);
      expect(config.backbone.depth).toBe(entry.expect.backboneDepth);
      expect(config.backbone.stageBlocks).toEqual([3, 4, 6, 3]);
      expect(config.head.channels).toBe(entry.expect.channels);
      expect(config.head.numClasses).toBe(entry.expect.numClasses);
      expect(result.header.classNames).toEqual(COCO_CLASS_NAMES);
      expect(result.unexpected).toEqual([]);
      expect(result.warnings).toEqual([]);

      // Every head tensor: the engine name's bytes are its official source's (or the Fix head's
      // implied scale weight 1).
      const layout = entry.head === 'fix' ? 'fix' : entry.head === 'fcos' ? 'fcos' : 'dynamic';
      const expected = expectedTensors(config, layout);
      expect(result.header.tensors.map((t) => t.name)).toEqual(expected.map((e) => e.name));
      let copied = 0;
      let filled = 0;
      for (const e of expected.filter((t) => t.name.startsWith('head.'))) {
        const got = new Float32Array(tensorBytes(result, e.name).slice().buffer);
        if (e.recipe.kind === 'fill') {
          expect([...got]).toEqual([e.recipe.value]);
          filled++;
        } else if (e.recipe.kind === 'copy') {
          expect(got, e.name).toEqual(source.tensors.get(e.recipe.source)!.toFloat32(new Float32Array(got.length)));
          copied++;
        }
      }
      expect(copied).toBeGreaterThan(10);
      expect(filled).toBe(entry.head === 'fix' ? 2 * entry.depth : 0);
      for (const [name, values] of Object.entries(entry.first_values)) {
        const engineName = entry.head === 'fix' ? name.replace(/\.convs\.(\d)\.(\d)\./, '.dynamic_convs.$1.convs.$2.') : name;
        const t = result.header.tensors.find((x) => x.name === engineName);
        expect(t, engineName).toBeDefined();
        expect([...new Float32Array(tensorBytes(result, engineName).slice().buffer).subarray(0, 4)].slice(0, values.length), name).toEqual(values);
      }

      // The file loads (header, CRCs), in f32 and with f16 conv weights.
      const loaded = await loadWeights(result.bytes);
      expect(loaded.config.head.kind).toBe(entry.expect.kind);
      const half = convertCheckpoint(bytes, { fp16: true });
      expect(half.bytes.length).toBeLessThan(result.bytes.length);
      expect((await loadWeights(half.bytes)).config).toEqual(config);
    });
  }

  it('a head kind the checkpoint cannot give is refused', () => {
    const fcos = checkpoint('fcos.res50.1x.pth.gz');
    expect(() => convertCheckpoint(fcos, { headKind: 'fixed' })).toThrow(/FCOS baseline/);
    const fix = checkpoint('fcos.res50.1x.fix.d4.pth.gz');
    expect(() => convertCheckpoint(fix, { headKind: 'dynamic' })).toThrow(/Fix-head/);
    expect(() => convertCheckpoint(fix, { headKind: 'fcos' })).toThrow(/Fix-head/);
  });

  it('an FCOS tower with an odd NUM_CONVS, or convs not every third module, is refused by name', () => {
    const shapes = new Map([...readCheckpoint(checkpoint('fcos.res50.1x.pth.gz')).tensors].map(([n, t]) => [n, t.shape]));
    const without = (drop: (n: string) => boolean) => new Map([...shapes].filter(([n]) => !drop(n)));
    // NUM_CONVS 3: the fourth conv (module 9) and its GroupNorm (10) removed from both towers.
    expect(() => inferArchitecture(without((n) => /_subnet\.(9|10)\./.test(n)))).toThrow(/NUM_CONVS = 3/);
    expect(() => inferArchitecture(without((n) => /_subnet\.3\./.test(n)))).toThrow(/sit at 0, 6, 9/);
    expect(inferArchitecture(shapes)).toMatchObject({ headKind: 'fcos', headLayout: 'fcos', routersPerTower: 2 });
  });

  it("the README's zoo table gives the full-width .dhw sizes the converter writes", () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const rows = [
      ['fcos.res50.1x', 'fcos', 2],
      ['fcos.res50.1x.fix.d4', 'fixed', 4],
      ['fcos.res50.1x.fix.d8', 'fixed', 8],
      ['fcos.res50.1x.dynamic.d4.lambda-0_1', 'dynamic', 4],
      ['fcos.res50.1x.dynamic.d8.lambda-0_8', 'dynamic', 8],
      ['fcos.res50.1x.dynamic.d8.lambda-0_1', 'dynamic', 8],
      ['fcos.res50.1x.dynamic.d8.lambda-0', 'dynamic', 8],
    ] as const;
    for (const [project, kind, d] of rows) {
      const config: ModelConfig = { ...DEFAULT_MODEL_CONFIG, head: { ...DEFAULT_MODEL_CONFIG.head, kind, routersPerTower: d } };
      const size = (fp16: boolean) => {
        const tensors = expectedTensors(config).map((t) => ({ name: t.name, shape: t.shape, dtype: fp16 && t.shape.length === 4 ? ('f16' as const) : ('f32' as const) }));
        const layout = layoutTensors(tensors);
        const head = encodeFileHead({
          config,
          tensors: layout.tensors,
          dataLength: layout.dataLength,
          source: { fileName: `${project}.pth`, format: 'torch-zip', converter: 'dynamic-head-webgpu convert 1' },
          classNames: COCO_CLASS_NAMES,
        });
        return ((head.length + layout.dataLength) / 2 ** 20).toFixed(1);
      };
      const line = readme.split('\n').find((l) => l.includes(`\`${project}\``) && l.startsWith('|'));
      console.log(`${project}: ${size(false)} MiB f32, ${size(true)} MiB f16`);
      expect(line, project).toBeDefined();
      expect(line).toContain(`${size(false)} MiB`);
      expect(line).toContain(`${size(true)} MiB`);
    }
  });
});
