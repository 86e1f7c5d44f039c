/**
 * Weights load benchmark: load time and JS heap peak while Debian Chromium streams a `.dhw` file
 * into GPU buffers with the engine's loader (`loadWeights` + `EngineWeightSink`), on the page's
 * main thread and in a dedicated Worker.
 *   npm run bench:weights -- <file.dhw> [more.dhw ...] [--modes main,worker] [--runs N] [--gc-per-tensor]
 * The file is served from disk by a middleware route (`/__weights/<n>/<name>`, with Content-Length),
 * never copied into the repo. Heap: `performance.memory.usedJSHeapSize` (precise, sampled every
 * ~20 ms, after every network piece and after every tensor's finish()) and, where the page is
 * cross-origin isolated, `performance.measureUserAgentSpecificMemory()` before and after.
 * Writes bench-results/weights-load-<timestamp>.json.
 */
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer, type Plugin } from 'vite';
import type { PageMessage, WeightsLoadResult } from '../e2e/weights-load/page';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench-results');
const EXTRA_ARGS = ['--enable-precise-memory-info', '--js-flags=--expose-gc'];

interface Args {
  files: string[];
  modes: ('main' | 'worker')[];
  runs: number;
  timeoutS: number;
  /** Diagnostic: force gc() after every tensor (peak = live memory, not uncollected garbage). */
  gcPerTensor: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const out: Args = { files: [], modes: ['main', 'worker'], runs: 1, timeoutS: 900, gcPerTensor: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--modes') out.modes = value().split(',').map((m) => (m === 'worker' ? 'worker' : 'main'));
    else if (a === '--runs') out.runs = Math.max(1, Number(value()));
    else if (a === '--gc-per-tensor') out.gcPerTensor = true;
    else if (a === '--timeout') out.timeoutS = Number(value());
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else out.files.push(path.resolve(a));
  }
  if (out.files.length === 0) throw new Error('usage: weights-load <file.dhw> [more.dhw ...] [--modes main,worker] [--runs N]');
  for (const f of out.files) if (!existsSync(f)) throw new Error(`${f} does not exist`);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `/__weights/<index>/<name>` streams files[index] from disk with its Content-Length. */
function weightsRoute(files: readonly string[]): Plugin {
  return {
    name: 'bench-weights-route',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/__weights\/(\d+)\/[^/?]+/.exec(req.url ?? '');
        if (!m) return next();
        const file = files[Number(m[1])];
        if (!file) {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.statusCode = 200;
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
      });
    },
  };
}

const MB = 1e6;
const fmtMB = (b: number | undefined | null) => (b === undefined || b === null ? '—' : (b / MB).toFixed(1));

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const started = Date.now();
  const port = await freePort();
  const server = await createServer({
    root,
    logLevel: 'warn',
    plugins: [weightsRoute(args.files)],
    server: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      hmr: false,
      // Cross-origin isolation makes measureUserAgentSpecificMemory() available.
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    optimizeDeps: { entries: ['e2e/weights-load/index.html'] },
  });
  await server.listen();
  const address = `http://127.0.0.1:${port}`;
  const launchArgs = [...CHROMIUM_ARGS, ...EXTRA_ARGS];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: launchArgs, headless: true });
  const runs: (WeightsLoadResult & { file: string; run: number })[] = [];
  const errors: string[] = [];
  try {
    // Warm Vite's transform cache (and dependency optimisation) once, so it is not in the timings.
    {
      const page = await browser.newPage();
      await page.goto(`${address}/e2e/weights-load/index.html`);
      await page.waitForFunction(() => window.weightsLoad?.finished, undefined, { timeout: 120_000 });
      await page.close();
    }
    for (const [index, file] of args.files.entries()) {
      for (const mode of args.modes) {
        for (let run = 1; run <= args.runs; run++) {
          const url = `/__weights/${index}/${encodeURIComponent(path.basename(file))}`;
          const context = await browser.newContext();
          const page = await context.newPage();
          page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
          const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
          console.log(`[${t} s] ${path.basename(file)} (${fmtMB(statSync(file).size)} MB), ${mode} thread, run ${run}`);
          try {
            await page.goto(`${address}/e2e/weights-load/index.html?url=${encodeURIComponent(url)}&mode=${mode}${args.gcPerTensor ? '&gc=tensor' : ''}`);
            await page.waitForFunction(() => window.weightsLoad?.finished, undefined, { timeout: args.timeoutS * 1000, polling: 500 });
            const messages = (await page.evaluate(() => window.weightsLoad.messages)) as PageMessage[];
            const m = messages[0]!;
            if (m.type === 'fatal') throw new Error(m.message);
            runs.push({ ...m.result, file, run });
          } catch (e) {
            const msg = `${path.basename(file)} ${mode} run ${run}: ${(e as Error).message}`;
            console.error(msg);
            errors.push(msg);
          } finally {
            await context.close();
          }
        }
      }
    }
  } finally {
    const version = browser.version();
    await browser.close();
    await server.close();
    console.log('');
    printTable(runs);
    mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
    const out = path.join(resultsDir, `weights-load-${stamp}.json`);
    writeFileSync(
      out,
      JSON.stringify(
        {
          kind: 'dynamic-head-webgpu weights load benchmark',
          version: 1,
          startedAt: new Date(started).toISOString(),
          durationS: (Date.now() - started) / 1000,
          command: `node scripts/run-ts.mjs bench/weights-load.ts ${argv.join(' ')}`,
          browser: { name: 'Chromium (Debian)', version, executablePath: CHROMIUM, args: launchArgs },
          machine: { platform: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, memoryBytes: os.totalmem() },
          runs: runs.map((r) => summary(r, true)),
          errors,
        },
        null,
        1,
      ),
    );
    console.log(`\nwrote ${path.relative(root, out)}`);
  }
  return errors.length > 0 ? 1 : 0;
}

function summary(r: WeightsLoadResult & { file: string; run: number }, withSeries = false) {
  const peakDelta = r.heapPeak !== undefined && r.heapBaseline !== undefined ? r.heapPeak - r.heapBaseline : undefined;
  const { heapSeries, ...rest } = r;
  return {
    ...rest,
    heapPeakMinusBaseline: peakDelta,
    peakOverFileSize: r.heapPeak !== undefined ? r.heapPeak / r.fileBytes : undefined,
    peakDeltaOverFileSize: peakDelta !== undefined ? peakDelta / r.fileBytes : undefined,
    peakDeltaOverLargestTensor: peakDelta !== undefined ? peakDelta / r.largestTensor.byteLength : undefined,
    ...(withSeries ? { heapSeries: heapSeries.map((s) => [Math.round(s.t), s.used, s.where[0]]) } : {}),
  };
}

function printTable(runs: readonly (WeightsLoadResult & { file: string; run: number })[]): void {
  const head = ['file', 'mode', 'size MB', 'wall s', 'MB/s', 'base MB', 'peak MB', 'peak-base MB', 'peak/size', '(peak-base)/size', 'after gc MB', 'UASM before/after MB', 'largest tensor MB'];
  const rows = runs.map((r) => {
    const s = summary(r as WeightsLoadResult & { file: string; run: number });
    return [
      path.basename(r.file),
      r.mode + (r.gcPerTensor ? ' (gc/tensor)' : ''),
      fmtMB(r.fileBytes),
      (r.wallMs / 1000).toFixed(2),
      r.mbPerS.toFixed(1),
      fmtMB(r.heapBaseline),
      fmtMB(r.heapPeak),
      fmtMB(s.heapPeakMinusBaseline),
      s.peakOverFileSize?.toFixed(3) ?? '—',
      s.peakDeltaOverFileSize?.toFixed(3) ?? '—',
      fmtMB(r.heapAfterGc),
      `${fmtMB(r.uasmBefore)}/${fmtMB(r.uasmAfter)}`,
      `${fmtMB(r.largestTensor.byteLength)} (${r.largestTensor.dtype})`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  for (const r of runs) {
    console.log(
      `${path.basename(r.file)} ${r.mode}: ${r.tensorCount} tensors (${r.f16Tensors} f16, shader-f16 ${r.shaderF16}), largest ${r.largestTensor.name} ${JSON.stringify(r.largestTensor.shape)}; ` +
        `parse ${(r.parseMs / 1000).toFixed(2)} s; peak at ${r.heapPeakAtMs?.toFixed(0) ?? '—'} ms (${r.heapPeakWhere ?? '—'}); ${r.samples} samples; heap after load ${fmtMB(r.heapAfterLoad)} MB; ` +
        `COI ${r.crossOriginIsolated}${r.uasmNote ? ` (${r.uasmNote})` : ''}${r.heapAvailable ? '' : '; performance.memory not available in this context'}`,
    );
  }
}
