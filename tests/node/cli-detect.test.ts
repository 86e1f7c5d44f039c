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
    const run = cli(['detect', weights, `${fixture}/wide-scene.png`, '--json', '--dump', dump, '--score-thresh', 'file']);
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

  it('labels: the converter records --labels, detect prints them (text and JSON), --labels overrides, --help reads the file', () => {
    const named = path.join(dir, 'named.dhw');
    const names = ['ring', 'disc', 'bar', 'dot', 'cross', 'wave', 'star', 'leaf'];
    writeFileSync(path.join(dir, 'names.txt'), `${names.join('\n')}\n`);
    execFileSync(process.execPath, ['bin/dynamic-head.mjs', 'convert', `${fixture}/checkpoint.pth`, '-o', named, '--min-size', '64', '--max-size', '128', '--labels', path.join(dir, 'names.txt'), '--quiet']);
    const text = cli(['detect', named, `${fixture}/wide-scene.png`, '--score-thresh', '0.2']);
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n').slice(1);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`^  (${names.join('|')})\\s+\\(class \\d\\)  score 0\\.\\d{4}  box \\[`));
    // --labels overrides the recorded names (JSON output carries `label`).
    const upper = names.map((n) => n.toUpperCase());
    writeFileSync(path.join(dir, 'upper.json'), JSON.stringify(upper));
    type Out = { detections: { classId: number; label: string; score: number }[] };
    const json = cli(['detect', named, `${fixture}/wide-scene.png`, '--json', '--score-thresh', '0.2', '--labels', path.join(dir, 'upper.json')]);
    const detections = (JSON.parse(json.stdout.trim()) as Out).detections;
    expect(detections.length).toBe(lines.length);
    for (const d of detections) expect(d.label).toBe(upper[d.classId]);
    writeFileSync(path.join(dir, 'short.json'), '["a", "b"]');
    const short = cli(['detect', named, `${fixture}/wide-scene.png`, '--labels', path.join(dir, 'short.json')]);
    expect(short.status).toBe(1);
    expect(short.stderr.trim()).toMatch(/has 2 names for a 8-class model$/);
    // The default threshold is the demo's 0.4 (fewer boxes than at 0.2); the unnamed file falls
    // back to "class <id>".
    const plain = (JSON.parse(cli(['detect', weights, `${fixture}/wide-scene.png`, '--json']).stdout.trim()) as Out).detections;
    expect(plain.length).toBeLessThan(detections.length);
    for (const d of plain) expect(d.label).toBe(`class ${d.classId}`);
    const help = cli(['detect', named, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--min-size default 64, --max-size default 128');
    expect(help.stdout).toContain(`classes: ${names.join(', ')}`);
  });

  it('missing files exit 1 with one line naming them', () => {
    for (const [args, message] of [
      [['detect', weights, path.join(dir, 'nope.png')], `the image ${path.join(dir, 'nope.png')} does not exist`],
      [['detect', path.join(dir, 'nope.dhw'), `${fixture}/wide-scene.png`], `the weights file ${path.join(dir, 'nope.dhw')} does not exist`],
      [['detect', weights, dir], `the image ${dir} is not a file`],
    ] as const) {
      const run = cli([...args]);
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(message);
    }
  });

  it('an unsupported image exits 1 with a typed error', () => {
    const notImage = path.join(dir, 'image.png');
    writeFileSync(notImage, 'GIF89a....');
    const run = cli(['detect', weights, notImage]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('UnsupportedImageError');
  });
});
