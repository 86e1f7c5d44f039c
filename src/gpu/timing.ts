/**
 * Times compute passes. With `timestamp-query` each pass gets a begin/end timestamp on the GPU
 * and `read()` returns per-pass GPU milliseconds; without it, the whole submission is timed on
 * the wall clock (submit to `onSubmittedWorkDone`) and reported under `total`.
 */
export interface PassTimings {
  /** GPU (or wall) milliseconds per pass label; repeated labels are summed. */
  readonly passes: Record<string, number>;
  /** Sum over passes (GPU) or submit-to-done (wall). */
  readonly total: number;
  readonly source: 'timestamp-query' | 'wall-clock';
}

export class PassTimer {
  private readonly labels: string[] = [];
  private readonly querySet?: GPUQuerySet;
  private readonly resolveBuffer?: GPUBuffer;
  private readonly readBuffer?: GPUBuffer;
  private wallStart = 0;
  private wallEnd = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxPasses: number,
  ) {
    if (device.features.has('timestamp-query')) {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: maxPasses * 2 });
      this.resolveBuffer = device.createBuffer({
        size: maxPasses * 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      this.readBuffer = device.createBuffer({
        size: maxPasses * 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
  }

  get onGpu(): boolean {
    return this.querySet !== undefined;
  }

  /** `timestampWrites` for the next pass (undefined without timestamp-query). */
  passWrites(label: string): GPUComputePassTimestampWrites | undefined {
    if (!this.querySet) {
      this.labels.push(label);
      return undefined;
    }
    if (this.labels.length >= this.maxPasses) throw new Error(`PassTimer holds at most ${this.maxPasses} passes`);
    const index = this.labels.push(label) - 1;
    return { querySet: this.querySet, beginningOfPassWriteIndex: index * 2, endOfPassWriteIndex: index * 2 + 1 };
  }

  /** Call after the last pass, before `finish()`. */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.querySet || !this.resolveBuffer || !this.readBuffer) return;
    const count = this.labels.length * 2;
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, this.readBuffer, 0, count * 8);
  }

  /** Submits through the timer so the wall-clock fallback brackets the GPU work. */
  submit(commands: GPUCommandBuffer[]): void {
    this.wallStart = performance.now();
    this.device.queue.submit(commands);
  }

  async read(): Promise<PassTimings> {
    await this.device.queue.onSubmittedWorkDone();
    this.wallEnd = performance.now();
    if (!this.readBuffer) {
      const total = this.wallEnd - this.wallStart;
      return { passes: { total }, total, source: 'wall-clock' };
    }
    await this.readBuffer.mapAsync(GPUMapMode.READ);
    const stamps = new BigUint64Array(this.readBuffer.getMappedRange().slice(0));
    this.readBuffer.unmap();
    const passes: Record<string, number> = {};
    let total = 0;
    this.labels.forEach((label, i) => {
      const begin = stamps[i * 2]!;
      const end = stamps[i * 2 + 1]!;
      const ms = end > begin ? Number(end - begin) / 1e6 : 0;
      passes[label] = (passes[label] ?? 0) + ms;
      total += ms;
    });
    return { passes, total, source: 'timestamp-query' };
  }

  /** Makes the timer reusable for another submission. */
  reset(): void {
    this.labels.length = 0;
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.readBuffer?.destroy();
  }
}
