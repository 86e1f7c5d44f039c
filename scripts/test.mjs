#!/usr/bin/env node
// The whole test suite, as README.md's test command runs it:
//   1. the strict type check (tsc --noEmit),
//   2. unit and kernel tests in Node on Dawn (Vitest),
//   3. end-to-end tests in Debian Chromium (Playwright), including the kernel suites in a Worker.
// Every stage runs even if an earlier one failed; the last line sums all runners up as
// "N passed, N failed" and the exit code is non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'test-results');
mkdirSync(results, { recursive: true });
const started = Date.now();

function stage(title, cmd, args) {
  console.log(`\n=== ${title} ===`);
  const t0 = Date.now();
  const { status } = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  console.log(`=== ${title}: ${status === 0 ? 'ok' : `exit ${status}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s ===`);
  return status === 0;
}

const tally = { passed: 0, failed: 0, skipped: 0, flaky: 0 };
const failures = [];

const typecheckOk = stage('type check (tsc --noEmit, strict)', 'npx', ['tsc', '--noEmit']);
tally[typecheckOk ? 'passed' : 'failed']++;
if (!typecheckOk) failures.push('type check');

const unitJson = path.join(results, 'unit-results.json');
rmSync(unitJson, { force: true });
const unitOk = stage('unit + kernel tests in Node on Dawn (vitest)', 'npx', [
  'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`,
]);
if (existsSync(unitJson)) {
  const report = JSON.parse(readFileSync(unitJson, 'utf8'));
  tally.passed += report.numPassedTests;
  tally.failed += report.numFailedTests;
  tally.skipped += report.numPendingTests + report.numTodoTests;
} else failures.push('vitest wrote no report');
if (!unitOk) failures.push('vitest');

const e2eJson = path.join(results, 'e2e-results.json');
rmSync(e2eJson, { force: true });
const e2eOk = stage('end-to-end tests in Chromium (playwright)', 'npx', ['playwright', 'test']);
if (existsSync(e2eJson)) {
  const { stats } = JSON.parse(readFileSync(e2eJson, 'utf8'));
  tally.passed += stats.expected + stats.flaky;
  tally.failed += stats.unexpected;
  tally.skipped += stats.skipped;
  tally.flaky += stats.flaky;
} else failures.push('playwright wrote no report');
if (!e2eOk) failures.push('playwright');

const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\nAll stages finished in ${seconds} s${failures.length ? `; failed: ${failures.join(', ')}` : ''}.`);
if (tally.flaky > 0) console.log(`(${tally.flaky} e2e test(s) passed only on their retry: see the log above)`);
console.log(`${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
process.exit(failures.length === 0 && tally.failed === 0 && tally.passed > 0 ? 0 : 1);
