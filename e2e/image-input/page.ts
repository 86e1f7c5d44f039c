/**
 * Hands the cases Playwright put in `window.imageInputCases` to a module Worker and collects its
 * reports in `window.imageInput` (see worker.ts).
 */
import type { ImageInputCase, ImageInputMessage, ImageInputReport } from './protocol';

/** A case as Playwright passes it (JSON: bytes as base64). */
export interface EncodedCase {
  readonly name: string;
  readonly png: string;
  readonly rgba: string;
  readonly width: number;
  readonly height: number;
}

declare global {
  interface Window {
    imageInput: { reports: ImageInputReport[]; done: boolean; error?: string };
    startImageInput: (cases: EncodedCase[]) => void;
  }
}

const bytes = (base64: string) => Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)).buffer as ArrayBuffer;

window.imageInput = { reports: [], done: false };
const log = document.getElementById('log')!;
window.startImageInput = (encoded) => {
  const cases: ImageInputCase[] = encoded.map((c) => ({ ...c, png: bytes(c.png), rgba: bytes(c.rgba) }));
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<ImageInputMessage>) => {
    const m = event.data;
    if (m.type === 'report') {
      window.imageInput.reports.push(m.report);
      log.textContent += `${JSON.stringify(m.report)}\n`;
    } else {
      if (m.type === 'fatal') window.imageInput.error = m.message;
      window.imageInput.done = true;
      worker.terminate();
    }
  };
  worker.onerror = (event) => {
    window.imageInput.error = event.message;
    window.imageInput.done = true;
  };
  worker.postMessage(cases, cases.flatMap((c) => [c.png, c.rgba]));
};
