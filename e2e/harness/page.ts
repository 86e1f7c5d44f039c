import type { HarnessMessage } from './protocol';

// Starts the harness worker and exposes its messages to Playwright as `window.harness`.
declare global {
  interface Window {
    harness: { messages: HarnessMessage[]; finished: boolean };
  }
}

window.harness = { messages: [], finished: false };
const log = document.getElementById('log')!;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<HarnessMessage>) => {
  const message = event.data;
  window.harness.messages.push(message);
  log.textContent += `${JSON.stringify(message)}\n`;
  if (message.type === 'done' || message.type === 'fatal') window.harness.finished = true;
};
worker.onerror = (event) => {
  window.harness.messages.push({ type: 'fatal', errorName: 'WorkerError', message: event.message });
  window.harness.finished = true;
};
const query = new URLSearchParams(location.search);
worker.postMessage({ suite: query.get('suite'), hideGpu: query.has('hide-gpu') });
