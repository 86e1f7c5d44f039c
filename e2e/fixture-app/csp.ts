/**
 * The built package under a strict Content-Security-Policy (the server sends it, see
 * e2e/library.spec.ts): create a detector, detect, dispose. Violations seen on the page land in
 * `window.csp`; the server collects report-uri reports from the page and from every worker.
 */
import { createDetector } from 'dynamic-head-webgpu';
import sampleUrl from '../../demo/samples/shapes-val-000000.png?url';
import weightsUrl from '../../weights/default/model.dhw?url';
import type { CspReport } from './report';

const report: CspReport = { done: false, violations: [] };
window.csp = report;
const log = document.getElementById('log')!;
document.addEventListener('securitypolicyviolation', (e) => report.violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile }));

async function run(): Promise<void> {
  const probe = new Worker(new URL('./csp-probe-worker.ts', import.meta.url), { type: 'module' });
  report.probe = await new Promise((resolve) => {
    probe.onmessage = (e) => resolve(e.data as CspReport['probe']);
  });
  probe.terminate();
  const phases = new Set<string>();
  const detector = await createDetector({ weights: weightsUrl, cache: false, onProgress: (p) => void phases.add(p.phase) });
  report.phases = [...phases];
  const png = await (await fetch(sampleUrl)).blob();
  const result = await detector.detect(png, { gateDensities: true });
  report.detections = result.detections.length;
  report.routers = result.routerDensities?.length ?? 0;
  await detector.dispose();
  log.textContent = `${result.detections.length} detections under the CSP`;
}

run()
  .catch((error: unknown) => {
    report.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log.textContent = `error: ${report.error}`;
  })
  .finally(() => {
    report.done = true;
    document.body.dataset.state = 'done';
  });
