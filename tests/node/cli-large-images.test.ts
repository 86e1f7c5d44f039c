import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enlargedPng, readRgb, thinBarsStripPng } from '../../e2e/big-png';
import { boxEdgePixels } from '../../src/render/annotate-rgba';
import { classRgb } from '../../src/render/box-labels';
import { boxIou } from '../harness/box-iou';

// Images far beyond the network's input size go through the CLI whole (decoded in full, resized
// by the library's exact rule), as in the demo: an 8000×8000 and a 20000×1000 PNG.
const cli = (args: string[]) => spawnSync(process.execPath, ['bin/dynamic-head.mjs', ...args], { encoding: 'utf8', timeout: 600_000 });
const weights = 'weights/default/model.dhw';

interface Out {
  output?: string;
  detections: { box: [number, number, number, number]; classId: number; score: number; label: string }[];
}

/** One command over `images`: a result per image, the command's peak RSS (--stats) and wall time. */
function detect(images: string[], extra: string[]): { results: Out[]; peakMiB: number; wallMs: number } {
  const t0 = Date.now();
  const run = cli(['detect', weights, ...images, '--json', '--stats', ...extra]);
  const wallMs = Date.now() - t0;
  expect(run.status, run.stderr).toBe(0);
  const peak = /peak resident memory (\d+) MiB/.exec(run.stderr);
  expect(peak, run.stderr).not.toBeNull();
  return { results: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Out), peakMiB: Number(peak![1]), wallMs };
}

describe('dynamic-head detect on very large images', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dh-large-'));

  it('an 8000×8000 PNG finds the objects of the 160 px image it enlarges, and its annotated copy is drawn', () => {
    const samplePath = 'demo/samples/shapes-val-000000.png';
    const big = path.join(dir, '8000x8000.png');
    writeFileSync(big, enlargedPng(readRgb(readFileSync(samplePath)), 50));
    // The small image first, in the same command (the peak is the large one's).
    const output = path.join(dir, 'annotated');
    const { results, peakMiB, wallMs } = detect([samplePath, big], ['--output', output]);
    const [small, result] = [results[0]!.detections, results[1]!];
    expect(small.length).toBeGreaterThan(0);
    const matched = small.filter((s) => result.detections.some((d) => d.label === s.label && boxIou(d.box.map((v) => v / 50), s.box) >= 0.5)).length;
    console.log(
      `CLI 8000×8000 PNG (${(statSync(big).size / 2 ** 20).toFixed(2)} MiB): ${result.detections.length} detections, ${matched}/${small.length} of the 160 px image's; ` +
        `${wallMs} ms for the whole command (load, both images: decode, detect, annotated PNG); peak RSS ${peakMiB} MiB`,
    );
    expect(matched).toBeGreaterThanOrEqual(Math.ceil(0.7 * small.length));
    // Lines scale with the image (27 px at 8000 px): the best box's left edge is its colour.
    const drawn = readRgb(readFileSync(result.output!));
    const best = result.detections[0]!;
    const [l, t, , b] = boxEdgePixels(best.box, 8000, 8000);
    for (let y = t + 400; y < b - 400; y += 97) expect(drawn.rgb(l, y)).toEqual([...classRgb(best.classId)]);
  });

  it('a 20000×1000 PNG gives detections inside the image', () => {
    const wide = path.join(dir, '20000x1000.png');
    writeFileSync(wide, thinBarsStripPng(readRgb(readFileSync('demo/samples/shapes-val-000001.png'))));
    const { results, peakMiB, wallMs } = detect([wide], ['--score-thresh', '0.05']);
    const result = results[0]!;
    console.log(
      `CLI 20000×1000 PNG (${(statSync(wide).size / 2 ** 20).toFixed(2)} MiB): ${result.detections.length} detections at ≥ 0.05 ` +
        `(best ${result.detections[0]?.label} ${result.detections[0]?.score.toFixed(3)}); ${wallMs} ms for the whole command; peak RSS ${peakMiB} MiB`,
    );
    expect(result.detections.length).toBeGreaterThan(0);
    for (const d of result.detections) {
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[2]).toBeLessThanOrEqual(20000);
      expect(d.box[1]).toBeGreaterThanOrEqual(0);
      expect(d.box[3]).toBeLessThanOrEqual(1000);
    }
  });
});
