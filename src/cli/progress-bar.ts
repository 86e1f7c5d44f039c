/** A one-line progress bar for a terminal's stderr, redrawn at most ten times a second. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: { write(s: string): unknown; columns?: number },
    private readonly enabled: boolean,
  ) {}

  update(done: number, total: number, label = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${label}`;
    const max = (this.stream.columns ?? 100) - 1;
    this.stream.write(`\r${text.slice(0, max).padEnd(Math.min(max, 80))}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
