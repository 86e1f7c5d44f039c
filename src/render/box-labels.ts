/**
 * How detections are drawn, shared by the demo's canvas and the CLI's annotated PNG, so both show
 * the same colours and place labels by the same rule.
 *
 * Colours: a colour-blind-safe categorical set (Okabe & Ito, without its yellow and dark blue,
 * which the demo's heatmap uses) indexed by class id; label text is black on the box colour.
 *
 * Labels: inside the picture (clamped to its edges), tried at a few positions around their box,
 * and left out where none is free of the labels already placed. Callers place the most confident
 * detection first, so the labels that survive crowding are the ones that matter most.
 */

export type Rgb = readonly [number, number, number];

const PALETTE: readonly Rgb[] = [
  [0xe6, 0x9f, 0x00],
  [0x56, 0xb4, 0xe9],
  [0x00, 0x9e, 0x73],
  [0xd5, 0x5e, 0x00],
  [0xcc, 0x79, 0xa7],
  [0xf0, 0xf0, 0xf0],
  [0x99, 0x99, 0x99],
];

/** The box and label colour of a class. */
export function classRgb(classId: number): Rgb {
  return PALETTE[classId % PALETTE.length]!;
}

/** `classRgb` as a CSS colour (`#rrggbb`). */
export function classColour(classId: number): string {
  return `#${classRgb(classId).map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A box in picture pixels: left, top, right, bottom. */
export type BoxCorners = readonly [number, number, number, number];

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Where a `size` label for `box` goes in a `picture`-sized image without covering any of
 * `placed`: above the box, inside its top, below, inside its bottom, then right-aligned above and
 * below, each clamped into the picture; undefined when the label does not fit or every place is
 * taken. Integer pixel positions.
 */
export function placeLabel(
  box: BoxCorners,
  size: { readonly width: number; readonly height: number },
  picture: { readonly width: number; readonly height: number },
  placed: readonly Rect[],
): Rect | undefined {
  const { width: w, height: h } = size;
  if (w > picture.width || h > picture.height) return undefined;
  const [x1, y1, x2, y2] = box;
  const clampX = (x: number) => Math.min(Math.max(0, x), picture.width - w);
  const clampY = (y: number) => Math.min(Math.max(0, y), picture.height - h);
  const candidates: readonly (readonly [number, number])[] = [
    [x1, y1 - h],
    [x1, y1],
    [x1, y2],
    [x1, y2 - h],
    [x2 - w, y1 - h],
    [x2 - w, y2],
  ];
  for (const [x, y] of candidates) {
    const rect = { x: Math.round(clampX(x)), y: Math.round(clampY(y)), width: w, height: h };
    if (!placed.some((p) => overlaps(p, rect))) return rect;
  }
  return undefined;
}

/** The label text of the detection at `index` (0-based) in a list: its number, label and score. */
export function labelText(index: number, label: string, score: number): string {
  return `${index + 1} ${label} ${score.toFixed(2)}`;
}
