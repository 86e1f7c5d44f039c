/**
 * The engine's dedicated module worker: an `EngineHost` (the engine, its call queue, device-loss
 * recovery, safe disposal) exposed with comlink. Images arrive as transferred ImageBitmaps and are
 * read only when their call runs.
 */
import { expose, transfer } from 'comlink';
import type { DetectResult, ModelInfo, WarmupResult } from '../api/types';
import { GpuRuntime } from '../gpu/runtime';
import { EngineHost } from './engine-host';
import { registerErrorTransfer } from '../api/error-transfer';
import { bitmapImage } from './image-pixels';
import type { DisposeReport, EngineWorkerApi, LoadRequest, ProgressCallback, WorkerDetectOptions, WorkerStats } from '../api/worker-protocol';

class EngineWorker implements EngineWorkerApi {
  private readonly host = new EngineHost((options) => GpuRuntime.create(options));

  load(request: LoadRequest, onProgress?: ProgressCallback): Promise<ModelInfo> {
    return this.host.load(request, onProgress);
  }

  async detect(bitmap: ImageBitmap, options: WorkerDetectOptions): Promise<DetectResult> {
    const output = await this.host.detect({ read: () => bitmapImage(bitmap), discard: () => bitmap.close() }, options);
    const buffers = new Set<ArrayBuffer>();
    for (const g of output.gates ?? []) if (g.values?.buffer instanceof ArrayBuffer) buffers.add(g.values.buffer);
    return transfer(output, [...buffers]);
  }

  warmup(height: number | undefined, width: number | undefined, gates: boolean): Promise<WarmupResult> {
    return this.host.warmup(height, width, gates);
  }

  debugLoseDevice(): Promise<void> {
    return this.host.debugLoseDevice();
  }

  reloads(): number {
    return this.host.reloads();
  }

  stats(): WorkerStats {
    return this.host.stats();
  }

  cancel(callId: number): void {
    this.host.cancel(callId);
  }

  dispose(): Promise<DisposeReport> {
    return this.host.dispose();
  }
}

registerErrorTransfer();
expose(new EngineWorker());
