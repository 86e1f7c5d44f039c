/**
 * Runs tasks one at a time, in call order. `close()` settles everything at once: every caller
 * still waiting, queued or running, is rejected with `EngineDisposedError` right away, queued
 * tasks never start, and the returned promise resolves when the running task (whose caller has
 * already been answered) has really finished — so its resources can be freed after it, never
 * under it.
 */
import { EngineDisposedError } from '../errors';

export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly callers = new Set<(error: Error) => void>();

  get isClosed(): boolean {
    return this.closed;
  }

  /** Callers not yet answered (queued or running). */
  get pending(): number {
    return this.callers.size;
  }

  /**
   * Queues `task`. `skipped` runs instead of it when the queue was closed before its turn (to
   * release what the task would have consumed, e.g. an ImageBitmap).
   */
  run<T>(task: () => Promise<T>, skipped?: () => void): Promise<T> {
    if (this.closed) {
      skipped?.();
      return Promise.reject(new EngineDisposedError());
    }
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const answer = (settle: () => void) => {
        if (answered) return;
        answered = true;
        this.callers.delete(rejectNow);
        settle();
      };
      const rejectNow = (error: Error) => answer(() => reject(error));
      this.callers.add(rejectNow);
      const work = this.tail.then(() => {
        if (this.closed) {
          skipped?.();
          throw new EngineDisposedError();
        }
        return task();
      });
      this.tail = work.catch(() => undefined);
      work.then(
        (value) => answer(() => resolve(value)),
        (error: unknown) => answer(() => reject(error)),
      );
    });
  }

  /** Rejects every unanswered caller now; resolves once the running task (if any) has ended. */
  close(): Promise<void> {
    this.closed = true;
    for (const reject of [...this.callers]) reject(new EngineDisposedError());
    return this.tail.then(() => undefined);
  }
}
