/** Element types a checkpoint's tensors may have (torch storages and numpy dtypes alike). */
export type ElementType = 'f16' | 'bf16' | 'f32' | 'f64' | 'i8' | 'u8' | 'i16' | 'i32' | 'i64' | 'u16' | 'u32' | 'u64' | 'bool';

export const ELEMENT_BYTES: Readonly<Record<ElementType, number>> = {
  f16: 2,
  bf16: 2,
  f32: 4,
  f64: 8,
  i8: 1,
  u8: 1,
  i16: 2,
  i32: 4,
  i64: 8,
  u16: 2,
  u32: 4,
  u64: 8,
  bool: 1,
};

/** torch storage class names (`torch.FloatStorage`, ...) → element type. */
export const TORCH_STORAGE_TYPES: Readonly<Record<string, ElementType>> = {
  FloatStorage: 'f32',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  DoubleStorage: 'f64',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ShortStorage: 'i16',
  CharStorage: 'i8',
  ByteStorage: 'u8',
  BoolStorage: 'bool',
};

/** numpy dtype descriptors ('f4', 'i8', 'b1', ...) → element type; others are not numeric. */
export function numpyElementType(descr: string): ElementType | undefined {
  const table: Record<string, ElementType> = {
    f2: 'f16',
    f4: 'f32',
    f8: 'f64',
    i1: 'i8',
    i2: 'i16',
    i4: 'i32',
    i8: 'i64',
    u1: 'u8',
    u2: 'u16',
    u4: 'u32',
    u8: 'u64',
    b1: 'bool',
    '?': 'bool',
    float16: 'f16',
    float32: 'f32',
    float64: 'f64',
    int32: 'i32',
    int64: 'i64',
    uint8: 'u8',
    bool: 'bool',
  };
  return table[descr.replace(/^[<>=|]/, '')];
}
