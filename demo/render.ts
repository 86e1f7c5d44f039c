/**
 * Draws the image, the gate heatmap and the boxes onto the demo's canvas.
 *
 * Colours: boxes use the shared colour-blind-safe set (src/render/box-labels.ts); the heatmap
 * uses a cividis-like ramp (dark blue → grey → yellow, readable with every common colour-vision
 * deficiency) for the gate strength where the path computes, and a neutral dimming where it is
 * skipped. The legend on the page is drawn from the same functions.
 *
 * Labels: placed by the shared rule (src/render/box-labels.ts), most confident first; one left
 * out for want of a free place is still in the list below the image. The placed rectangles are
 * returned (and published on the canvas as `data-labels`) so that a test can check them.
 */
import type { Detection, GateMap, LevelName } from '../src/index';
import { classColour, labelText, placeLabel, type Rect } from '../src/render/box-labels';

export { classColour };

export const STRIDES: Record<LevelName, number> = { p3: 8, p4: 16, p5: 32, p6: 64, p7: 128 };

type Rgba = readonly [number, number, number, number];

/** Cividis-like ramp (stops of the published map at 0, ¼, ½, ¾, 1). */
const RAMP: readonly (readonly [number, number, number])[] = [
  [0, 32, 77],
  [65, 77, 107],
  [124, 123, 120],
  [188, 175, 111],
  [255, 234, 70],
];
/** Opacity of the heatmap where the path computes, and of the dimming where it is skipped. */
const ON_ALPHA = 170;
export const SKIPPED_RGBA: Rgba = [0, 0, 0, 150];

/** The heatmap's colour for a gate value: SKIPPED_RGBA at 0 (path skipped), the ramp above. */
export function heatmapRgba(value: number): Rgba {
  const v = Math.min(1, Math.max(0, value));
  if (!(v > 0)) return SKIPPED_RGBA;
  const t = v * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f), ON_ALPHA];
}

export const cssRgba = ([r, g, b, a]: Rgba): string => `rgba(${r}, ${g}, ${b}, ${(a / 255).toFixed(2)})`;

/** Draws the legend's ramp: gate value 0⁺ at the left to 1 at the right (opaque, on white). */
export function drawHeatmapRamp(canvas: HTMLCanvasElement): void {
  const ctx = canvas.getContext('2d')!;
  for (let x = 0; x < canvas.width; x++) {
    const [r, g, b] = heatmapRgba((x + 1) / canvas.width);
    ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.fillRect(x, 0, 1, canvas.height);
  }
}

function heatmapCanvas(gate: GateMap): OffscreenCanvas | HTMLCanvasElement {
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(gate.width, gate.height) : document.createElement('canvas');
  canvas.width = gate.width;
  canvas.height = gate.height;
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
  const pixels = ctx.createImageData(gate.width, gate.height);
  const values = gate.values ?? new Float32Array(gate.width * gate.height);
  for (let i = 0; i < values.length; i++) pixels.data.set(heatmapRgba(values[i]!), i * 4);
  ctx.putImageData(pixels, 0, 0);
  return canvas;
}

export interface Scene {
  /** What to draw (possibly a reduced copy of the image). */
  readonly image: CanvasImageSource & { readonly width: number; readonly height: number };
  /** The original image's size: the detections' coordinate space. */
  readonly size: { readonly width: number; readonly height: number };
  readonly detections: readonly Detection[];
  /** The gate to overlay, with the resized size [height, width] the network saw (to map gate pixels back). */
  readonly heatmap?: { readonly gate: GateMap; readonly resized: readonly [number, number] };
}

/** A drawn label, in canvas pixels; `index` is the detection's place in the list (0-based). */
export interface LabelRect {
  readonly index: number;
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Drawn {
  readonly labels: readonly LabelRect[];
  /** Detections drawn as boxes without a label (no free place for it). */
  readonly unlabelled: number;
}

/**
 * Draws `scene` into `canvas`, sized to fit `fit` (canvas pixels) with the image's aspect ratio.
 * Label text is `fontPx` canvas pixels high.
 */
export function drawScene(canvas: HTMLCanvasElement, scene: Scene, fit: { readonly width: number; readonly height: number }, fontPx: number): Drawn {
  const { image, size } = scene;
  const scale = Math.min(fit.width / size.width, fit.height / size.height);
  const width = Math.max(1, Math.round(size.width * scale));
  const height = Math.max(1, Math.round(size.height * scale));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const sx = width / size.width;
  const sy = height / size.height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#111827';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, width, height);
  if (scene.heatmap) {
    const { gate, resized } = scene.heatmap;
    const stride = STRIDES[gate.level];
    // The gate covers the padded input; the resized image sits at its top-left corner.
    const gx = (width / resized[1]) * stride;
    const gy = (height / resized[0]) * stride;
    ctx.save();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(heatmapCanvas(gate), 0, 0, gate.width * gx, gate.height * gy);
    ctx.restore();
  }
  const line = Math.max(1.5, fontPx / 6);
  ctx.font = `${Math.round(fontPx)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const boxes = scene.detections.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    return { x1: x1 * sx, y1: y1 * sy, x2: x2 * sx, y2: y2 * sy };
  });
  // Boxes: lowest score first, so the most confident end up on top; a dark outline keeps them
  // apart from the image and the heatmap.
  for (let i = scene.detections.length - 1; i >= 0; i--) {
    const b = boxes[i]!;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = line + 2;
    ctx.strokeRect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
    ctx.strokeStyle = classColour(scene.detections[i]!.classId);
    ctx.lineWidth = line;
    ctx.strokeRect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
  }
  // Labels: most confident first, each at the first free place around its box.
  const labels: LabelRect[] = [];
  const pad = Math.round(fontPx * 0.25);
  const h = Math.round(fontPx * 1.3);
  scene.detections.forEach((d, index) => {
    const b = boxes[index]!;
    const text = labelText(index, d.label, d.score);
    const w = Math.ceil(ctx.measureText(text).width) + 2 * pad;
    const free: Rect | undefined = placeLabel([b.x1, b.y1, b.x2, b.y2], { width: w, height: h }, { width, height }, labels);
    if (!free) return;
    labels.push({ index, text, ...free });
    ctx.fillStyle = classColour(d.classId);
    ctx.fillRect(free.x, free.y, w, h);
    ctx.fillStyle = '#000';
    ctx.fillText(text, free.x + pad, free.y + Math.round((h - fontPx) / 2));
  });
  canvas.dataset.labels = JSON.stringify(labels);
  return { labels, unlabelled: scene.detections.length - labels.length };
}
