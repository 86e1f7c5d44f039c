/**
 * The in-page demo: the detector runs in a web worker (src/api), this page only converts images,
 * draws boxes and gate heatmaps and shows timings. State for tests lives on <body>:
 * data-state (loading | ready | error), data-detections (boxes drawn), data-heatmap (on | off),
 * data-runs (detections finished), data-error-name (the error class when data-state=error),
 * data-load-phases (the load phases seen, e.g. "weights,compiling"), data-detect-ms (the last
 * detection's total time on the page) and data-compile-ms (the plan compile inside it).
 */
import { createDetector, DynamicHeadError, type DetectResult, type Detector, type GateMap, type LevelName } from '../src/index';
import defaultWeightsUrl from '../weights/default/model.dhw?url';
import { Camera } from './camera';
import { classColour, drawScene } from './render';
import { SAMPLES } from './samples';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const body = document.body;
const status = $('status');
const progress = $<HTMLProgressElement>('load-progress');
const progressText = $('load-text');
const progressLabel = $('load-label');
const view = $<HTMLCanvasElement>('view');
const caption = $('caption');
const threshold = $<HTMLInputElement>('threshold');
const thresholdValue = $<HTMLOutputElement>('threshold-value');
const heatmapToggle = $<HTMLInputElement>('heatmap-toggle');
const heatmapRouter = $<HTMLSelectElement>('heatmap-router');
const heatmapPath = $<HTMLSelectElement>('heatmap-path');
const heatmapLevel = $<HTMLSelectElement>('heatmap-level');
const heatmapInfo = $('heatmap-info');
const cameraButton = $<HTMLButtonElement>('camera-toggle');
const cameraStatus = $('camera-status');
const camera = new Camera($<HTMLVideoElement>('camera'));

interface Shown {
  readonly image: ImageBitmap;
  readonly name: string;
  result?: DetectResult;
}

let detector: Detector | undefined;
let shown: Shown | undefined;
let runs = 0;
let busy = false;
let rerunWanted = false;

function setStatus(text: string): void {
  status.textContent = text;
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof DynamicHeadError ? error.name : error instanceof Error ? error.name : 'Error';
  const webgpu = error instanceof DynamicHeadError && ['WEBGPU_UNAVAILABLE', 'ADAPTER_UNAVAILABLE', 'DEVICE_REQUIREMENTS'].includes(error.code);
  document.querySelector('#webgpu-error h2')!.textContent = webgpu ? 'WebGPU is not available' : 'The detector could not start';
  $('webgpu-error-message').textContent = message;
  $('webgpu-error').hidden = false;
  body.dataset.state = 'error';
  body.dataset.errorName = name;
  setStatus(`${name}: ${message}`);
}

// --- weights ---------------------------------------------------------------------------------

/** Loads a detector; detection labels come from the weights file's class names. */
async function loadDetector(weights: string | Blob, name: string): Promise<void> {
  detector?.dispose();
  detector = undefined;
  body.dataset.state = 'loading';
  progress.value = 0;
  progressText.textContent = '0 %';
  progressLabel.textContent = 'Weights';
  setStatus(`Loading ${name}…`);
  const phases: string[] = [];
  body.dataset.loadPhases = '';
  try {
    detector = await createDetector({
      weights,
      // The demo always asks for gates (the heatmap), so the gates plan is the one to warm up.
      warmup: { gates: true },
      onProgress: ({ phase, fraction, loaded }) => {
        if (phases.at(-1) !== phase) {
          phases.push(phase);
          body.dataset.loadPhases = phases.join(',');
        }
        if (phase === 'compiling') {
          progressLabel.textContent = 'Compiling';
          progress.value = fraction;
          progressText.textContent = fraction < 1 ? 'compiling the network for the default input size…' : 'compiled';
          setStatus(`Compiling the network for ${name}…`);
          return;
        }
        progress.value = fraction;
        progressText.textContent = `${Math.round(fraction * 100)} % (${(loaded / 2 ** 20).toFixed(1)} MiB)`;
      },
    });
  } catch (error) {
    fail(error);
    return;
  }
  const { config, adapter, weightBytes, sparseCrossover } = detector.model;
  $('weights-name').textContent = `${name}: ${config.head.kind} head, D${config.head.routersPerTower}, ${config.head.numClasses} classes, input ${config.input.minSize}–${config.input.maxSize} px`;
  fillRouters(config.head.routersPerTower, config.head.kind === 'dynamic');
  showAdapter(adapter, weightBytes, config.head.kind === 'dynamic' ? sparseCrossover : undefined);
  body.dataset.state = 'ready';
  const t = detector.model.loadTimings;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  setStatus(`Ready: ${name} loaded in ${s(t.totalMs)} (weights ${s(t.weightsMs)}, compile ${s(t.compileMs)}). Pick an image.`);
  if (shown) void detectShown();
}

function fillRouters(perTower: number, dynamic: boolean): void {
  heatmapRouter.replaceChildren(
    ...['cls_subnet', 'bbox_subnet'].flatMap((tower) =>
      Array.from({ length: perTower }, (_, i) => new Option(`${tower === 'cls_subnet' ? 'classification' : 'box'} tower · router ${i}`, `${tower}.${i}`)),
    ),
  );
  heatmapToggle.disabled = !dynamic;
  if (!dynamic) heatmapInfo.textContent = 'This model has a fixed head: it has no gates.';
}

function showAdapter(adapter: Detector['model']['adapter'], weightBytes: number, crossover: number | undefined): void {
  const dl = $('adapter-info');
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ') || 'unknown';
  const rows: [string, string][] = [
    ['Adapter', adapter.software ? `${name} (runs on the CPU)` : name],
    ['shader-f16', adapter.f16 ? 'yes' : 'no (f32 kernels)'],
    ['timestamp-query', adapter.timestampQuery ? 'yes (GPU times)' : 'no (wall clock)'],
    ['Weights on GPU', `${(weightBytes / 2 ** 20).toFixed(2)} MiB`],
    ...(crossover === undefined ? [] : ([['Sparse convs', `dense above ${(crossover * 100).toFixed(0)} % active pixels`]] as [string, string][])),
  ];
  dl.replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
  dl.hidden = false;
}

$<HTMLInputElement>('weights-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  $('weights-default').hidden = false;
  void loadDetector(file, file.name);
});
$('weights-default').addEventListener('click', () => {
  $('weights-default').hidden = true;
  void loadDetector(defaultWeightsUrl, 'default weights');
});

// --- images ----------------------------------------------------------------------------------

async function showImage(source: Blob | string, name: string): Promise<void> {
  try {
    const blob = typeof source === 'string' ? await (await fetch(source)).blob() : source;
    const image = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    shown?.image.close();
    shown = { image, name };
    render();
    await detectShown();
  } catch (error) {
    setStatus(`Could not open ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The threshold the last run used; a higher slider value only re-filters its detections. */
function runThreshold(): number {
  const fallback = detector?.model.config.test.scoreThresh ?? 0.05;
  return Math.min(Number(threshold.value), fallback);
}

async function detectShown(): Promise<void> {
  if (!detector || !shown) return;
  if (busy) {
    rerunWanted = true;
    return;
  }
  busy = true;
  const target = shown;
  try {
    setStatus(`Detecting in ${target.name}…`);
    target.result = await detector.detect(target.image, { scoreThreshold: runThreshold(), returnGates: true });
    runs++;
    body.dataset.detectMs = target.result.timings.totalMs.toFixed(1);
    body.dataset.compileMs = target.result.timings.compileMs.toFixed(1);
    body.dataset.runs = String(runs);
    render();
    setStatus(`${visible().length} objects in ${target.name} (${target.result.timings.totalMs.toFixed(0)} ms).`);
  } catch (error) {
    setStatus(`Detection failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  } finally {
    busy = false;
    if (rerunWanted) {
      rerunWanted = false;
      void detectShown();
    }
  }
}

function visible(): DetectResult['detections'] {
  const min = Number(threshold.value);
  return shown?.result?.detections.filter((d) => d.score >= min) ?? [];
}

const drop = $('drop-zone');
$<HTMLInputElement>('image-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void showImage(file, file.name);
});
drop.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    $('image-file').click();
  }
});
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = [...(event.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('image/'));
  if (file) void showImage(file, file.name);
  else setStatus('That was not an image file.');
});
document.addEventListener('dragover', (event) => event.preventDefault());
document.addEventListener('drop', (event) => event.preventDefault());

const samples = $('samples');
for (const sample of SAMPLES) {
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-pressed', 'false');
  button.dataset.sample = sample.name;
  button.title = sample.name;
  const img = document.createElement('img');
  img.src = sample.url;
  img.alt = `Sample ${sample.name}`;
  button.append(img);
  button.addEventListener('click', () => {
    for (const b of samples.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
    void showImage(sample.url, sample.name);
  });
  samples.append(button);
}

// --- threshold and heatmap -------------------------------------------------------------------

threshold.addEventListener('input', () => {
  thresholdValue.textContent = Number(threshold.value).toFixed(2);
  const result = shown?.result;
  if (result && Number(threshold.value) < result.scoreThreshold) void detectShown();
  else render();
});
for (const control of [heatmapToggle, heatmapRouter, heatmapPath, heatmapLevel]) control.addEventListener('change', render);

function selectedGate(result: DetectResult | undefined): GateMap | undefined {
  const level = heatmapLevel.value as LevelName;
  return result?.gates?.find((g) => g.router === heatmapRouter.value && g.path === heatmapPath.value && g.level === level);
}

// --- rendering -------------------------------------------------------------------------------

function render(): void {
  body.dataset.heatmap = heatmapToggle.checked ? 'on' : 'off';
  if (!shown) return;
  const result = shown.result;
  const detections = visible();
  const gate = heatmapToggle.checked ? selectedGate(result) : undefined;
  drawScene(view, { image: shown.image, detections, heatmap: gate && result ? { gate, resized: result.inputSize.resized } : undefined });
  view.setAttribute('aria-label', `${shown.name} with ${detections.length} detected objects`);
  caption.textContent = `${shown.name} · ${shown.image.width}×${shown.image.height} px${result ? ` · network input ${result.inputSize.resized.join('×')} (padded ${result.inputSize.padded.join('×')})` : ''}`;
  body.dataset.detections = String(detections.length);
  $('detection-count').textContent = String(detections.length);
  $('detections').replaceChildren(
    ...detections.map((d) => {
      const li = document.createElement('li');
      const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
      swatch.style.background = classColour(d.classId);
      li.append(swatch, `${d.label} ${d.score.toFixed(3)} [${d.box.map((v) => v.toFixed(0)).join(', ')}]`);
      return li;
    }),
  );
  if (heatmapToggle.checked) {
    heatmapInfo.textContent = gate
      ? `${gate.name}: on at ${(gate.density * 100).toFixed(1)} % of ${gate.width}×${gate.height} positions (warm = computed, blue = skipped).`
      : result?.gates
        ? 'This path does not run at this level (scale 0 has no P7 source, scale 1 no P3).'
        : 'No gates yet.';
  }
  if (result) showTimings(result);
}

function formatMacs(macs: unknown): string {
  if (typeof macs !== 'object' || macs === null) return 'not reported by this engine';
  const entries = Object.entries(macs as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
  const executed = entries.find(([k]) => /executed/i.test(k))?.[1];
  const dense = entries.find(([k]) => /dense/i.test(k))?.[1];
  if (executed === undefined || dense === undefined) return entries.map(([k, v]) => `${k} ${(v / 1e6).toFixed(1)} M`).join(', ');
  return `${(executed / 1e6).toFixed(1)} M / ${(dense / 1e6).toFixed(1)} M (${((executed / dense) * 100).toFixed(0)} %)`;
}

function showTimings(result: DetectResult): void {
  const t = result.timings;
  const rows: [string, string][] = [
    ['Waiting in the queue', `${t.queueMs.toFixed(1)} ms`],
    ['Image → pixels', `${t.decodeMs.toFixed(1)} ms`],
    ['Plan compile', t.compileMs >= 1 ? `${t.compileMs.toFixed(0)} ms` : 'none (warm)'],
    ['Pre-process (CPU)', `${t.preprocessMs.toFixed(1)} ms`],
    [`GPU (${t.gpuTimer}, pre-process kernels included)`, `${t.gpuMs.toFixed(1)} ms`],
    ['Post-process (CPU)', `${t.postprocessMs.toFixed(1)} ms`],
    ['Read back from the GPU', `${(result.readbackBytes / 1024).toFixed(1)} KiB`],
    ['Total', `${t.totalMs.toFixed(1)} ms`],
    ['Executed / dense MACs', formatMacs(result.macs)],
  ];
  $('timings').replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
  const tbody = document.querySelector('#densities tbody')!;
  tbody.replaceChildren(
    ...(result.routerDensities ?? []).map((r) => {
      const tr = document.createElement('tr');
      const bar = Object.assign(document.createElement('span'), { className: 'bar' });
      bar.style.width = `${(r.density * 6).toFixed(2)}rem`;
      const cells = [r.router, `${(r.density * 100).toFixed(1)} %`].map((text) => Object.assign(document.createElement('td'), { textContent: text }));
      const barCell = document.createElement('td');
      barCell.setAttribute('aria-hidden', 'true');
      barCell.append(bar);
      tr.append(...cells, barCell);
      return tr;
    }),
  );
}

// --- camera ----------------------------------------------------------------------------------

if (!Camera.supported) {
  cameraButton.disabled = true;
  cameraStatus.textContent = 'No camera access in this browser or context.';
}

cameraButton.addEventListener('click', async () => {
  if (camera.running) {
    camera.stop();
    cameraButton.setAttribute('aria-pressed', 'false');
    cameraButton.textContent = 'Start camera';
    cameraStatus.textContent = 'Camera stopped.';
    return;
  }
  try {
    cameraStatus.textContent = 'Asking for the camera…';
    await camera.start();
  } catch (error) {
    cameraStatus.textContent = `Camera unavailable: ${error instanceof Error ? error.message : String(error)}`;
    return;
  }
  cameraButton.setAttribute('aria-pressed', 'true');
  cameraButton.textContent = 'Stop camera';
  cameraStatus.textContent = 'Live: detecting frame after frame.';
  const video = $<HTMLVideoElement>('camera');
  while (camera.running && detector) {
    const frame = await createImageBitmap(video);
    try {
      const result = await detector.detect(frame, { scoreThreshold: runThreshold(), returnGates: heatmapToggle.checked, gateDensities: true });
      shown?.image.close();
      shown = { image: frame, name: 'camera', result };
      runs++;
      body.dataset.runs = String(runs);
      render();
    } catch (error) {
      frame.close();
      cameraStatus.textContent = `Detection failed: ${error instanceof Error ? error.message : String(error)}`;
      camera.stop();
    }
  }
});

// --- start -----------------------------------------------------------------------------------

body.dataset.heatmap = 'off';
void loadDetector(defaultWeightsUrl, 'default weights');
