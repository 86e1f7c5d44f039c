/**
 * Every failure the engine reports is one of these classes. Each carries a stable `code` so that a
 * caller (or the worker boundary, which cannot preserve prototypes) can tell them apart, and a
 * message that says what to do about it.
 */
export type ErrorCode =
  | 'WEBGPU_UNAVAILABLE'
  | 'ADAPTER_UNAVAILABLE'
  | 'DEVICE_REQUIREMENTS'
  | 'DEVICE_LOST'
  | 'INVALID_ARGUMENT'
  | 'SHADER_NOT_FOUND'
  | 'WEIGHTS_FORMAT'
  | 'UNSAFE_CHECKPOINT'
  | 'CHECKPOINT_FORMAT'
  | 'CHECKPOINT_MISMATCH'
  | 'WEIGHTS_FETCH'
  | 'UNSUPPORTED_IMAGE'
  | 'ENGINE_DISPOSED'
  | 'ABORTED';

export class DynamicHeadError extends Error {
  // Names are spelled out, never taken from `new.target.name`: a minifier renames classes.
  override name = 'DynamicHeadError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** `navigator.gpu` does not exist: the browser or context has no WebGPU at all. */
export class WebGPUUnavailableError extends DynamicHeadError {
  override name = 'WebGPUUnavailableError';
  constructor(detail = 'navigator.gpu is undefined in this context') {
    super(
      'WEBGPU_UNAVAILABLE',
      `WebGPU is not available (${detail}). Use a browser with WebGPU enabled (Chrome/Edge 113+, ` +
        'Safari 26+, Firefox 141+), serve the page over https or from localhost, and check that ' +
        'WebGPU has not been disabled by policy or a browser flag.',
    );
  }
}

/** `requestAdapter()` returned null: WebGPU exists but no GPU (or software fallback) is usable. */
export class AdapterUnavailableError extends DynamicHeadError {
  override name = 'AdapterUnavailableError';
  constructor(detail = 'requestAdapter() returned null') {
    super(
      'ADAPTER_UNAVAILABLE',
      `No WebGPU adapter could be obtained (${detail}). The GPU may be blocklisted or its driver ` +
        'unsupported: update the graphics driver, enable hardware acceleration in the browser ' +
        'settings, or check chrome://gpu (about:support in Firefox) for the reason.',
    );
  }
}

/** The adapter cannot provide a feature or limit the engine needs. */
export class DeviceRequirementsError extends DynamicHeadError {
  override name = 'DeviceRequirementsError';
  constructor(detail: string) {
    super(
      'DEVICE_REQUIREMENTS',
      `This GPU adapter does not meet the engine's requirements: ${detail}. ` +
        'Try a smaller input size or another adapter (e.g. powerPreference "high-performance").',
    );
  }
}

/** The device was lost (driver reset, `device.destroy()`, tab backgrounded too long, ...). */
export class DeviceLostError extends DynamicHeadError {
  override name = 'DeviceLostError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(
      'DEVICE_LOST',
      `The WebGPU device was lost (${reason}${message ? `: ${message}` : ''}). ` +
        'The engine re-creates the device on the next call; retry the operation.',
    );
    this.reason = reason;
  }
}

/** A caller passed a bad value; `parameter` names which one. Raised before any GPU work. */
export class InvalidArgumentError extends DynamicHeadError {
  override name = 'InvalidArgumentError';
  readonly parameter: string;
  constructor(parameter: string, problem: string) {
    super('INVALID_ARGUMENT', `Invalid ${parameter}: ${problem}`);
    this.parameter = parameter;
  }
}

/** A kernel asked for a WGSL file that is not in `shaders/`. */
export class ShaderNotFoundError extends DynamicHeadError {
  override name = 'ShaderNotFoundError';
  constructor(name: string, known: readonly string[]) {
    super('SHADER_NOT_FOUND', `No shader named "${name}" in shaders/ (known: ${known.join(', ')})`);
  }
}

/** A weights file is truncated, corrupt, of an unknown version or does not fit the model. */
export class WeightsFormatError extends DynamicHeadError {
  override name = 'WeightsFormatError';
  constructor(message: string) {
    super('WEIGHTS_FORMAT', `Bad weights file: ${message}`);
  }
}

/** A checkpoint tried to use a Python global outside the whitelist (it could execute code). */
export class UnsafeCheckpointError extends DynamicHeadError {
  override name = 'UnsafeCheckpointError';
  readonly global: string;
  constructor(global: string) {
    super(
      'UNSAFE_CHECKPOINT',
      `Refusing to load checkpoint: it references the Python global "${global}", which is not ` +
        'a tensor, storage or container type. Loading it could execute code; nothing was run.',
    );
    this.global = global;
  }
}

/** A weights file could not be fetched (HTTP error, network failure, aborted). */
export class WeightsFetchError extends DynamicHeadError {
  override name = 'WeightsFetchError';
  readonly status: number | undefined;
  constructor(url: string, detail: string, status?: number) {
    super(
      'WEIGHTS_FETCH',
      `Could not fetch weights from ${url}: ${detail}. Check the URL, the network and the server's CORS headers.`,
    );
    this.status = status;
  }
}

/** A checkpoint (.pth / .pkl) is truncated, corrupt, or uses a construct the reader does not accept. */
export class CheckpointFormatError extends DynamicHeadError {
  override name = 'CheckpointFormatError';
  constructor(message: string) {
    super('CHECKPOINT_FORMAT', `Cannot read checkpoint: ${message}`);
  }
}

/** A checkpoint lacks tensors the model needs, or has them with the wrong shapes. */
export class CheckpointMismatchError extends DynamicHeadError {
  override name = 'CheckpointMismatchError';
  readonly missing: readonly string[];
  readonly misshaped: readonly { name: string; expected: readonly number[]; actual: readonly number[] }[];
  constructor(
    missing: readonly string[],
    misshaped: readonly { name: string; expected: readonly number[]; actual: readonly number[] }[],
    context = '',
  ) {
    const parts: string[] = [];
    const show = (names: readonly string[]) =>
      names.slice(0, 20).join(', ') + (names.length > 20 ? `, ... (${names.length} in all)` : '');
    if (missing.length > 0) parts.push(`missing ${missing.length} tensor(s): ${show(missing)}`);
    if (misshaped.length > 0) {
      parts.push(
        `${misshaped.length} tensor(s) with the wrong shape: ` +
          show(misshaped.map((m) => `${m.name} [${m.actual.join(',')}] (expected [${m.expected.join(',')}])`)),
      );
    }
    super(
      'CHECKPOINT_MISMATCH',
      `The checkpoint does not fit the FCOS + dynamic head model${context ? ` (${context})` : ''}: ` +
        `${parts.join('; ')}. Is it a cvpods/Detectron2 checkpoint of this architecture?`,
    );
    this.missing = missing;
    this.misshaped = misshaped;
  }
}

/** An image could not be decoded or has an unsupported size or format. */
export class UnsupportedImageError extends DynamicHeadError {
  override name = 'UnsupportedImageError';
  constructor(message: string) {
    super('UNSUPPORTED_IMAGE', `Unsupported image: ${message}`);
  }
}

/** A call arrived after `dispose()`. */
export class EngineDisposedError extends DynamicHeadError {
  override name = 'EngineDisposedError';
  constructor() {
    super('ENGINE_DISPOSED', 'The detector has been disposed; create a new one.');
  }
}

/** The caller's `AbortSignal` fired: the call (or the load) was given up; the detector stays usable after an aborted `detect`. */
export class AbortError extends DynamicHeadError {
  override name = 'AbortError';
  constructor(what: string, reason?: unknown) {
    // The default reason (a DOMException named AbortError) says nothing more than this message.
    const said = reason instanceof Error && reason.name !== 'AbortError' ? reason.message : typeof reason === 'string' ? reason : '';
    super('ABORTED', `${what} was aborted${said ? ` (${said})` : ''}.`);
  }
}

/** Every error class by its code: what a serialised error is rebuilt as. */
const ERROR_CLASSES: { readonly [C in ErrorCode]: abstract new (...args: never[]) => DynamicHeadError } = {
  WEBGPU_UNAVAILABLE: WebGPUUnavailableError,
  ADAPTER_UNAVAILABLE: AdapterUnavailableError,
  DEVICE_REQUIREMENTS: DeviceRequirementsError,
  DEVICE_LOST: DeviceLostError,
  INVALID_ARGUMENT: InvalidArgumentError,
  SHADER_NOT_FOUND: ShaderNotFoundError,
  WEIGHTS_FORMAT: WeightsFormatError,
  UNSAFE_CHECKPOINT: UnsafeCheckpointError,
  CHECKPOINT_FORMAT: CheckpointFormatError,
  CHECKPOINT_MISMATCH: CheckpointMismatchError,
  WEIGHTS_FETCH: WeightsFetchError,
  UNSUPPORTED_IMAGE: UnsupportedImageError,
  ENGINE_DISPOSED: EngineDisposedError,
  ABORTED: AbortError,
};

/**
 * An error as plain, structured-cloneable data (what crosses a worker boundary): its code (when
 * it is one of ours), name, message, stack, and the extra fields a class carries
 * (`parameter`, `reason`, `status`, `global`, `missing`, `misshaped`).
 */
export interface SerializedError {
  readonly code?: ErrorCode;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

const STANDARD_KEYS = new Set(['name', 'message', 'stack', 'code', 'cause']);

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (!STANDARD_KEYS.has(key)) fields[key] = value;
  }
  const code = error instanceof DynamicHeadError ? error.code : undefined;
  return { code, name: error.name, message: error.message, stack: error.stack, fields };
}

/**
 * Rebuilds a serialised error as an instance of the class its code names, with the original
 * message, name, stack and fields (the constructor is not re-run: it would rewrite the message).
 * Errors that are not ours come back as plain `Error`s with their name and message.
 */
export function deserializeError(data: SerializedError): Error {
  const cls = data.code !== undefined ? ERROR_CLASSES[data.code] : undefined;
  const error: Error = cls ? Reflect.construct(Error, [data.message], cls) : new Error(data.message);
  Object.defineProperty(error, 'name', { value: data.name, writable: true, configurable: true, enumerable: true });
  if (cls) Object.defineProperty(error, 'code', { value: data.code, writable: false, configurable: true, enumerable: true });
  if (data.stack !== undefined) Object.defineProperty(error, 'stack', { value: data.stack, writable: true, configurable: true });
  for (const [key, value] of Object.entries(data.fields ?? {})) {
    Object.defineProperty(error, key, { value, writable: false, configurable: true, enumerable: true });
  }
  return error;
}
