/**
 * The fixed-head twin of a dynamic-head weights file: the same backbone, FPN, head convs and
 * predictors, without the gates (the official "Fix" baseline executes every path of every router,
 * i.e. every gate taken as 1). Benchmarks compare a dynamic model against this twin when its
 * checkpoint is not at hand; tensor bytes and their CRCs are copied verbatim.
 */
import { WeightsFormatError } from '../errors';
import type { ModelConfig } from './config';
import { expectedTensors } from './engine-tensors';
import { encodeFileHead, layoutTensors, readFileHead, type WeightsHeader } from './format';

export function fixedHeadVariant(bytes: Uint8Array): Uint8Array {
  const { preamble, header } = readFileHead(bytes);
  if (header.config.head.kind !== 'dynamic') throw new WeightsFormatError(`the head is already ${header.config.head.kind}`);
  const config: ModelConfig = { ...header.config, head: { ...header.config.head, kind: 'fixed' } };
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const kept = expectedTensors(config).map((e) => {
    const t = byName.get(e.name);
    if (!t) throw new WeightsFormatError(`tensor ${e.name} is missing`);
    return t;
  });
  const layout = layoutTensors(kept.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })));
  const tensors = layout.tensors.map((t, i) => ({ ...t, crc32: kept[i]!.crc32 }));
  const out: WeightsHeader = { ...header, config, tensors, dataLength: layout.dataLength };
  const head = encodeFileHead(out);
  const file = new Uint8Array(head.length + layout.dataLength);
  file.set(head);
  kept.forEach((t, i) => {
    const from = preamble.dataStart + t.offset;
    file.set(bytes.subarray(from, from + t.byteLength), head.length + tensors[i]!.offset);
  });
  return file;
}
