/** A numpy array from a Detectron2-style pickle, as a `SourceTensor`. */
import { CheckpointFormatError } from '../../errors';
import { ELEMENT_BYTES } from '../element-type';
import type { NumpyArray } from '../pickle/values';
import { contiguousStrides, stridedTensor, type SourceTensor } from './source-tensor';

export function numpyTensor(name: string, array: NumpyArray): SourceTensor {
  const dtype = array.dtype;
  if (!array.built || !dtype) throw new CheckpointFormatError(`numpy array ${name} was never given its data`);
  const elementType = dtype.elementType;
  if (!elementType) throw new CheckpointFormatError(`numpy array ${name} has non-numeric dtype ${dtype.descr}`);
  const strides = array.fortranOrder
    ? contiguousStrides([...array.shape].reverse()).reverse()
    : contiguousStrides(array.shape);
  const data = array.data;
  return stridedTensor(name, {
    bytes: () => data,
    elements: Math.floor(data.length / ELEMENT_BYTES[elementType]),
    elementType,
    littleEndian: dtype.byteOrder !== '>',
    offset: 0,
    shape: array.shape,
    strides,
  });
}
