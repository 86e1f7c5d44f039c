/**
 * Reads any supported checkpoint container into a state dict of lazily materialised tensors:
 * PyTorch zip (torch.save ≥ 1.6), PyTorch legacy stream, and plain pickles of numpy arrays
 * (Detectron2 `.pkl`). The state dict is the top-level `model` (or `state_dict`) entry, or the
 * top-level dict itself; other top-level keys (optimizer, iteration, ...) are ignored.
 */
import { CheckpointFormatError, DynamicHeadError } from '../../errors';
import { createBudget, unpickle } from '../pickle/unpickler';
import { NumpyArray, PyDict, TorchTensor, type PyValue } from '../pickle/values';
import { numpyTensor } from './numpy-array';
import type { SourceTensor } from './source-tensor';
import { LEGACY_MAGIC, openTorchLegacy } from './torch-legacy';
import { openTorchZip, type OpenedPickle } from './torch-zip';

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'pickle';

export interface Checkpoint {
  readonly format: CheckpointFormat;
  /** State dict entries that are tensors, in file order. */
  readonly tensors: ReadonlyMap<string, SourceTensor>;
  /** State dict entries that are not tensors (ignored). */
  readonly nonTensorEntries: readonly string[];
  /** Top-level keys other than the state dict's (optimizer, iteration, ...), ignored. */
  readonly ignoredKeys: readonly string[];
  /** Where the state dict was found: 'model', 'state_dict' or '' (the top level). */
  readonly stateDictKey: string;
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  try {
    return read(bytes);
  } catch (e) {
    if (e instanceof DynamicHeadError) throw e;
    // Anything else (a RangeError from a typed array, a fflate error) is still a malformed file.
    throw new CheckpointFormatError(`malformed checkpoint (${e instanceof Error ? e.message : String(e)})`);
  }
}

function read(bytes: Uint8Array): Checkpoint {
  if (bytes.length === 0) throw new CheckpointFormatError('the file is empty');
  let format: CheckpointFormat;
  let opened: OpenedPickle;
  if (isZip(bytes)) {
    format = 'torch-zip';
    opened = openTorchZip(bytes);
  } else {
    if (bytes[0] !== 0x80 && bytes[0] !== 0x28 && bytes[0] !== 0x7d && bytes[0] !== 0x63) {
      throw new CheckpointFormatError('not a PyTorch checkpoint or pickle (unrecognised first bytes)');
    }
    const first = unpickle(bytes, 0, { budget: createBudget(4 * bytes.length + (1 << 20)) });
    if (first.value === LEGACY_MAGIC) {
      format = 'torch-legacy';
      opened = openTorchLegacy(bytes, first.end);
    } else {
      format = 'pickle';
      opened = {
        root: first.value,
        tensor: () => {
          throw new CheckpointFormatError('torch tensor in a plain pickle');
        },
      };
    }
  }
  return collect(format, opened);
}

function collect(format: CheckpointFormat, opened: OpenedPickle): Checkpoint {
  const root = opened.root;
  if (!(root instanceof PyDict)) throw new CheckpointFormatError('the checkpoint does not hold a dict');
  let stateDict: PyDict = root;
  let stateDictKey = '';
  for (const key of ['model', 'state_dict']) {
    const v = root.get(key);
    if (v instanceof PyDict) {
      stateDict = v;
      stateDictKey = key;
      break;
    }
  }
  const ignoredKeys = stateDictKey ? [...root.map.keys()].filter((k) => k !== stateDictKey).map(String) : [];
  const tensors = new Map<string, SourceTensor>();
  const nonTensorEntries: string[] = [];
  const names = [...stateDict.map.keys()];
  // Checkpoints saved from DistributedDataParallel prefix every name with "module.".
  const strip = names.length > 0 && names.every((n) => typeof n === 'string' && n.startsWith('module.'));
  for (const [key, value] of stateDict.map) {
    const name = strip ? String(key).slice('module.'.length) : String(key);
    const tensor = toSource(name, value, opened);
    if (tensor) tensors.set(name, tensor);
    else nonTensorEntries.push(name);
  }
  return { format, tensors, nonTensorEntries, ignoredKeys, stateDictKey };
}

function toSource(name: string, value: PyValue, opened: OpenedPickle): SourceTensor | undefined {
  if (value instanceof TorchTensor) return opened.tensor(name, value);
  if (value instanceof NumpyArray) return numpyTensor(name, value);
  return undefined;
}
