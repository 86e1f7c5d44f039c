import { DynamicHeadError } from '../src/errors';
import { GpuRuntime } from '../src/gpu/runtime';

// Minimal demo: acquires WebGPU and shows what the engine would run on, or a clear panel
// explaining why WebGPU is unavailable.
const status = document.getElementById('adapter-status')!;
const info = document.getElementById('adapter-info')!;

function row(term: string, value: string): void {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  info.append(dt, dd);
}

try {
  const runtime = await GpuRuntime.create({ powerPreference: 'high-performance' });
  const caps = runtime.capabilities;
  status.textContent = 'WebGPU is ready.';
  row('Adapter', [caps.adapterInfo.vendor, caps.adapterInfo.architecture, caps.adapterInfo.description].filter(Boolean).join(' · ') || 'unknown');
  row('shader-f16', caps.f16 ? 'yes' : 'no (f32 kernels)');
  row('timestamp-query', caps.timestampQuery ? 'yes' : 'no');
  row('subgroups', caps.subgroups ? 'yes' : 'no');
  row('Max storage binding', `${(caps.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`);
  info.hidden = false;
  document.body.dataset.state = 'ready';
} catch (error) {
  status.textContent = 'No WebGPU adapter.';
  const panel = document.getElementById('webgpu-error')!;
  document.getElementById('webgpu-error-message')!.textContent =
    error instanceof Error ? error.message : String(error);
  panel.hidden = false;
  document.body.dataset.state = 'error';
  document.body.dataset.errorName = error instanceof DynamicHeadError ? error.name : 'Error';
}
