/** Draws the image, the gate heatmap and the boxes onto the demo's canvas. */
import type { Detection, GateMap, LevelName } from '../src/index';

const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe'];

export function classColour(classId: number): string {
  return PALETTE[classId % PALETTE.length]!;
}

export const STRIDES: Record<LevelName, number> = { p3: 8, p4: 16, p5: 32, p6: 64, p7: 128 };

export interface Scene {
  readonly image: CanvasImageSource & { readonly width: number; readonly height: number };
  readonly detections: readonly Detection[];
  /** The gate to overlay, with the resized size the network saw (to map gate pixels back). */
  readonly heatmap?: { readonly gate: GateMap; readonly resized: readonly [number, number] };
}

function heatmapCanvas(gate: GateMap): OffscreenCanvas | HTMLCanvasElement {
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(gate.width, gate.height) : document.createElement('canvas');
  canvas.width = gate.width;
  canvas.height = gate.height;
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
  const pixels = ctx.createImageData(gate.width, gate.height);
  const values = gate.values ?? new Float32Array(gate.width * gate.height);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(1, Math.max(0, values[i]!));
    const o = i * 4;
    if (v > 0) {
      // On: warm, brighter where the gate is stronger.
      pixels.data[o] = 255;
      pixels.data[o + 1] = Math.round(200 * (1 - v));
      pixels.data[o + 2] = 0;
      pixels.data[o + 3] = Math.round(110 + 100 * v);
    } else {
      // Off: the path is skipped here.
      pixels.data[o] = 20;
      pixels.data[o + 1] = 30;
      pixels.data[o + 2] = 80;
      pixels.data[o + 3] = 150;
    }
  }
  ctx.putImageData(pixels, 0, 0);
  return canvas;
}

export function drawScene(canvas: HTMLCanvasElement, scene: Scene): void {
  const { image } = scene;
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0);
  if (scene.heatmap) {
    const { gate, resized } = scene.heatmap;
    const stride = STRIDES[gate.level];
    // The gate covers the padded input; the resized image sits at its top-left corner.
    const sx = (image.width / resized[1]) * stride;
    const sy = (image.height / resized[0]) * stride;
    ctx.save();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(heatmapCanvas(gate), 0, 0, gate.width * sx, gate.height * sy);
    ctx.restore();
  }
  const unit = Math.max(1, Math.min(image.width, image.height) / 240);
  ctx.lineWidth = 2 * unit;
  ctx.font = `${Math.round(11 * unit)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  // Lowest score first, so the most confident boxes end up on top.
  for (const d of [...scene.detections].reverse()) {
    const [x1, y1, x2, y2] = d.box;
    const colour = classColour(d.classId);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const w = ctx.measureText(text).width + 4 * unit;
    const h = 14 * unit;
    const ty = y1 - h >= 0 ? y1 - h : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1, ty, w, h);
    ctx.fillStyle = '#000';
    ctx.fillText(text, x1 + 2 * unit, ty + unit);
  }
}
