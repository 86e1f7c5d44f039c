/** What the fixture app reports to Playwright as `window.fixture`. */
export interface ErrorReport {
  readonly name: string;
  readonly code: unknown;
  /** `error instanceof` the class the package exports. */
  readonly instance: boolean;
  readonly message: string;
  readonly extra?: unknown;
}

export interface FixtureReport {
  ready: boolean;
  done: boolean;
  error?: string;
  progressCalls: number;
  labels?: readonly string[];
  /** detector.model.sparseCrossover and adapter.software. */
  crossover?: { value: number; software: boolean };
  first?: { count: number; top: unknown; size: unknown; gates: number; routers: number; gateValues: number; timings: unknown };
  queued?: { counts: number[]; sameAsFirst: boolean };
  afterLoss?: { count: number; sameAsFirst: boolean; reloads: number };
  errors: Record<string, ErrorReport>;
}

/** What csp.html reports as `window.csp`. */
export interface CspReport {
  done: boolean;
  error?: string;
  /** securitypolicyviolation events on the page. */
  violations: { directive: string; blocked: string; source: string }[];
  /** The control worker: was `new Function` blocked, and which violations did it see. */
  probe?: { blocked: boolean; events: { directive: string; blocked: string }[] };
  phases?: string[];
  detections?: number;
  routers?: number;
}

declare global {
  interface Window {
    fixture: FixtureReport;
    csp: CspReport;
  }
}
