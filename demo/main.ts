/**
 * The in-page demo: the detector runs in a web worker (src/api), this page only converts images,
 * draws boxes and gate heatmaps and shows timings. State for tests lives on <body>:
 * data-state (loading | ready | error: no detector), data-detections (boxes drawn), data-heatmap
 * (on | off), data-runs (detections finished), data-error-name (the class of the error the panel
 * shows, absent when none), data-load-phases (the load phases seen, e.g. "weights,compiling"),
 * data-detect-ms (the last detection's total time on the page), data-compile-ms (the plan compile
 * inside it), data-dense-runs (dense comparison runs finished), data-image-size (the shown
 * image's width×height), data-camera-fps and data-camera-max-queue-ms (camera mode); the canvas carries its drawn label rectangles as
 * data-labels (render.ts).
 */
import { createDetector, DynamicHeadError, UnsupportedImageError, type DetectResult, type Detector, type GateMap, type LevelName } from '../src/index';
import { checkImagePixels, encodedImageSize } from '../src/image-limits';
import defaultWeightsUrl from '../weights/default/model.dhw?url';
import { Camera } from './camera';
import { classColour, cssRgba, drawHeatmapRamp, drawScene, SKIPPED_RGBA } from './render';
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
const compareToggle = $<HTMLInputElement>('compare-toggle');
const cameraButton = $<HTMLButtonElement>('camera-toggle');
const cameraStatus = $('camera-status');
const camera = new Camera($<HTMLVideoElement>('camera'));

/** Images are shown from a copy at most this many pixels a side; the detector gets the original. */
const DISPLAY_MAX = 2048;
const DECODE: ImageBitmapOptions = { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

interface Weights {
  readonly input: string | Blob;
  readonly name: string;
  readonly isDefault: boolean;
}

interface Shown {
  /** What is drawn: the image itself, or a reduced copy of a large one. */
  readonly display: ImageBitmap;
  /** What the detector gets: the file (decoded again in full by the library) or a camera frame. */
  readonly source: Blob | ImageBitmap;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly camera: boolean;
  result?: DetectResult;
  dense?: DetectResult;
}

let weights: Weights = { input: defaultWeightsUrl, name: 'default weights', isDefault: true };
let detector: Detector | undefined;
let dense: Promise<Detector> | undefined;
let shown: Shown | undefined;
let runs = 0;
let denseRuns = 0;
let busy = false;
let rerunWanted = false;
/** What the page is doing right now (loading, opening an image, detecting), for the status line. */
let activity: string | undefined;
let readyText = '';
let unlabelled = 0;
const cameraStats = { done: [] as number[], skipped: 0, maxQueueMs: 0 };

// --- the status line: always what is on screen ----------------------------------------------

function visible(): DetectResult['detections'] {
  const min = Number(threshold.value);
  return shown?.result?.detections.filter((d) => d.score >= min) ?? [];
}

function cameraFps(): number | undefined {
  const t = cameraStats.done;
  return t.length >= 2 ? ((t.length - 1) * 1000) / (t.at(-1)! - t[0]!) : undefined;
}

function updateStatus(): void {
  let text: string;
  if (body.dataset.state === 'loading') text = activity ?? 'Loading…';
  else if (!detector) text = `No detector: ${$('error-message').textContent ?? ''}`;
  else if (!shown) text = activity ?? readyText;
  else if (shown.camera) {
    const fps = cameraFps();
    const rate = fps === undefined ? 'measuring the frame rate' : `${fps.toFixed(fps < 10 ? 2 : 1)} frames/s detected, ${cameraStats.skipped} camera frames skipped`;
    text = camera.running
      ? `Camera: ${visible().length} objects at score ≥ ${Number(threshold.value).toFixed(2)} in the latest frame · ${rate}.`
      : `Camera stopped: ${visible().length} objects at score ≥ ${Number(threshold.value).toFixed(2)} in the last frame.`;
  } else if (activity) text = activity;
  else if (!shown.result) text = `${shown.name}: not detected yet.`;
  else {
    const t = shown.result.timings.totalMs.toFixed(0);
    const d = shown.dense ? `; dense ${shown.dense.timings.totalMs.toFixed(0)} ms` : '';
    text = `${visible().length} objects at score ≥ ${Number(threshold.value).toFixed(2)} in ${shown.name} (${t} ms${d}).`;
  }
  status.textContent = text;
}

// --- errors: the panel says what happened and offers the way back -----------------------------

type ErrorContext = 'load' | 'image' | 'detect' | 'camera';

interface Advice {
  readonly title: string;
  readonly advice: string;
  readonly actions: readonly ('default' | 'weights' | 'image' | 'retry')[];
}

function adviceFor(name: string, context: ErrorContext): Advice {
  const back = weights.isDefault ? [] : (['default'] as const);
  switch (name) {
    case 'WeightsFormatError':
    case 'CheckpointFormatError':
    case 'CheckpointMismatchError':
    case 'UnsafeCheckpointError':
      return {
        title: 'This weights file cannot be used',
        advice:
          'It is not a valid .dhw file for this model (truncated, corrupt, another format or version). Convert a checkpoint with ' +
          '"npm run convert", load another file, or go back to the default weights.',
        actions: [...back, 'weights'],
      };
    case 'WeightsFetchError':
      return { title: 'The weights could not be downloaded', advice: 'Check the network and try again, or load a .dhw file from disk.', actions: ['retry', ...back, 'weights'] };
    case 'UnsupportedImageError':
      return {
        title: 'This image cannot be used',
        advice: 'Pick another image: PNG, JPEG, WebP, GIF or BMP that the browser can decode, up to 134 Mpx (2^27 pixels) of any shape, or a sample.',
        actions: ['image'],
      };
    case 'WebGPUUnavailableError':
      return {
        title: 'WebGPU is not available',
        advice: 'The detector needs WebGPU. Try a current Chrome or Edge (113+), Safari 26+ or Firefox 141+, on https or localhost, with hardware acceleration enabled.',
        actions: ['retry'],
      };
    case 'AdapterUnavailableError':
      return {
        title: 'No WebGPU adapter',
        advice: 'The browser has WebGPU but gave no GPU adapter: enable hardware acceleration, update the graphics driver, or see chrome://gpu (about:support in Firefox) for the reason.',
        actions: ['retry'],
      };
    case 'DeviceRequirementsError':
      return { title: 'This GPU cannot run the model', advice: 'The adapter lacks a feature or limit the engine needs; another browser or GPU may have it.', actions: ['retry', ...back] };
    case 'DeviceLostError':
      return { title: 'The GPU device was lost', advice: 'The engine re-creates the device on the next call: try again.', actions: ['retry'] };
    case 'AbortError':
      return { title: 'Cancelled', advice: 'The operation was given up; try again.', actions: ['retry'] };
    case 'EngineDisposedError':
      return { title: 'The detector was stopped', advice: 'It was replaced or shut down before the call finished; try again.', actions: ['retry'] };
    default:
      return {
        title: context === 'load' ? 'The detector could not start' : context === 'image' ? 'This image could not be opened' : 'Detection failed',
        advice: context === 'image' ? 'Pick another image or a sample.' : 'Try again; if it persists, reload the page.',
        actions: context === 'image' ? ['image'] : ['retry', ...back],
      };
  }
}

let retry: (() => void) | undefined;

function showError(error: unknown, context: ErrorContext, again?: () => void): void {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : 'Error';
  const { title, advice, actions } = adviceFor(name, context);
  $('error-title').textContent = title;
  $('error-message').textContent = `${name}: ${message}`;
  $('error-advice').textContent = advice;
  $('error-default').hidden = !actions.includes('default');
  $('error-weights').hidden = !actions.includes('weights');
  $('error-image').hidden = !actions.includes('image');
  retry = again;
  $('error-retry').hidden = !actions.includes('retry') || !again;
  $('error').hidden = false;
  body.dataset.errorName = name;
  body.dataset.errorCode = error instanceof DynamicHeadError ? error.code : '';
  activity = `${title}: ${message}`;
  updateStatus();
}

function clearError(): void {
  $('error').hidden = true;
  delete body.dataset.errorName;
  delete body.dataset.errorCode;
  retry = undefined;
}

$('error-dismiss').addEventListener('click', () => {
  clearError();
  activity = undefined;
  updateStatus();
});
$('error-retry').addEventListener('click', () => {
  const again = retry;
  clearError();
  again?.();
});
$('error-default').addEventListener('click', () => useDefaultWeights());

// --- weights ---------------------------------------------------------------------------------

function disposeDense(): void {
  const old = dense;
  dense = undefined;
  void old?.then((d) => d.dispose(), () => undefined);
}

/** Loads a detector; detection labels come from the weights file's class names. */
async function loadDetector(next: Weights): Promise<void> {
  const old = detector;
  detector = undefined;
  void old?.dispose();
  disposeDense();
  weights = next;
  $('weights-default').hidden = next.isDefault;
  clearError();
  // The boxes on screen came from the old weights: take them down.
  if (shown && !shown.camera) {
    shown.result = undefined;
    shown.dense = undefined;
    render();
  }
  body.dataset.state = 'loading';
  progress.value = 0;
  progressText.textContent = '0 %';
  progressLabel.textContent = 'Weights';
  activity = `Loading ${next.name}…`;
  updateStatus();
  const phases: string[] = [];
  body.dataset.loadPhases = '';
  let loaded: Detector;
  try {
    loaded = await createDetector({
      weights: next.input,
      // The demo always asks for gates (the heatmap), so the gates plan is the one to warm up.
      warmup: { gates: true },
      onProgress: ({ phase, fraction, loaded: bytes }) => {
        if (phases.at(-1) !== phase) {
          phases.push(phase);
          body.dataset.loadPhases = phases.join(',');
        }
        if (phase === 'compiling') {
          progressLabel.textContent = 'Compiling';
          progress.value = fraction;
          progressText.textContent = fraction < 1 ? 'compiling the network for the default input size…' : 'compiled';
          activity = `Compiling the network for ${next.name}…`;
          updateStatus();
          return;
        }
        progress.value = fraction;
        progressText.textContent = `${Math.round(fraction * 100)} % (${(bytes / 2 ** 20).toFixed(1)} MiB)`;
      },
    });
  } catch (error) {
    if (weights !== next) return; // replaced by a newer load
    body.dataset.state = 'error';
    showError(error, 'load', () => void loadDetector(next));
    return;
  }
  if (weights !== next) {
    void loaded.dispose();
    return;
  }
  detector = loaded;
  const { config, adapter, weightBytes, sparseCrossover } = detector.model;
  $('weights-name').textContent = `${next.name}: ${config.head.kind} head, D${config.head.routersPerTower}, ${config.head.numClasses} classes, input ${config.input.minSize}–${config.input.maxSize} px`;
  fillRouters(config.head.routersPerTower, config.head.kind === 'dynamic');
  showAdapter(adapter, weightBytes, config.head.kind === 'dynamic' ? sparseCrossover : undefined);
  compareToggle.disabled = config.head.kind !== 'dynamic';
  body.dataset.state = 'ready';
  const t = detector.model.loadTimings;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  readyText = `Ready: ${next.name} loaded in ${s(t.totalMs)} (weights ${s(t.weightsMs)}, compile ${s(t.compileMs)}). Pick an image.`;
  activity = undefined;
  updateStatus();
  if (shown && !shown.camera) void detectShown();
}

function useDefaultWeights(): void {
  void loadDetector({ input: defaultWeightsUrl, name: 'default weights', isDefault: true });
}

function fillRouters(perTower: number, dynamic: boolean): void {
  const keep = heatmapRouter.value;
  heatmapRouter.replaceChildren(
    ...['cls_subnet', 'bbox_subnet'].flatMap((tower) =>
      Array.from({ length: perTower }, (_, i) => new Option(`${tower === 'cls_subnet' ? 'classification' : 'box'} tower · router ${i}`, `${tower}.${i}`)),
    ),
  );
  if ([...heatmapRouter.options].some((o) => o.value === keep)) heatmapRouter.value = keep;
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
  fillStats(dl, rows);
  dl.hidden = false;
}

function fillStats(dl: HTMLElement, rows: readonly (readonly [string, string])[]): void {
  dl.replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
}

$<HTMLInputElement>('weights-file').addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = ''; // choosing the same file again fires "change" again
  if (file) void loadDetector({ input: file, name: file.name, isDefault: false });
});
$('weights-default').addEventListener('click', () => useDefaultWeights());

// --- dense comparison ------------------------------------------------------------------------

/** The same weights with sparseCrossover 0: every router that is on anywhere runs dense (masked). */
function denseDetector(): Promise<Detector> {
  if (!dense) {
    const pending = createDetector({ weights: weights.input, sparseCrossover: 0, warmup: true });
    dense = pending;
    pending.catch(() => {
      if (dense === pending) dense = undefined;
    });
  }
  return dense;
}

compareToggle.addEventListener('change', () => {
  if (!compareToggle.checked) {
    disposeDense();
    if (shown) shown.dense = undefined;
    render();
    return;
  }
  if (shown?.result && !shown.camera) void detectShown();
  else render();
});

// --- images ----------------------------------------------------------------------------------

/** Decodes `blob` once for display (reduced to DISPLAY_MAX a side); the detector decodes it again in full. */
async function displayCopy(blob: Blob, name: string): Promise<{ display: ImageBitmap; width: number; height: number }> {
  const header = encodedImageSize(new Uint8Array(await blob.slice(0, 512 * 1024).arrayBuffer()));
  if (header) checkImagePixels(header[0], header[1], name);
  let full: ImageBitmap;
  try {
    full = await createImageBitmap(blob, DECODE);
  } catch (error) {
    throw new UnsupportedImageError(`${name} could not be decoded by the browser (${error instanceof Error ? error.message : String(error)})`);
  }
  const { width, height } = full;
  const scale = Math.min(1, DISPLAY_MAX / Math.max(width, height));
  if (scale === 1) return { display: full, width, height };
  try {
    const display = await createImageBitmap(full, {
      resizeWidth: Math.max(1, Math.round(width * scale)),
      resizeHeight: Math.max(1, Math.round(height * scale)),
      resizeQuality: 'high',
    });
    return { display, width, height };
  } finally {
    full.close();
  }
}

async function showImage(source: Blob | string, name: string): Promise<void> {
  if (camera.running) stopCamera();
  activity = `Opening ${name}…`;
  updateStatus();
  try {
    const blob = typeof source === 'string' ? await (await fetch(source)).blob() : source;
    const { display, width, height } = await displayCopy(blob, name);
    if (shown && shown.display !== display) shown.display.close();
    shown = { display, source: blob, name, width, height, camera: false };
    body.dataset.imageSize = `${width}×${height}`;
    if (body.dataset.errorCode === 'UNSUPPORTED_IMAGE') clearError();
    activity = undefined;
    render();
    await detectShown();
  } catch (error) {
    activity = undefined;
    showError(error, 'image');
  }
}

/** The threshold the last run used; a higher slider value only re-filters its detections. */
function runThreshold(): number {
  const fallback = detector?.model.config.test.scoreThresh ?? 0.05;
  return Math.min(Number(threshold.value), fallback);
}

async function detectShown(): Promise<void> {
  if (!detector || !shown || shown.camera) return;
  if (busy) {
    rerunWanted = true;
    return;
  }
  busy = true;
  const target = shown;
  const using = detector;
  try {
    activity = `Detecting in ${target.name}…`;
    updateStatus();
    const result = await using.detect(target.source, { scoreThreshold: runThreshold(), returnGates: true });
    if (using !== detector) return;
    target.result = result;
    target.dense = undefined;
    runs++;
    body.dataset.detectMs = result.timings.totalMs.toFixed(1);
    body.dataset.compileMs = result.timings.compileMs.toFixed(1);
    body.dataset.runs = String(runs);
    if (compareToggle.checked) {
      activity = `Running the dense head on ${target.name}…`;
      render();
      const denseResult = await (await denseDetector()).detect(target.source, { scoreThreshold: result.scoreThreshold });
      if (using !== detector) return;
      target.dense = denseResult;
      denseRuns++;
      body.dataset.denseRuns = String(denseRuns);
    }
    if (body.dataset.errorName && body.dataset.errorCode !== 'UNSUPPORTED_IMAGE') clearError();
    activity = undefined;
    render();
  } catch (error) {
    activity = undefined;
    if (using === detector) showError(error, 'detect', () => void detectShown());
  } finally {
    busy = false;
    if (rerunWanted) {
      rerunWanted = false;
      void detectShown();
    }
  }
}

const drop = $('drop-zone');
$<HTMLInputElement>('image-file').addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file) {
    for (const b of samples.querySelectorAll('button')) b.setAttribute('aria-pressed', 'false');
    void showImage(file, file.name);
  }
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
  else showError(new UnsupportedImageError('that was not an image file'), 'image');
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
  if (result && !shown?.camera && Number(threshold.value) < result.scoreThreshold) void detectShown();
  else render();
});
for (const control of [heatmapToggle, heatmapRouter, heatmapPath, heatmapLevel]) control.addEventListener('change', render);
window.addEventListener('resize', () => render());

$('legend-skipped').style.background = cssRgba(SKIPPED_RGBA);
drawHeatmapRamp($<HTMLCanvasElement>('legend-ramp'));

function selectedGate(result: DetectResult | undefined): GateMap | undefined {
  const level = heatmapLevel.value as LevelName;
  return result?.gates?.find((g) => g.router === heatmapRouter.value && g.path === heatmapPath.value && g.level === level);
}

// --- rendering -------------------------------------------------------------------------------

/** The canvas size that fills the figure's width (and at most 70 % of the window's height) in device pixels. */
function fitSize(): { width: number; height: number; dpr: number } {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(160, view.parentElement?.clientWidth ?? 640);
  const height = Math.max(120, window.innerHeight * 0.7);
  return { width: Math.round(width * dpr), height: Math.round(height * dpr), dpr };
}

function render(): void {
  body.dataset.heatmap = heatmapToggle.checked ? 'on' : 'off';
  $('heatmap-legend').hidden = !heatmapToggle.checked;
  if (!shown) {
    updateStatus();
    return;
  }
  const result = shown.result;
  const detections = visible();
  const gate = heatmapToggle.checked ? selectedGate(result) : undefined;
  const fit = fitSize();
  const drawn = drawScene(
    view,
    {
      image: shown.display,
      size: { width: shown.width, height: shown.height },
      detections,
      heatmap: gate && result ? { gate, resized: result.inputSize.resized } : undefined,
    },
    fit,
    12 * fit.dpr,
  );
  unlabelled = drawn.unlabelled;
  view.setAttribute('aria-label', `${shown.name} with ${detections.length} detected objects`);
  const reduced = shown.display.width !== shown.width ? ` (shown reduced to ${shown.display.width}×${shown.display.height})` : '';
  const network = result ? ` · network input ${result.inputSize.resized.join('×')} (padded ${result.inputSize.padded.join('×')})` : '';
  const left = unlabelled > 0 ? ` · ${unlabelled} labels left out where they would overlap (all are in the list)` : '';
  caption.textContent = `${shown.name} · ${shown.width}×${shown.height} px${reduced}${network}${left}`;
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
      ? `${gate.name}: on at ${(gate.density * 100).toFixed(1)} % of its ${gate.width}×${gate.height} positions (computed there, skipped elsewhere).`
      : result?.gates
        ? 'This path does not run at this level (scale 0 has no P7 source, scale 1 no P3).'
        : 'No gates yet.';
  }
  if (result) showTimings(result);
  else {
    $('timings').replaceChildren();
    document.querySelector('#densities tbody')!.replaceChildren();
  }
  showComparison();
  updateStatus();
}

function formatMacs(macs: DetectResult['macs']): string {
  if (!macs) return 'not reported by this engine';
  return `${(macs.executed / 1e6).toFixed(1)} M of ${(macs.denseDynamic / 1e6).toFixed(1)} M (${((macs.executed / macs.denseDynamic) * 100).toFixed(0)} %)`;
}

function showTimings(result: DetectResult): void {
  const t = result.timings;
  fillStats($('timings'), [
    ['Waiting in the queue', `${t.queueMs.toFixed(1)} ms`],
    ['Image → pixels', `${t.decodeMs.toFixed(1)} ms`],
    ['Plan compile', t.compileMs >= 1 ? `${t.compileMs.toFixed(0)} ms` : 'none (warm)'],
    ['Pre-process (CPU)', `${t.preprocessMs.toFixed(1)} ms`],
    [`GPU (${t.gpuTimer}, pre-process kernels included)`, `${t.gpuMs.toFixed(1)} ms`],
    ['Post-process (CPU)', `${t.postprocessMs.toFixed(1)} ms`],
    ['Read back from the GPU', `${(result.readbackBytes / 1024).toFixed(1)} KiB`],
    ['Total', `${t.totalMs.toFixed(1)} ms`],
    ['Head MACs computed / dense', formatMacs(result.macs)],
  ]);
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

/** Largest score and box-coordinate differences between two runs' detections (same order), or undefined if their lists differ. */
function agreement(a: DetectResult, b: DetectResult, min: number): { score: number; box: number } | undefined {
  const da = a.detections.filter((d) => d.score >= min);
  const db = b.detections.filter((d) => d.score >= min);
  if (da.length !== db.length) return undefined;
  let score = 0;
  let box = 0;
  for (const [i, d] of da.entries()) {
    const e = db[i]!;
    if (d.classId !== e.classId) return undefined;
    score = Math.max(score, Math.abs(d.score - e.score));
    for (let k = 0; k < 4; k++) box = Math.max(box, Math.abs(d.box[k]! - e.box[k]!));
  }
  return { score, box };
}

function showComparison(): void {
  const section = $('compare');
  const result = shown?.result;
  const other = shown?.dense;
  section.hidden = !compareToggle.checked || !result;
  if (section.hidden || !result) return;
  const ms = (r: DetectResult | undefined, stage?: string) => {
    if (!r) return '…';
    const v = stage ? r.timings.gpuStages[stage] : r.timings.gpuMs;
    return v === undefined ? 'n/a' : `${v.toFixed(1)} ms`;
  };
  const m = (v: number | undefined) => (v === undefined ? '…' : `${(v / 1e6).toFixed(1)} M`);
  const min = Number(threshold.value);
  const rows: [string, string, string][] = [
    [`GPU, whole network (${result.timings.gpuTimer})`, ms(result), ms(other)],
    ['GPU, head', ms(result, 'head'), ms(other, 'head')],
    // The dense run computes every pixel of every router that is on anywhere: the dense count.
    ['Head MACs computed', m(result.macs?.executed), other ? m(other.macs?.denseDynamic) : '…'],
    ['Total on the page', `${result.timings.totalMs.toFixed(0)} ms`, other ? `${other.timings.totalMs.toFixed(0)} ms` : '…'],
    [`Objects at score ≥ ${min.toFixed(2)}`, String(visible().length), other ? String(other.detections.filter((d) => d.score >= min).length) : '…'],
  ];
  const tbody = document.querySelector('#compare-table tbody')!;
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells.map((text, i) => Object.assign(document.createElement(i === 0 ? 'th' : 'td'), { textContent: text })));
      return tr;
    }),
  );
  const note = $('compare-note');
  if (!other) {
    note.textContent = 'Running the dense head…';
    return;
  }
  const same = agreement(result, other, min);
  const speed = other.timings.gpuStages.head && result.timings.gpuStages.head ? other.timings.gpuStages.head / result.timings.gpuStages.head : undefined;
  note.textContent =
    (same ? `Same detections (largest differences: score ${same.score.toExponential(1)}, box ${same.box.toFixed(2)} px). ` : 'The detection lists differ. ') +
    (speed ? `The dynamic head took ${(1 / speed).toFixed(2)}× the dense head's GPU time. ` : '') +
    'Dynamic MACs count conv1/conv2 at the gate-active pixels only (a router above the crossover runs dense but is counted as active); gate and predictor convs run dense in both.';
}

// --- camera ----------------------------------------------------------------------------------

if (!Camera.supported) {
  cameraButton.disabled = true;
  cameraStatus.textContent = 'No camera access in this browser or context.';
}

let cameraInFlight = false;

function stopCamera(): void {
  camera.stop();
  cameraButton.setAttribute('aria-pressed', 'false');
  cameraButton.textContent = 'Start camera';
  cameraStatus.textContent = 'Camera stopped.';
  updateStatus();
}

/** One detection of the current video frame; frames arriving meanwhile are skipped, never queued. */
async function detectFrame(video: HTMLVideoElement): Promise<void> {
  if (!detector) return;
  cameraInFlight = true;
  const using = detector;
  let frame: ImageBitmap | undefined;
  try {
    frame = await createImageBitmap(video);
    const result = await using.detect(frame, { scoreThreshold: runThreshold(), returnGates: heatmapToggle.checked, gateDensities: true });
    if (!camera.running || using !== detector) {
      frame.close();
      return;
    }
    if (shown && shown.display !== frame) shown.display.close();
    shown = { display: frame, source: frame, name: 'camera', width: frame.width, height: frame.height, camera: true, result };
    body.dataset.imageSize = `${frame.width}×${frame.height}`;
    runs++;
    body.dataset.runs = String(runs);
    // One detection in flight at most: none ever waits in the detector's queue.
    cameraStats.maxQueueMs = Math.max(cameraStats.maxQueueMs, result.timings.queueMs);
    body.dataset.cameraMaxQueueMs = cameraStats.maxQueueMs.toFixed(1);
    cameraStats.done.push(performance.now());
    if (cameraStats.done.length > 10) cameraStats.done.shift();
    const fps = cameraFps();
    if (fps !== undefined) body.dataset.cameraFps = fps.toFixed(3);
    render();
  } catch (error) {
    frame?.close();
    stopCamera();
    showError(error, 'camera', () => cameraButton.click());
  } finally {
    cameraInFlight = false;
  }
}

cameraButton.addEventListener('click', async () => {
  if (camera.running) {
    stopCamera();
    return;
  }
  try {
    cameraStatus.textContent = 'Asking for the camera…';
    await camera.start();
  } catch (error) {
    cameraStatus.textContent = `Camera unavailable: ${error instanceof Error ? error.message : String(error)}`;
    return;
  }
  for (const b of samples.querySelectorAll('button')) b.setAttribute('aria-pressed', 'false');
  cameraStats.done = [];
  cameraStats.skipped = 0;
  cameraStats.maxQueueMs = 0;
  cameraButton.setAttribute('aria-pressed', 'true');
  cameraButton.textContent = 'Stop camera';
  cameraStatus.textContent = 'Live: one detection at a time, the newest frame each time.';
  const video = $<HTMLVideoElement>('camera');
  const onFrame = () => {
    if (!camera.running) return;
    if (cameraInFlight || !detector) cameraStats.skipped++;
    else void detectFrame(video);
    next();
  };
  const next = () => {
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(onFrame);
    else requestAnimationFrame(onFrame);
  };
  next();
  updateStatus();
});

// --- start -----------------------------------------------------------------------------------

body.dataset.heatmap = 'off';
useDefaultWeights();
