import { describe, expect, it } from 'vitest';
import {
  CheckpointMismatchError,
  deserializeError,
  DynamicHeadError,
  InvalidArgumentError,
  serializeError,
  WeightsFetchError,
  WebGPUUnavailableError,
} from '../../src/errors';

describe('errors', () => {
  it('names are explicit strings equal to the class names (minification-proof)', () => {
    for (const error of [new WebGPUUnavailableError(), new InvalidArgumentError('x', 'bad'), new WeightsFetchError('u', 'd', 404)]) {
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('round-trip through structured data keeps class, code, message, stack and fields', () => {
    const original = new CheckpointMismatchError(['a.weight'], [{ name: 'b', expected: [1], actual: [2] }]);
    const copy = deserializeError(structuredClone(serializeError(original)));
    expect(copy).toBeInstanceOf(CheckpointMismatchError);
    expect(copy).toBeInstanceOf(DynamicHeadError);
    expect(copy).toBeInstanceOf(Error);
    expect(copy.name).toBe('CheckpointMismatchError');
    expect(copy.message).toBe(original.message);
    expect(copy.stack).toBe(original.stack);
    expect((copy as CheckpointMismatchError).code).toBe('CHECKPOINT_MISMATCH');
    expect((copy as CheckpointMismatchError).missing).toEqual(['a.weight']);
    const fetchCopy = deserializeError(serializeError(new WeightsFetchError('u', 'd', 404))) as WeightsFetchError;
    expect(fetchCopy.status).toBe(404);
  });

  it('foreign errors and non-errors come back as plain Errors', () => {
    const copy = deserializeError(serializeError(new TypeError('nope')));
    expect(copy).not.toBeInstanceOf(DynamicHeadError);
    expect(copy.name).toBe('TypeError');
    expect(copy.message).toBe('nope');
    expect(deserializeError(serializeError('boom')).message).toBe('boom');
  });
});
