import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// `dynamic-head detect` end to end in a child process: convert a reference checkpoint, detect,
// and dump tensors in the reference's golden-file layout.
const fixture = 'tests/fixtures/reference/narrow-d8';
const cli = (args: string[]) => spawnSync(process.execPath, ['bin/dynamic-head.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });

describe('dynamic-head detect', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dh-cli-'));
  const weights = path.join(dir, 'd8.dhw');

  it('prints the reference detections as JSON and dumps reference-named tensors', () => {
    execFileSync(process.execPath, ['bin/dynamic-head.mjs', 'convert', `${fixture}/checkpoint.pth`, '-o', weights, '--min-size', '64', '--max-size', '128', '--quiet']);
    const dump = path.join(dir, 'dump');
    const run = cli(['detect', weights, `${fixture}/wide-scene.png`, '--json', '--dump', dump]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as { detections: { box: number[]; score: number; classId: number }[] };
    const reference = JSON.parse(readFileSync(`${fixture}/manifest.json`, 'utf8')) as {
      images: { id: string; detections: { count: number }; tensors: { name: string; shape: number[] }[] }[];
    };
    const image = reference.images.find((i) => i.id === 'wide-scene')!;
    expect(result.detections.length).toBe(image.detections.count);
    const manifest = JSON.parse(readFileSync(path.join(dump, 'manifest.json'), 'utf8')) as {
      images: { tensors: { name: string; shape: number[] }[] }[];
    };
    const dumped = new Map(manifest.images[0]!.tensors.map((t) => [t.name, t.shape]));
    for (const name of ['fpn.p3', 'cls_subnet.0.scale0.gate.p3', 'bbox_subnet.7.out.p7', 'head.cls_logits.p3', 'head.bbox_reg.p5', 'detections.boxes']) {
      const ref = image.tensors.find((t) => t.name === name)!;
      expect(dumped.get(name), name).toEqual(ref.shape);
    }
  });

  it('a corrupt weights file exits 1 with a typed error', () => {
    const bad = path.join(dir, 'bad.dhw');
    writeFileSync(bad, 'definitely not weights');
    const run = cli(['detect', bad, `${fixture}/wide-scene.png`]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('WeightsFormatError');
  });

  it('an unsupported image exits 1 with a typed error', () => {
    const notImage = path.join(dir, 'image.png');
    writeFileSync(notImage, 'GIF89a....');
    const run = cli(['detect', weights, notImage]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('UnsupportedImageError');
  });
});
