import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointMismatchError, InvalidArgumentError, WeightsFormatError } from '../../src/errors';
import { readCheckpoint } from '../../src/weights/checkpoint/read-checkpoint';
import { convertCheckpoint } from '../../src/weights/convert';
import { decodeHeader, parsePreamble, PREAMBLE_BYTES } from '../../src/weights/format';
import { fixedHeadVariant } from '../../src/weights/head-variant';
import { expected, fixture, sha, tensorBytes } from './weights-helpers';

const CHECKPOINTS = Object.keys(expected.fixtures);

describe('checkpoint → .dhw conversion', () => {
  it.each(CHECKPOINTS)('%s: every engine tensor matches the reference bit for bit (f32)', (file) => {
    const model = expected.models[expected.fixtures[file]];
    const result = convertCheckpoint(fixture(file), { fileName: file });
    const names = result.header.tensors.map((t) => t.name);
    expect(new Set(names)).toEqual(new Set(Object.keys(model.tensors)));
    for (const t of result.header.tensors) {
      const want = model.tensors[t.name];
      expect(t.shape, t.name).toEqual(want.shape);
      expect(t.dtype).toBe('f32');
      expect(sha(tensorBytes(result, t.name)), t.name).toBe(want.sha256_f32);
    }
    expect(result.unexpected).toEqual([]);
    // The file's own header agrees with the result.
    const pre = parsePreamble(result.bytes);
    const header = decodeHeader(result.bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + pre.headerLength));
    expect(header.tensors).toEqual(result.header.tensors);
    expect(header.config).toEqual(result.config);
    expect(header.source?.fileName).toBe(file);
  });

  it.each(CHECKPOINTS)('%s: --fp16 stores conv weights rounded to nearest-even half precision', (file) => {
    const model = expected.models[expected.fixtures[file]];
    const result = convertCheckpoint(fixture(file), { fp16: true });
    for (const t of result.header.tensors) {
      const want = model.tensors[t.name];
      if (t.shape.length === 4) {
        expect(t.dtype, t.name).toBe('f16');
        expect(sha(tensorBytes(result, t.name)), t.name).toBe(want.sha256_f16);
      } else {
        expect(t.dtype, t.name).toBe('f32');
        expect(sha(tensorBytes(result, t.name)), t.name).toBe(want.sha256_f32);
      }
    }
  });

  it('FrozenBN folding matches a float64 reference to 1e-6', () => {
    for (const file of ['tiny-d2.pth.gz', 'tiny-fixed-d1-p5.pkl.gz']) {
      const model = expected.models[expected.fixtures[file]];
      const result = convertCheckpoint(fixture(file));
      for (const [name, reference] of Object.entries(model.folded_f64)) {
        const bytes = tensorBytes(result, name);
        const values = new Float32Array(bytes.slice().buffer);
        expect(values.length).toBe(reference.length);
        let worst = 0;
        for (let i = 0; i < values.length; i++) {
          worst = Math.max(worst, Math.abs(values[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
        }
        expect(worst, name).toBeLessThan(1e-6);
      }
    }
  });

  it('infers the architecture from shapes (dynamic D2 and fixed D1)', () => {
    for (const file of ['tiny-d2.pth.gz', 'tiny-fixed-d1-p5.pkl.gz']) {
      const arch = expected.models[expected.fixtures[file]].architecture;
      const c = convertCheckpoint(fixture(file)).config;
      expect({
        stemChannels: c.backbone.stemChannels,
        res2Channels: c.backbone.res2Channels,
        widthPerGroup: c.backbone.widthPerGroup,
        fpnChannels: c.fpn.channels,
        headChannels: c.head.channels,
        numClasses: c.head.numClasses,
        routersPerTower: c.head.routersPerTower,
        headKind: c.head.kind,
        topBlockInput: c.fpn.topBlockInput,
      }).toEqual(arch);
      expect(c.backbone.depth).toBe(50);
      expect(c.backbone.stageBlocks).toEqual([3, 4, 6, 3]);
      expect(c.head.gnGroups).toBe(32);
      expect(c.head.gateTau).toBe(1.5);
      expect(c.fpn.strides).toEqual([8, 16, 32, 64, 128]);
      expect(c.input.pixelMean).toEqual([103.53, 116.28, 123.675]);
      expect(c.test).toEqual({ scoreThresh: 0.05, topkCandidates: 1000, nmsThresh: 0.6, maxDetections: 100 });
    }
  });

  it('reads views with storage offsets and strides, and ignores optimizer / iteration', () => {
    const cp = readCheckpoint(fixture('tiny-d2.pth.gz'));
    expect(cp.stateDictKey).toBe('model');
    expect([...cp.ignoredKeys].sort()).toEqual(['iteration', 'optimizer']);
    const legacy = readCheckpoint(fixture('tiny-d2-legacy.pth.gz'));
    for (const name of ['head.cls_subnet.0.output_weight', 'head.cls_score.bias']) {
      expect(Array.from(cp.tensors.get(name)!.toFloat32())).toEqual(Array.from(legacy.tensors.get(name)!.toFloat32()));
    }
  });

  it('a dynamic head requested for a checkpoint without gates names the missing gate tensors', () => {
    const error = (() => {
      try {
        convertCheckpoint(fixture('tiny-fixed-d1-p5.pkl.gz'), { headKind: 'dynamic' });
      } catch (e) {
        return e;
      }
    })() as CheckpointMismatchError;
    expect(error).toBeInstanceOf(CheckpointMismatchError);
    expect(error.missing).toContain('head.cls_subnet.0.depth_module.gate.gate_conv.weight');
    expect(error.message).toMatch(/--head fixed/);
  });

  it('--head fixed on a dynamic checkpoint drops the gates and reports them as unused', () => {
    const result = convertCheckpoint(fixture('tiny-d2-p4.pkl.gz'), { headKind: 'fixed' });
    expect(result.config.head.kind).toBe('fixed');
    expect(result.unexpected.length).toBe(2 * 2 * 3 * 2); // towers × routers × gates × (w, b)
    expect(result.unexpected.every((n) => n.includes('.gate.gate_conv.'))).toBe(true);
    expect(result.warnings[0]).toMatch(/not used by the model/);
  });

  it('config overrides land in the header; invalid ones are argument errors', () => {
    const r = convertCheckpoint(fixture('tiny-d2-p4.pkl.gz'), {
      config: { head: { gateActivation: 'retanh', gateTau: 0 }, input: { minSize: 512 }, test: { nmsThresh: 0.5 } },
    });
    expect(r.config.head.gateActivation).toBe('retanh');
    expect(r.config.input.minSize).toBe(512);
    expect(r.config.test.nmsThresh).toBe(0.5);
    expect(() => convertCheckpoint(fixture('tiny-d2-p4.pkl.gz'), { config: { head: { gnGroups: 5 } } })).toThrow(InvalidArgumentError);
  });
});

describe('fixed-head twin of a dynamic weights file', () => {
  it('equals converting the same checkpoint with --head fixed, byte for byte (f32 and f16)', () => {
    const checkpoint = readFileSync('tests/fixtures/reference/narrow-d4/checkpoint.pth');
    for (const fp16 of [false, true]) {
      const dynamic = convertCheckpoint(checkpoint, { fileName: 'narrow-d4.pth', fp16 });
      const fixed = convertCheckpoint(checkpoint, { fileName: 'narrow-d4.pth', fp16, headKind: 'fixed' });
      expect(dynamic.header.tensors.length).toBeGreaterThan(fixed.header.tensors.length);
      expect(fixedHeadVariant(dynamic.bytes)).toEqual(fixed.bytes);
      expect(() => fixedHeadVariant(fixed.bytes)).toThrow(WeightsFormatError);
    }
  });
});
