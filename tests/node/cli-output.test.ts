import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRgb } from '../../e2e/big-png';
import { annotationScale, boxEdgePixels } from '../../src/render/annotate-rgba';
import { classRgb, labelText } from '../../src/render/box-labels';

// `detect --output`: the annotated PNG shows each box where the JSON puts it, in its class colour.
const cli = (args: string[]) => spawnSync(process.execPath, ['bin/dynamic-head.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });
const weights = 'weights/default/model.dhw';
const samples = ['demo/samples/shapes-val-000000.png', 'demo/samples/shapes-val-000002.png'];

interface Out {
  image: string;
  output: string;
  detections: { box: [number, number, number, number]; classId: number; score: number; label: string }[];
}

/** Fraction of `pixels` (x, y) whose colour in `image` is `rgb`. */
function share(image: ReturnType<typeof readRgb>, pixels: readonly (readonly [number, number])[], rgb: readonly number[]): number {
  return pixels.filter(([x, y]) => image.rgb(x, y).every((v, i) => v === rgb[i])).length / pixels.length;
}

describe('dynamic-head detect --output', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dh-output-'));

  it('writes PNGs whose box edges are where the JSON says, one file or a folder for several images', () => {
    const folder = path.join(dir, 'annotated');
    const run = cli(['detect', weights, ...samples, '--json', '--score-thresh', '0.3', '--output', folder]);
    expect(run.status, run.stderr).toBe(0);
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Out);
    expect(readdirSync(folder).sort()).toEqual(['shapes-val-000000.png', 'shapes-val-000002.png']);
    for (const result of results) {
      expect(result.output).toBe(path.join(folder, path.basename(result.image)));
      const input = readRgb(readFileSync(result.image));
      const drawn = readRgb(readFileSync(result.output));
      expect([drawn.width, drawn.height]).toEqual([input.width, input.height]);
      expect(result.detections.length).toBeGreaterThan(0);
      expect(annotationScale(input.width, input.height)).toBe(1);
      // The most confident box is drawn last: its four edges are in its class colour (labels of
      // other boxes may cover a few pixels of them).
      const best = result.detections[0]!;
      const [l, t, r, b] = boxEdgePixels(best.box, input.width, input.height);
      const edges: [number, number][] = [];
      for (let y = t; y <= b; y++) edges.push([l, y], [r, y]);
      for (let x = l; x <= r; x++) edges.push([x, t], [x, b]);
      expect(share(drawn, edges, classRgb(best.classId)), JSON.stringify(best)).toBeGreaterThanOrEqual(0.9);
      // Every detection's left edge, at its middle row, is in its colour or another box's.
      const colours = result.detections.map((d) => classRgb(d.classId));
      for (const d of result.detections) {
        const [dl, dt, , db] = boxEdgePixels(d.box, input.width, input.height);
        const px = drawn.rgb(dl, Math.round((dt + db) / 2));
        expect(colours.some((c) => c.every((v, i) => v === px[i])), `${JSON.stringify(d)}: ${px}`).toBe(true);
      }
      // Away from every box and the places its label can take (above, inside or below it,
      // left- or right-aligned; 9 px high, 6 px per character + 1 at scale 1) the image is untouched.
      const zones = result.detections.map((d, i) => {
        const w = labelText(i, d.label, d.score).length * 6 + 1;
        const [x1, y1, x2, y2] = d.box;
        return [Math.min(x1, x2 - w) - 3, y1 - 12, Math.max(x2, x1 + w) + 3, y2 + 12] as const;
      });
      const far: [number, number][] = [];
      for (let y = 0; y < input.height; y += 2) {
        for (let x = 0; x < input.width; x += 2) {
          if (zones.every(([x1, y1, x2, y2]) => x < x1 || x > x2 || y < y1 || y > y2)) far.push([x, y]);
        }
      }
      expect(far.length).toBeGreaterThan(100);
      for (const [x, y] of far) expect(drawn.rgb(x, y)).toEqual(input.rgb(x, y));
    }
    // One image, a .png path; the text output names it.
    const single = path.join(dir, 'one.png');
    const text = cli(['detect', weights, samples[0]!, '-o', single]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`annotated: ${single}`);
    expect(readRgb(readFileSync(single)).width).toBe(160);
  });

  it('refuses a .png path for several images and never overwrites an input', () => {
    const several = cli(['detect', weights, ...samples, '--output', path.join(dir, 'x.png')]);
    expect(several.status).toBe(1);
    expect(several.stderr.trim()).toMatch(/names one PNG file but there are 2 images: give a folder$/);
    const over = cli(['detect', weights, samples[0]!, '--output', samples[0]!]);
    expect(over.status).toBe(1);
    expect(over.stderr).toContain('would overwrite the input image');
  });
});
