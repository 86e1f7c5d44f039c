/**
 * Paces dawn.node's event loop while it waits on the GPU.
 *
 * dawn.node resolves `mapAsync` / `onSubmittedWorkDone` promises by ticking the device from a
 * native callback that re-queues itself with `setImmediate` until nothing is pending: a busy loop
 * that holds one CPU core for as long as the GPU works. With a software adapter (SwiftShader,
 * llvmpipe) the "GPU" is the CPU's other cores, so on a small machine that loop takes a core from
 * the shader threads: on the 2-core developer box a 64×64×256 depthwise conv took 67–104 ms
 * (bimodal) with the spin and a steady 47–49 ms without it.
 *
 * The pacing re-routes only native, anonymous callbacks (dawn's tick; JavaScript callers pass
 * their own functions and keep `setImmediate` as it was) through a timer of `intervalMs`, which
 * adds at most that much latency to each wait. Installed once per process; `undo` restores it.
 */
export interface DawnEventPacing {
  readonly intervalMs: number;
  /** Native callbacks re-routed through the timer so far (for tests and diagnostics). */
  readonly pacedCallbacks: number;
  undo(): void;
}

let installed: (DawnEventPacing & { pacedCallbacks: number }) | undefined;

function isNativeTick(callback: unknown): boolean {
  return typeof callback === 'function' && callback.name === '' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(callback));
}

export function paceDawnEvents(intervalMs = 1): DawnEventPacing {
  if (installed) return installed;
  const original = globalThis.setImmediate;
  const paced = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!isNativeTick(callback)) return original(callback, ...args);
    state.pacedCallbacks++;
    // A Timeout, not an Immediate: dawn.node ignores the handle, JavaScript callers never see it.
    return setTimeout(callback, intervalMs, ...args) as unknown as NodeJS.Immediate;
  }) as typeof setImmediate;
  const state = {
    intervalMs,
    pacedCallbacks: 0,
    undo(): void {
      if (globalThis.setImmediate === paced) globalThis.setImmediate = original;
      installed = undefined;
    },
  };
  globalThis.setImmediate = Object.assign(paced, { __promisify__: original.__promisify__ });
  installed = state;
  return state;
}
