/**
 * PyTorch's zip checkpoint (torch.save since 1.6): `<archive>/data.pkl` holds the object graph,
 * whose persistent ids name storages stored as `<archive>/data/<key>` entries. Entries are read
 * with fflate, one at a time when a tensor needs them, after their declared sizes are checked
 * against the file so that no declared size can force a large allocation.
 */
import { unzipSync } from 'fflate';
import { CheckpointFormatError } from '../../errors';
import { ELEMENT_BYTES } from '../element-type';
import { createBudget, unpickle } from '../pickle/unpickler';
import { PyGlobal, PyTuple, TorchStorage, TorchTensor, type PyValue } from '../pickle/values';
import { stridedTensor, type SourceTensor } from './source-tensor';

interface ZipEntry {
  name: string;
  size: number;
  originalSize: number;
  compression: number;
}

const MAX_ENTRIES = 100_000;

export interface OpenedPickle {
  root: PyValue;
  tensor(name: string, t: TorchTensor): SourceTensor;
}

function listEntries(bytes: Uint8Array): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let expanded = 0;
  unzipSync(bytes, {
    filter(file) {
      if (entries.length >= MAX_ENTRIES) throw new CheckpointFormatError('zip has too many entries');
      const { name, size, originalSize, compression } = file;
      if (compression !== 0 && compression !== 8) {
        throw new CheckpointFormatError(`zip entry ${name} uses unsupported compression ${compression}`);
      }
      if (size > bytes.length || (compression === 0 && size !== originalSize)) {
        throw new CheckpointFormatError(`zip entry ${name} declares an impossible size`);
      }
      // Deflate expands at most ~1032:1; cap the total far below that, relative to the file.
      expanded += originalSize;
      if (originalSize > 1032 * size + 64 || expanded > 16 * bytes.length + (64 << 20)) {
        throw new CheckpointFormatError(`zip entry ${name} declares more data than the file can hold`);
      }
      entries.push({ name, size, originalSize, compression });
      return false;
    },
  });
  return entries;
}

function extract(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  let data: Uint8Array | undefined;
  try {
    data = unzipSync(bytes, { filter: (f) => f.name === entry.name })[entry.name];
  } catch (e) {
    throw new CheckpointFormatError(`zip entry ${entry.name} cannot be read (${(e as Error).message})`);
  }
  if (!data || data.length !== entry.originalSize) {
    throw new CheckpointFormatError(`zip entry ${entry.name} is truncated`);
  }
  return data;
}

export function openTorchZip(bytes: Uint8Array): OpenedPickle {
  let entries: ZipEntry[];
  try {
    entries = listEntries(bytes);
  } catch (e) {
    if (e instanceof CheckpointFormatError) throw e;
    throw new CheckpointFormatError(`not a readable zip archive (${(e as Error).message})`);
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    throw new CheckpointFormatError(`expected one <archive>/data.pkl in the zip, found ${pickles.length}`);
  }
  const prefix = pickles[0].name.slice(0, -'data.pkl'.length);
  const byteorder = byName.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(extract(bytes, byteorder)).trim();
    if (order !== 'little') throw new CheckpointFormatError(`storages are ${order}-endian; only little-endian is supported`);
  }
  const storageEntry = (key: string): ZipEntry => {
    const entry = byName.get(`${prefix}data/${key}`);
    if (!entry) throw new CheckpointFormatError(`storage ${key} is referenced but not in the zip`);
    return entry;
  };
  const pkl = extract(bytes, pickles[0]);
  const { value: root } = unpickle(pkl, 0, {
    budget: createBudget(4 * pkl.length + (1 << 20)),
    persistentLoad(pid) {
      const items = pid instanceof PyTuple ? pid.items : [];
      const [tag, cls, key, , numel] = items;
      if (tag !== 'storage' || !(cls instanceof PyGlobal) || !cls.elementType || typeof key !== 'string') {
        throw new CheckpointFormatError('unrecognised persistent id in data.pkl');
      }
      if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
        throw new CheckpointFormatError(`storage ${key} has a bad element count`);
      }
      if (storageEntry(key).originalSize < numel * ELEMENT_BYTES[cls.elementType]) {
        throw new CheckpointFormatError(`storage ${key} is shorter than its ${numel} declared elements`);
      }
      return new TorchStorage(cls.elementType, key, numel);
    },
  });
  // A few recently inflated storages, for views sharing one storage.
  const recent = new Map<string, Uint8Array>();
  const storageBytes = (key: string): Uint8Array => {
    let data = recent.get(key);
    if (!data) {
      data = extract(bytes, storageEntry(key));
      recent.set(key, data);
      if (recent.size > 4) recent.delete(recent.keys().next().value as string);
    }
    return data;
  };
  return {
    root,
    tensor(name, t) {
      return stridedTensor(name, {
        bytes: () => storageBytes(t.storage.key),
        elements: t.storage.numel,
        elementType: t.storage.elementType,
        littleEndian: true,
        offset: t.offset,
        shape: t.shape,
        strides: t.stride,
      });
    },
  };
}
