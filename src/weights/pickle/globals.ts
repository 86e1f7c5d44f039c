/**
 * The whitelist of Python globals a checkpoint may reference, and their pure-data stand-ins.
 * Anything not listed here is refused at the GLOBAL / STACK_GLOBAL opcode itself (before any
 * REDUCE could call it), which is the whole safety argument: no name outside this table can
 * ever be reached, and the stand-ins only build descriptors of data.
 */
import { CheckpointFormatError, UnsafeCheckpointError } from '../../errors';
import { numpyElementType, TORCH_STORAGE_TYPES } from '../element-type';
import {
  NumpyArray,
  NumpyDType,
  PyDict,
  PyGlobal,
  PyList,
  PyTuple,
  TorchStorage,
  TorchTensor,
  type GlobalKind,
  type PyKey,
  type PyValue,
} from './values';

const WHITELIST = new Map<string, GlobalKind>([
  ['collections.OrderedDict', 'ordered-dict'],
  ['torch.Size', 'torch-size'],
  ['torch._utils._rebuild_tensor', 'rebuild-tensor'],
  ['torch._utils._rebuild_tensor_v2', 'rebuild-tensor-v2'],
  ['torch._utils._rebuild_parameter', 'rebuild-parameter'],
  ['torch._utils._rebuild_parameter_with_state', 'rebuild-parameter'],
  // numpy 1.x and 2.x module paths
  ['numpy.core.multiarray._reconstruct', 'np-reconstruct'],
  ['numpy._core.multiarray._reconstruct', 'np-reconstruct'],
  ['numpy.ndarray', 'np-ndarray'],
  ['numpy.dtype', 'np-dtype'],
  ['numpy.core.multiarray.scalar', 'np-scalar'],
  ['numpy._core.multiarray.scalar', 'np-scalar'],
  ['numpy.core.numeric._frombuffer', 'np-frombuffer'],
  ['numpy._core.numeric._frombuffer', 'np-frombuffer'],
  // protocol-2 pickles written by Python 3 encode `bytes` as _codecs.encode(str, 'latin1')
  ['_codecs.encode', 'codecs-encode'],
]);

/** Python 2 module names that Python 3 pickles of protocol < 3 still write (fix_imports). */
const PY2_MODULES: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  Queue: 'queue',
};

/** Resolves `module.name`, or throws `UnsafeCheckpointError` naming it. */
export function resolveGlobal(rawModule: string, name: string): PyGlobal {
  const module = Object.hasOwn(PY2_MODULES, rawModule) ? PY2_MODULES[rawModule] : rawModule;
  const qualified = `${module}.${name}`;
  if (module === 'torch' && Object.hasOwn(TORCH_STORAGE_TYPES, name)) {
    return new PyGlobal(qualified, 'storage-class', TORCH_STORAGE_TYPES[name]);
  }
  const kind = WHITELIST.get(qualified);
  if (!kind) throw new UnsafeCheckpointError(qualified);
  return new PyGlobal(qualified, kind);
}

/** Budget for bytes the stand-ins allocate (so memo re-use cannot amplify a small file). */
export interface AllocationBudget {
  charge(bytes: number): void;
}

export function isInt(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function intTuple(v: PyValue | undefined, what: string): number[] {
  const items = v instanceof PyTuple || v instanceof PyList ? v.items : undefined;
  if (!items || items.length > 32 || !items.every((x) => isInt(x) && x >= 0)) {
    throw new CheckpointFormatError(`${what} must be a short tuple of non-negative integers`);
  }
  return items as number[];
}

/** Latin-1 bytes of a string (how numpy's raw data travels in protocol-2 pickles). */
function latin1(s: string, budget: AllocationBudget): Uint8Array {
  budget.charge(s.length);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new CheckpointFormatError('_codecs.encode: character outside latin-1');
    out[i] = c;
  }
  return out;
}

function rawBytes(v: PyValue | undefined, budget: AllocationBudget): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return latin1(v, budget);
  throw new CheckpointFormatError('expected bytes for numpy array data');
}

/** REDUCE / NEWOBJ of a whitelisted global: builds its data descriptor. */
export function callGlobal(fn: PyGlobal, args: readonly PyValue[], budget: AllocationBudget): PyValue {
  switch (fn.kind) {
    case 'ordered-dict': {
      const dict = new PyDict();
      const pairs = args[0];
      if (pairs instanceof PyList || pairs instanceof PyTuple) {
        for (const pair of pairs.items) {
          const kv = pair instanceof PyList || pair instanceof PyTuple ? pair.items : undefined;
          if (!kv || kv.length !== 2) throw new CheckpointFormatError('OrderedDict item is not a pair');
          dict.map.set(hashableKey(kv[0]), kv[1]);
        }
      }
      return dict;
    }
    case 'torch-size':
      return new PyTuple(intTuple(args[0], 'torch.Size'));
    case 'rebuild-tensor':
    case 'rebuild-tensor-v2': {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof TorchStorage)) throw new CheckpointFormatError('tensor without a storage');
      if (!isInt(offset) || offset < 0) throw new CheckpointFormatError('bad tensor storage offset');
      const shape = intTuple(size, 'tensor size');
      const strides = intTuple(stride, 'tensor stride');
      if (shape.length !== strides.length) throw new CheckpointFormatError('tensor size and stride differ in rank');
      return new TorchTensor(storage, offset, shape, strides);
    }
    case 'rebuild-parameter': {
      if (!(args[0] instanceof TorchTensor)) throw new CheckpointFormatError('parameter without tensor data');
      return args[0];
    }
    case 'np-reconstruct': {
      if (!(args[0] instanceof PyGlobal) || args[0].kind !== 'np-ndarray') {
        throw new CheckpointFormatError('numpy _reconstruct of something other than ndarray');
      }
      return new NumpyArray();
    }
    case 'np-dtype': {
      if (typeof args[0] !== 'string') throw new CheckpointFormatError('numpy dtype without a descriptor');
      return new NumpyDType(args[0], numpyElementType(args[0]));
    }
    case 'np-scalar': {
      const [dtype, data] = args;
      if (!(dtype instanceof NumpyDType)) throw new CheckpointFormatError('numpy scalar without a dtype');
      const array = new NumpyArray();
      array.shape = [];
      array.dtype = dtype;
      array.data = rawBytes(data, budget);
      array.built = true;
      return array;
    }
    case 'np-frombuffer': {
      const [buffer, dtype, shape, order] = args;
      if (!(dtype instanceof NumpyDType)) throw new CheckpointFormatError('numpy _frombuffer without a dtype');
      const array = new NumpyArray();
      array.data = rawBytes(buffer, budget);
      array.dtype = dtype;
      array.shape = intTuple(shape, 'numpy shape');
      array.fortranOrder = order === 'F';
      array.built = true;
      return array;
    }
    case 'codecs-encode': {
      const [text, encoding] = args;
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1' && encoding !== 'iso-8859-1')) {
        throw new CheckpointFormatError('_codecs.encode is only accepted for latin-1 text');
      }
      return latin1(text, budget);
    }
    case 'np-ndarray':
    case 'storage-class':
      throw new CheckpointFormatError(`${fn.qualifiedName} cannot be called directly`);
  }
}

/** BUILD: sets the state of a numpy array / dtype or an OrderedDict's attributes. */
export function buildObject(target: PyValue, state: PyValue, budget: AllocationBudget): void {
  if (target instanceof NumpyArray) {
    const items = state instanceof PyTuple ? state.items : undefined;
    if (!items || (items.length !== 5 && items.length !== 4)) throw new CheckpointFormatError('bad numpy array state');
    const [shape, dtype, fortran, data] = items.length === 5 ? items.slice(1) : items;
    if (!(dtype instanceof NumpyDType)) throw new CheckpointFormatError('numpy array state without a dtype');
    target.shape = intTuple(shape, 'numpy shape');
    target.dtype = dtype;
    target.fortranOrder = fortran === true || fortran === 1;
    target.data = rawBytes(data, budget);
    target.built = true;
    return;
  }
  if (target instanceof NumpyDType) {
    const items = state instanceof PyTuple ? state.items : undefined;
    if (items && typeof items[1] === 'string') target.byteOrder = items[1];
    return;
  }
  if (target instanceof PyDict) {
    target.attributes = state;
    return;
  }
  if (target instanceof TorchTensor) return; // parameter state (hooks etc.) carries no data we need
  throw new CheckpointFormatError('BUILD on an object that has no state');
}

/** Dict keys must be scalars (tuples etc. never occur in the checkpoints we read). */
export function hashableKey(v: PyValue): PyKey {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
    return v;
  }
  throw new CheckpointFormatError('dict key of an unsupported type');
}
