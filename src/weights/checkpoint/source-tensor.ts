/**
 * A tensor as a checkpoint stores it: element type, shape, and a strided view of raw bytes that
 * are fetched only when the converter asks for the values (zip storages are inflated lazily).
 */
import { CheckpointFormatError } from '../../errors';
import { ELEMENT_BYTES, type ElementType } from '../element-type';
import { f16ArrayToF32 } from '../f16';

/** Largest single tensor the reader materialises (elements); a ResNet/head tensor is < 2^24. */
export const MAX_TENSOR_ELEMENTS = 1 << 28;

export interface SourceTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly elementType: ElementType;
  readonly numel: number;
  /** The values as f32 (f64 sources are rounded once, to nearest), into `target` if given. */
  toFloat32(target?: Float32Array): Float32Array;
  /** The values as f64 (exact for every float source). */
  toFloat64(): Float64Array;
}

export interface StridedSource {
  /** The storage's bytes (may be inflated on demand). */
  bytes(): Uint8Array;
  /** Elements the storage holds, if known without fetching it. */
  readonly elements: number;
  readonly elementType: ElementType;
  readonly littleEndian: boolean;
  /** Element offset of the view into the storage. */
  readonly offset: number;
  readonly shape: readonly number[];
  /** Element strides of the view. */
  readonly strides: readonly number[];
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Validates a view against its storage (every addressed element must exist, and a view may not
 * address more elements than the storage has: that rules out stride-0 blow-ups) and returns it
 * as a lazily materialised `SourceTensor`.
 */
export function stridedTensor(name: string, src: StridedSource): SourceTensor {
  const numel = product(src.shape);
  if (!Number.isSafeInteger(numel) || numel > MAX_TENSOR_ELEMENTS) {
    throw new CheckpointFormatError(`tensor ${name} declares ${numel} elements, more than supported`);
  }
  if (numel > 0) {
    let last = src.offset;
    for (let i = 0; i < src.shape.length; i++) last += (src.shape[i] - 1) * src.strides[i];
    if (!(last < src.elements) || numel > src.elements) {
      throw new CheckpointFormatError(`tensor ${name} addresses elements beyond its storage (${src.elements} elements)`);
    }
  }
  const gather = <T extends Float32Array | Float64Array>(out: T): T => {
    if (numel === 0) return out;
    const bytes = src.bytes();
    const size = ELEMENT_BYTES[src.elementType];
    if (bytes.length < src.elements * size) {
      throw new CheckpointFormatError(`storage of ${name} is truncated (${bytes.length} bytes)`);
    }
    const dense = contiguousStrides(src.shape);
    const contiguous = src.shape.every((d, i) => d === 1 || src.strides[i] === dense[i]);
    if (contiguous && src.littleEndian && fastCopy(bytes.subarray(src.offset * size, (src.offset + numel) * size), src.elementType, out)) {
      return out;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const index = new Array<number>(src.shape.length).fill(0);
    let at = src.offset;
    for (let k = 0; k < numel; k++) {
      out[k] = readElement(view, at * size, src.elementType, src.littleEndian);
      // odometer over the shape, last dimension fastest
      for (let d = src.shape.length - 1; d >= 0; d--) {
        index[d]++;
        at += src.strides[d];
        if (index[d] < src.shape[d]) break;
        at -= src.strides[d] * src.shape[d];
        index[d] = 0;
      }
    }
    return out;
  };
  return {
    name,
    shape: src.shape,
    elementType: src.elementType,
    numel,
    toFloat32: (target) => {
      if (target && target.length !== numel) throw new RangeError(`target for ${name} has the wrong length`);
      return gather(target ?? new Float32Array(numel));
    },
    toFloat64: () => gather(new Float64Array(numel)),
  };
}

/** Contiguous little-endian float data: typed-array conversion instead of per-element reads. */
function fastCopy(raw: Uint8Array, type: ElementType, out: Float32Array | Float64Array): boolean {
  const aligned = (n: number) => (raw.byteOffset % n === 0 ? raw : raw.slice());
  switch (type) {
    case 'f32': {
      const a = aligned(4);
      out.set(new Float32Array(a.buffer, a.byteOffset, out.length));
      return true;
    }
    case 'f64': {
      const a = aligned(8);
      out.set(new Float64Array(a.buffer, a.byteOffset, out.length));
      return true;
    }
    case 'f16': {
      const a = aligned(2);
      out.set(f16ArrayToF32(new Uint16Array(a.buffer, a.byteOffset, out.length)));
      return true;
    }
    default:
      return false;
  }
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

function readElement(view: DataView, at: number, type: ElementType, le: boolean): number {
  switch (type) {
    case 'f32':
      return view.getFloat32(at, le);
    case 'f64':
      return view.getFloat64(at, le);
    case 'f16': {
      const h = view.getUint16(at, le);
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >>> 10) & 0x1f;
      const m = h & 0x3ff;
      if (e === 0) return sign * m * 2 ** -24;
      if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
      return sign * (1 + m / 1024) * 2 ** (e - 15);
    }
    case 'bf16':
      bf16Scratch.setUint32(0, view.getUint16(at, le) << 16);
      return bf16Scratch.getFloat32(0);
    case 'i8':
      return view.getInt8(at);
    case 'u8':
    case 'bool':
      return view.getUint8(at);
    case 'i16':
      return view.getInt16(at, le);
    case 'u16':
      return view.getUint16(at, le);
    case 'i32':
      return view.getInt32(at, le);
    case 'u32':
      return view.getUint32(at, le);
    case 'i64':
      return Number(view.getBigInt64(at, le));
    case 'u64':
      return Number(view.getBigUint64(at, le));
  }
}
