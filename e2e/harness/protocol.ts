/** Messages from the kernel-harness worker to its page. */
export type HarnessMessage =
  | { type: 'adapter'; description: string; features: string[] }
  | { type: 'case'; suite: string; name: string; ok: boolean; error?: string; ms: number }
  | { type: 'done'; passed: number; failed: number }
  | { type: 'fatal'; errorName: string; message: string };

export interface HarnessRequest {
  suite: string | null;
  /** Hide `navigator.gpu` in the worker first, as in a browser without WebGPU. */
  hideGpu: boolean;
}
