import type { SuiteMessage, SuiteRequest } from '../../bench/suite-types';

// Starts the benchmark worker with the request at `?request=<url>` and exposes its messages to
// Playwright as `window.suite`.
declare global {
  interface Window {
    suite: { messages: SuiteMessage[]; finished: boolean };
  }
}

window.suite = { messages: [], finished: false };
const log = document.getElementById('log')!;
const push = (message: SuiteMessage) => {
  window.suite.messages.push(message);
  log.textContent += `${message.type === 'progress' ? message.text : message.type === 'fatal' ? `FATAL ${message.message}` : 'done'}\n`;
  if (message.type === 'done' || message.type === 'fatal') window.suite.finished = true;
};
const requestUrl = new URLSearchParams(location.search).get('request');
if (!requestUrl) {
  push({ type: 'fatal', message: 'no ?request= URL' });
} else {
  const request = (await (await fetch(requestUrl)).json()) as SuiteRequest;
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<SuiteMessage>) => push(event.data);
  worker.onerror = (event) => push({ type: 'fatal', message: `worker error: ${event.message}` });
  worker.postMessage(request);
}
