import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from './harness/free-port';

// The package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into an
// empty project outside the repository with `webgpu` and `vite` next to it, then there: the CLI
// (`npx dynamic-head`), the library in Node (createDetector from a path and from bytes, typed
// errors) and a small Vite app built against it, detecting in Chromium.
const root = path.resolve(import.meta.dirname, '..');
const fixture = path.join(root, 'tests/fixtures/reference/narrow-d8');
const sample = path.join(root, 'demo/samples/shapes-val-000000.png');
const repoVersion = (name: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let project = '';
let preview: ChildProcess | undefined;

const run = (cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(cmd, args, { cwd: options.cwd ?? project, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...options.env } });


test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  const packs = mkdtempSync(path.join(tmpdir(), 'dh-pack-'));
  execFileSync('npm', ['pack', '--pack-destination', packs, '--silent'], { cwd: root, stdio: 'pipe' });
  const tarball = path.join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz'))!);
  project = mkdtempSync(path.join(tmpdir(), 'dh-user-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'dh-user', private: true, type: 'module' }));
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `webgpu@${repoVersion('webgpu')}`, `vite@${repoVersion('vite')}`]);
  expect(install.status, install.stderr).toBe(0);
  copyFileSync(`${fixture}/checkpoint.pth`, path.join(project, 'checkpoint.pth'));
  copyFileSync(sample, path.join(project, 'sample.png'));
  copyFileSync(`${fixture}/wide-scene.png`, path.join(project, 'scene.png'));
  copyFileSync(path.join(root, 'weights/default/model.dhw'), path.join(project, 'model.dhw'));
});

test.afterAll(() => {
  preview?.kill();
  if (project) rmSync(project, { recursive: true, force: true });
});

test('the installed package ships built JavaScript only: no TypeScript sources, scripts/ or shaders to compile', () => {
  const pkg = path.join(project, 'node_modules/dynamic-head-webgpu');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d, { withFileTypes: true })) name.isDirectory() ? walk(path.join(d, name.name)) : files.push(path.relative(pkg, path.join(d, name.name)));
  };
  walk(pkg);
  expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.some((f) => f.startsWith('scripts/') || f.startsWith('src/') || f.endsWith('.wgsl'))).toBe(false);
  for (const f of ['bin/dynamic-head.mjs', 'dist/index.js', 'dist/node/index.js', 'dist/node/cli.js', 'dist/types/index.d.ts', 'dist/types/node/index.d.ts']) expect(files).toContain(f);
  const size = files.reduce((n, f) => n + readFileSync(path.join(pkg, f)).length, 0);
  console.log(`installed package: ${files.length} files, ${(size / 2 ** 20).toFixed(2)} MiB`);
});

test('npx dynamic-head: --help, convert with labels, detect --json with labels and --output', () => {
  const help = run('npx', ['dynamic-head', '--help']);
  expect(help.status, help.stderr).toBe(0);
  expect(help.stdout).toContain('convert');
  writeFileSync(path.join(project, 'names.txt'), ['ring', 'disc', 'bar', 'dot', 'cross', 'wave', 'star', 'leaf'].join('\n'));
  const convert = run('npx', ['dynamic-head', 'convert', 'checkpoint.pth', '-o', 'd8.dhw', '--min-size', '64', '--max-size', '128', '--labels', 'names.txt', '--quiet']);
  expect(convert.status, convert.stderr).toBe(0);
  const detect = run('npx', ['dynamic-head', 'detect', 'd8.dhw', 'scene.png', '--json', '--score-thresh', '0.2', '--output', 'annotated.png']);
  expect(detect.status, detect.stderr).toBe(0);
  const result = JSON.parse(detect.stdout.trim()) as { output: string; detections: { classId: number; label: string }[] };
  expect(result.detections.length).toBeGreaterThan(0);
  // The annotated copy is a PNG of the image's size (its pixels are checked in tests/node/cli-output).
  expect(result.output).toBe('annotated.png');
  const annotated = readFileSync(path.join(project, 'annotated.png'));
  expect([...annotated.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  expect([annotated.readUInt32BE(16), annotated.readUInt32BE(20)]).toEqual([200, 100]);
  for (const d of result.detections) expect(d.label).toBe(['ring', 'disc', 'bar', 'dot', 'cross', 'wave', 'star', 'leaf'][d.classId]);
  const missing = run('npx', ['dynamic-head', 'detect', 'd8.dhw', 'nope.png']);
  expect(missing.status).toBe(1);
  expect(missing.stderr.trim()).toBe('dynamic-head detect: DynamicHeadError: the image nope.png does not exist');
});

test('the library in Node: createDetector from a path and from bytes, typed errors', () => {
  writeFileSync(
    path.join(project, 'node-use.mjs'),
    `import { readFileSync } from 'node:fs';
import { createDetector, WeightsFormatError, UnsupportedImageError, InvalidArgumentError } from 'dynamic-head-webgpu';
const out = {};
const fromPath = await createDetector({ weights: 'model.dhw' });
const a = await fromPath.detect('sample.png');
out.path = a.detections.map((d) => d.label);
const fromBytes = await createDetector({ weights: readFileSync('model.dhw').buffer.slice(0), warmup: false });
const b = await fromBytes.detect(readFileSync('sample.png'));
out.bytes = b.detections.map((d) => d.label);
out.errors = {};
const name = (e) => e?.constructor?.name + ': ' + e?.message;
out.errors.missingWeights = await createDetector({ weights: 'nope.dhw' }).then(() => 'loaded', name);
out.errors.badWeights = await createDetector({ weights: new TextEncoder().encode('not weights').buffer }).then(() => 'loaded', name);
out.errors.missingImage = await fromPath.detect('nope.png').then(() => 'detected', name);
out.errors.notImage = await fromPath.detect(new TextEncoder().encode('GIF89a, not PNG')).then(() => 'detected', name);
out.classes = { WeightsFormatError: WeightsFormatError.name, UnsupportedImageError: UnsupportedImageError.name, InvalidArgumentError: InvalidArgumentError.name };
out.afterwards = (await fromPath.detect('sample.png')).detections.length;
await fromPath.dispose();
await fromBytes.dispose();
console.log(JSON.stringify(out));
`,
  );
  const node = run(process.execPath, ['node-use.mjs']);
  expect(node.status, node.stderr).toBe(0);
  const out = JSON.parse(node.stdout.trim().split('\n').at(-1)!) as { path: string[]; bytes: string[]; errors: Record<string, string>; afterwards: number };
  console.log(`Node library: ${JSON.stringify(out)}`);
  expect(out.path.length).toBeGreaterThan(0);
  expect(out.bytes).toEqual(out.path);
  for (const label of out.path) expect(['circle', 'square', 'triangle', 'cross', 'star', 'bar']).toContain(label);
  expect(out.errors.missingWeights).toMatch(/^InvalidArgumentError: .*nope\.dhw does not exist/);
  expect(out.errors.badWeights).toMatch(/^WeightsFormatError: /);
  expect(out.errors.missingImage).toMatch(/^InvalidArgumentError: .*nope\.png does not exist/);
  expect(out.errors.notImage).toMatch(/^UnsupportedImageError: /);
  expect(out.afterwards).toBe(out.path.length);

  // Without the optional `webgpu` peer: a typed error that says what to install.
  writeFileSync(path.join(project, 'no-webgpu.mjs'), `import { createDetector } from 'dynamic-head-webgpu';
await createDetector({ weights: 'model.dhw' }).then(() => console.log('loaded'), (e) => console.log(e.constructor.name + ': ' + e.message));
`);
  const dawn = path.join(project, 'node_modules/webgpu');
  const hidden = path.join(project, 'node_modules/.webgpu-hidden');
  execFileSync('mv', [dawn, hidden]);
  try {
    const without = run(process.execPath, ['no-webgpu.mjs']);
    expect(without.stdout.trim()).toMatch(/^WebGPUUnavailableError: .*"webgpu" package.*npm install webgpu/);
  } finally {
    execFileSync('mv', [hidden, dawn]);
  }
});

test('a Vite app built against the installed package detects in Chromium', async ({ page }) => {
  const app = path.join(project, 'app');
  mkdirSync(path.join(app, 'public'), { recursive: true });
  copyFileSync(path.join(project, 'model.dhw'), path.join(app, 'public/model.dhw'));
  copyFileSync(sample, path.join(app, 'public/sample.png'));
  writeFileSync(path.join(app, 'index.html'), '<!doctype html><meta charset="utf-8"><title>user app</title><pre id="out"></pre><script type="module" src="./main.js"></script>');
  writeFileSync(
    path.join(app, 'main.js'),
    `import { createDetector } from 'dynamic-head-webgpu';
const detector = await createDetector({ weights: './model.dhw', cache: false });
const image = await (await fetch('./sample.png')).blob();
const { detections } = await detector.detect(image);
document.getElementById('out').textContent = JSON.stringify(detections.map((d) => d.label));
document.body.dataset.done = String(detections.length);
`,
  );
  writeFileSync(path.join(app, 'vite.config.js'), `export default { base: './', worker: { format: 'es' }, build: { target: 'es2022' } };\n`);
  const built = run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: app });
  expect(built.status, built.stderr).toBe(0);
  const port = await freePort();
  preview = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: app, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await expect(page.locator('body')).toHaveAttribute('data-done', /^[1-9]/, { timeout: 120_000 });
  const labels = JSON.parse((await page.locator('#out').textContent()) ?? '[]') as string[];
  console.log(`Vite app in Chromium: ${JSON.stringify(labels)}`);
  expect(errors).toEqual([]);
  for (const label of labels) expect(['circle', 'square', 'triangle', 'cross', 'star', 'bar']).toContain(label);
});
