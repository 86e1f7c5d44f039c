/**
 * torch.save's legacy (pre-1.6, `_use_new_zipfile_serialization=False`) stream: five pickles back
 * to back — magic number, protocol version, sys_info, the object graph (storages as persistent
 * ids), the sorted list of storage keys — then each storage as an int64 element count followed by
 * its raw little-endian elements. Storage data is viewed in place, never copied.
 */
import { CheckpointFormatError } from '../../errors';
import { ELEMENT_BYTES, type ElementType } from '../element-type';
import { createBudget, unpickle } from '../pickle/unpickler';
import { PyDict, PyGlobal, PyList, PyTuple, TorchStorage, type PyValue } from '../pickle/values';
import { stridedTensor } from './source-tensor';
import type { OpenedPickle } from './torch-zip';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

export function openTorchLegacy(bytes: Uint8Array, afterMagic: number): OpenedPickle {
  const budget = createBudget(4 * bytes.length + (1 << 20));
  const next = (at: number, persistentLoad?: (pid: PyValue) => PyValue) =>
    unpickle(bytes, at, { budget, persistentLoad });
  const version = next(afterMagic);
  if (version.value !== LEGACY_PROTOCOL) throw new CheckpointFormatError(`unknown legacy torch protocol ${String(version.value)}`);
  const sysInfo = next(version.end);
  if (!(sysInfo.value instanceof PyDict) || sysInfo.value.get('little_endian') !== true) {
    throw new CheckpointFormatError('legacy checkpoint is not little-endian (or has no sys_info)');
  }
  const roots = new Map<string, { elementType: ElementType; numel: number }>();
  const main = next(sysInfo.end, (pid) => {
    const items = pid instanceof PyTuple ? pid.items : [];
    const [tag, cls, key, , numel, view] = items;
    if (tag !== 'storage' || !(cls instanceof PyGlobal) || !cls.elementType || typeof key !== 'string') {
      throw new CheckpointFormatError('unrecognised persistent id in legacy checkpoint');
    }
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0 || numel > bytes.length) {
      throw new CheckpointFormatError(`storage ${key} has a bad element count`);
    }
    const known = roots.get(key);
    if (known && known.elementType !== cls.elementType) throw new CheckpointFormatError(`storage ${key} used with two types`);
    if (!known || known.numel < numel) roots.set(key, { elementType: cls.elementType, numel });
    if (view instanceof PyTuple) {
      // (view key, element offset, view size) into the root storage `key`
      const [, offset, size] = view.items;
      if (typeof offset !== 'number' || typeof size !== 'number' || !(offset >= 0 && size >= 0 && offset + size <= numel)) {
        throw new CheckpointFormatError(`bad storage view of ${key}`);
      }
      return new TorchStorage(cls.elementType, key, size, offset);
    }
    return new TorchStorage(cls.elementType, key, numel);
  });
  const keys = next(main.end);
  if (!(keys.value instanceof PyList) || !keys.value.items.every((k) => typeof k === 'string')) {
    throw new CheckpointFormatError('legacy checkpoint lacks its storage key list');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Uint8Array>();
  let pos = keys.end;
  for (const key of keys.value.items as string[]) {
    const root = roots.get(key);
    if (!root) throw new CheckpointFormatError(`storage ${key} is listed but never referenced`);
    if (pos + 8 > bytes.length) throw new CheckpointFormatError(`legacy checkpoint truncated before storage ${key}`);
    const count = view.getBigInt64(pos, true);
    const size = ELEMENT_BYTES[root.elementType];
    if (count < BigInt(root.numel) || count * BigInt(size) > BigInt(bytes.length - pos - 8)) {
      throw new CheckpointFormatError(`storage ${key} is truncated or has a bad element count`);
    }
    const n = Number(count) * size;
    data.set(key, bytes.subarray(pos + 8, pos + 8 + n));
    pos += 8 + n;
  }
  return {
    root: main.value,
    tensor(name, t) {
      const bytesOf = data.get(t.storage.key);
      if (!bytesOf) throw new CheckpointFormatError(`storage ${t.storage.key} of ${name} is missing`);
      return stridedTensor(name, {
        bytes: () => bytesOf,
        elements: t.storage.viewOffset + t.storage.numel,
        elementType: t.storage.elementType,
        littleEndian: true,
        offset: t.storage.viewOffset + t.offset,
        shape: t.shape,
        strides: t.stride,
      });
    },
  };
}
