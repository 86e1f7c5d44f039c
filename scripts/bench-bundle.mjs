#!/usr/bin/env node
// npm run bench:bundle [-- --out DIR] [--no-loaders] [--no-node]
// Writes the folder a lent GPU machine runs (see the device tool's README: no network there,
// the repo plus at most 64 MiB of carried files, no node_modules): gpu-run.js (bench/gpu-run.ts
// with the engine and every dependency bundled, shaders inlined), the `webgpu` package's
// linux-x64 dawn.node alone (gzipped), the Vulkan loader .debs (apt-get download, amd64) and,
// for a machine without Node, this Node binary (xz). There: `sh bench-bundle/run.sh` writes
// ${OUT:-.}/gpu-report.json. The folder (default bench-bundle/) is git-ignored.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--out');
const out = path.resolve(root, at >= 0 ? args[at + 1] : 'bench-bundle');
const LIMIT = 60 * 2 ** 20;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// 1. The benchmark with the engine and its dependencies in one file; only Dawn stays an import.
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  publicDir: false,
  build: {
    ssr: path.join(root, 'bench/gpu-run-cli.ts'),
    outDir: out,
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      external: [...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'webgpu'],
      output: { format: 'es', entryFileNames: 'gpu-run.js', codeSplitting: false },
    },
  },
  ssr: { noExternal: true },
});

// 2. Dawn: the package's entry and the linux-x64 binary only.
const dawnSource = path.join(root, 'node_modules/webgpu');
const dawn = path.join(out, 'node_modules/webgpu');
mkdirSync(path.join(dawn, 'dist/linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(path.join(dawnSource, f), path.join(dawn, f));
writeFileSync(path.join(out, 'dawn.node.gz'), gzipSync(readFileSync(path.join(dawnSource, 'dist/linux-x64/dawn.node')), { level: 6 }));

// 3. The Vulkan loader (and EGL/GL companions), as the device README lists them, for amd64.
if (!args.includes('--no-loaders')) {
  const gl = path.join(out, 'gl');
  mkdirSync(gl, { recursive: true });
  mkdirSync('/tmp/amd64/partial', { recursive: true });
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', '-oDir::State::Lists=/tmp/amd64'];
  const update = spawnSync('apt-get', [...o, 'update'], { stdio: 'pipe' });
  const download = spawnSync('apt-get', [...o, 'download', 'libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'], { cwd: gl, stdio: 'pipe' });
  if (update.status !== 0 || download.status !== 0) console.warn(`bench:bundle: could not download the Vulkan loader packages (${download.stderr}); run.sh then needs one on the machine`);
}

// 4. Node itself, for a machine without it (run.sh prefers a Node ≥ 20 on the PATH).
if (!args.includes('--no-node')) {
  execFileSync('sh', ['-c', `xz -T2 -6 -c "${process.execPath}" > "${path.join(out, 'node.xz')}"`]);
}

writeFileSync(
  path.join(out, 'run.sh'),
  `#!/bin/sh
# The GPU benchmark of this bundle (npm run bench:bundle): sh run.sh [gpu-run options]
# Writes \${OUT:-.}/gpu-report.json: adapter, R50-D8 at 800x1333 dense-masked and dynamic, per-stage
# GPU times (timestamp queries), programs per frame, first vs warm detect.
set -e
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
out=\${OUT:-$PWD}
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  for f in "$here"/gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
if [ -z "$VK_DRIVER_FILES" ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
node_bin=$(command -v node || true)
if [ -n "$node_bin" ] && [ "$("$node_bin" -p 'process.versions.node.split(".")[0] >= 20')" != true ]; then node_bin=; fi
if [ -z "$node_bin" ] && [ -e "$here/node.xz" ]; then
  xz -dc "$here/node.xz" > /tmp/dynamic-head-node && chmod +x /tmp/dynamic-head-node && node_bin=/tmp/dynamic-head-node
fi
[ -n "$node_bin" ] || { echo "run.sh: no Node >= 20 on the PATH and no node.xz in the bundle" >&2; exit 1; }
dawn="$here/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -e "$dawn" ] || gzip -dc "$here/dawn.node.gz" > "$dawn"
exec "$node_bin" "$here/gpu-run.js" --out "$out/gpu-report.json" "$@"
`,
);

let total = 0;
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : (total += statSync(path.join(d, e.name)).size);
};
walk(out);
console.log(`bench:bundle: ${path.relative(root, out) || out} is ${(total / 2 ** 20).toFixed(1)} MiB (limit ${LIMIT / 2 ** 20} MiB); on the GPU machine: carry it and run \`sh ${path.basename(out)}/run.sh\``);
if (total > LIMIT) {
  console.error('bench:bundle: the bundle is over its size limit');
  process.exit(1);
}
if (!existsSync(path.join(out, 'gpu-run.js'))) process.exit(1);
