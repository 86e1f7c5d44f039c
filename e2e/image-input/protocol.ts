/** What e2e/image-input/page.ts and its worker say to each other. */
export interface ImageInputCase {
  readonly name: string;
  /** An encoded image (PNG), decoded by the browser. */
  readonly png: ArrayBuffer;
  /** The pixels the PNG holds (RGBA, unpremultiplied): what the CPU reference starts from. */
  readonly rgba: ArrayBuffer;
  readonly width: number;
  readonly height: number;
}

export interface ImageInputReport {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly resized: readonly [number, number];
  /** Pixels whose alpha is below 255 in the source. */
  readonly translucent: number;
  /** Network input from the ImageBitmap (texture path) vs the CPU reference on `rgba`. */
  readonly inputValues: number;
  readonly inputMismatches: number;
  readonly firstMismatch?: string;
  /** Detections from the bitmap equal those from the same pixels uploaded as bytes. */
  readonly detections: number;
  readonly sameAsBytes: boolean;
  readonly preprocessMs?: number;
  readonly detectMs: number;
}

export type ImageInputMessage = { type: 'report'; report: ImageInputReport } | { type: 'done' } | { type: 'fatal'; message: string };
