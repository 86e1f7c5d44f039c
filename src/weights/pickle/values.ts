/**
 * The values the whitelisting unpickler produces. Only plain data: Python containers map to small
 * wrapper classes, and the few whitelisted globals produce descriptors (a storage reference, a
 * tensor view, a numpy array) rather than anything callable.
 */
import type { ElementType } from '../element-type';

export type PyKey = string | number | bigint | boolean | null;

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyList
  | PyDict
  | PySet
  | PyGlobal
  | TorchStorage
  | TorchTensor
  | NumpyDType
  | NumpyArray;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyList {
  readonly items: PyValue[] = [];
}

export class PySet {
  readonly items: PyValue[] = [];
}

/** A dict or OrderedDict; keys must be hashable scalars (all checkpoint dicts satisfy that). */
export class PyDict {
  readonly map = new Map<PyKey, PyValue>();
  /** The state an OrderedDict was BUILT with (a state dict's `_metadata`); unused. */
  attributes: PyValue = null;
  get(key: string): PyValue | undefined {
    return this.map.get(key);
  }
}

/** A whitelisted global; `kind` selects its pure-data implementation in `globals.ts`. */
export class PyGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly kind: GlobalKind,
    /** For storage classes: the element type they hold. */
    readonly elementType?: ElementType,
  ) {}
}

export type GlobalKind =
  | 'ordered-dict'
  | 'torch-size'
  | 'rebuild-tensor'
  | 'rebuild-tensor-v2'
  | 'rebuild-parameter'
  | 'storage-class'
  | 'np-reconstruct'
  | 'np-ndarray'
  | 'np-dtype'
  | 'np-scalar'
  | 'np-frombuffer'
  | 'codecs-encode';

/** A reference to serialized storage bytes, resolved by the container reader (zip entry or record). */
export class TorchStorage {
  constructor(
    readonly elementType: ElementType,
    readonly key: string,
    /** Number of elements as declared by the pickle; checked against the real byte length. */
    readonly numel: number,
    /** A legacy view into a root storage: element offset into it. */
    readonly viewOffset = 0,
  ) {}
}

/** A strided view of a storage (what `torch._utils._rebuild_tensor_v2` describes). */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export class NumpyDType {
  /** '<' little, '>' big, '|' not applicable, '=' native; set by BUILD. */
  byteOrder = '=';
  constructor(
    readonly descr: string,
    readonly elementType: ElementType | undefined,
  ) {}
}

/** A numpy array; `data` is filled by BUILD (after `_reconstruct`) or given by `_frombuffer`. */
export class NumpyArray {
  shape: readonly number[] = [0];
  dtype: NumpyDType | undefined;
  fortranOrder = false;
  data: Uint8Array = new Uint8Array(0);
  built = false;
}
