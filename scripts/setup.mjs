#!/usr/bin/env node
// Installs what the project needs on a Debian machine, and nothing when it is already there:
//  - Debian's chromium (the browser for e2e tests and the source of the SwiftShader Vulkan driver)
//    and libvulkan1 (the Vulkan loader Dawn uses in Node), via apt-get as root;
//  - npm dependencies (npm ci) when node_modules is missing or older than package-lock.json.
// Uses only Node built-ins so it runs on a fresh clone.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => console.log(`[setup] ${msg}`);

function hasVulkanLoader() {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') || existsSync('/usr/lib/aarch64-linux-gnu/libvulkan.so.1');
  }
}

function run(cmd, args, env = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`[setup] "${cmd} ${args.join(' ')}" failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

const missing = [];
if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
if (process.platform === 'linux' && !hasVulkanLoader()) missing.push('libvulkan1');
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    console.error(
      `[setup] Missing Debian packages: ${missing.join(' ')}. Install them with\n` +
        `  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n` +
        '(this step needs root and apt-get; the e2e tests use /usr/bin/chromium, Node WebGPU needs libvulkan1).',
    );
    process.exit(1);
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
}

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  log('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
} else {
  log('chromium, Vulkan loader and npm dependencies are present');
}
