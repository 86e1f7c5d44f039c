/**
 * Draws detections into RGBA8 pixels (the CLI's annotated PNGs): each box as an outline in its
 * class colour with a dark rim, and its label (number, name, score) in the bitmap font on a patch
 * of the same colour, placed by the rule the demo uses (src/render/box-labels.ts). Sizes follow
 * the image: font and line scale s = max(1, round(min(width, height) / 300)), so a label stays
 * readable from a 160 px thumbnail to a 48 Mpx photo.
 *
 * Box edges: a box [x1, y1, x2, y2] in continuous pixel coordinates covers columns round(x1) to
 * round(x2) − 1 and rows round(y1) to round(y2) − 1 (clamped into the image); its outline is drawn
 * on those first and last columns and rows, widened inwards and outwards by the line width.
 */
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, textWidth } from './bitmap-font';
import { classRgb, labelText, placeLabel, type Rect, type Rgb } from './box-labels';

export interface RgbaPixels {
  readonly width: number;
  readonly height: number;
  /** RGBA8, row-major; drawn into in place. */
  readonly data: Uint8Array;
}

export interface DrawnDetection {
  readonly box: readonly [number, number, number, number];
  readonly classId: number;
  readonly score: number;
  readonly label: string;
}

export interface Annotation {
  /** Font and line scale used. */
  readonly scale: number;
  /** The labels drawn, with the index of their detection; detections without one had no free place. */
  readonly labels: readonly (Rect & { readonly index: number; readonly text: string })[];
}

const RIM: Rgb = [0, 0, 0];

/** The font and line scale for an image of this size. */
export function annotationScale(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 300));
}

function fill(image: RgbaPixels, x0: number, y0: number, x1: number, y1: number, [r, g, b]: Rgb): void {
  const xa = Math.max(0, x0);
  const xb = Math.min(image.width, x1);
  const ya = Math.max(0, y0);
  const yb = Math.min(image.height, y1);
  for (let y = ya; y < yb; y++) {
    for (let x = xa, o = (y * image.width + xa) * 4; x < xb; x++, o += 4) {
      image.data[o] = r;
      image.data[o + 1] = g;
      image.data[o + 2] = b;
      image.data[o + 3] = 255;
    }
  }
}

/** The pixel columns/rows of a box's outer edges: [left, top, right, bottom], inclusive. */
export function boxEdgePixels(box: readonly [number, number, number, number], width: number, height: number): [number, number, number, number] {
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const left = clamp(Math.round(box[0]), width);
  const top = clamp(Math.round(box[1]), height);
  const right = Math.max(left, clamp(Math.round(box[2]) - 1, width));
  const bottom = Math.max(top, clamp(Math.round(box[3]) - 1, height));
  return [left, top, right, bottom];
}

/** Outline of the rectangle [l, t, r, b] (inclusive pixels) with bands of `line` pixels centred on its edges. */
function outline(image: RgbaPixels, [l, t, r, b]: readonly number[], line: number, colour: Rgb): void {
  const lo = Math.floor((line - 1) / 2);
  const hi = line - lo;
  fill(image, l! - lo, t! - lo, r! + hi, t! + hi, colour);
  fill(image, l! - lo, b! - lo, r! + hi, b! + hi, colour);
  fill(image, l! - lo, t! - lo, l! + hi, b! + hi, colour);
  fill(image, r! - lo, t! - lo, r! + hi, b! + hi, colour);
}

function drawText(image: RgbaPixels, text: string, x: number, y: number, scale: number, colour: Rgb): void {
  [...text].forEach((ch, i) => {
    const rows = glyphRows(ch);
    const gx = x + i * GLYPH_ADVANCE * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((rows[row]! >> (GLYPH_WIDTH - 1 - col)) & 1) fill(image, gx + col * scale, y + row * scale, gx + (col + 1) * scale, y + (row + 1) * scale, colour);
      }
    }
  });
}

/**
 * Draws `detections` (most confident first, as the engine returns them) into `image`: boxes from
 * the least confident up, so the best ends on top, then labels most confident first.
 */
export function annotateRgba(image: RgbaPixels, detections: readonly DrawnDetection[]): Annotation {
  const scale = annotationScale(image.width, image.height);
  const line = scale;
  const rim = Math.max(1, Math.round(scale / 2));
  for (let i = detections.length - 1; i >= 0; i--) {
    const edges = boxEdgePixels(detections[i]!.box, image.width, image.height);
    outline(image, edges, line + 2 * rim, RIM);
    outline(image, edges, line, classRgb(detections[i]!.classId));
  }
  const labels: (Rect & { index: number; text: string })[] = [];
  detections.forEach((d, index) => {
    const text = labelText(index, d.label, d.score);
    const size = { width: (textWidth(text) + 2) * scale, height: (GLYPH_HEIGHT + 2) * scale };
    const rect = placeLabel(d.box, size, image, labels);
    if (!rect) return;
    labels.push({ ...rect, index, text });
    fill(image, rect.x, rect.y, rect.x + rect.width, rect.y + rect.height, classRgb(d.classId));
    drawText(image, text, rect.x + scale, rect.y + scale, scale, RIM);
  });
  return { scale, labels };
}
