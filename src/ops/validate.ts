import { InvalidArgumentError } from '../errors';
import { numel, shapeString, type Tensor } from './tensor';

/** Argument checks shared by kernel bindings; each throws InvalidArgumentError naming the parameter. */

export function requireInteger(name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(name, `expected an integer >= ${min}, got ${value}`);
  }
}

export function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new InvalidArgumentError(name, `expected a finite number, got ${value}`);
}

export function requireRank(name: string, tensor: Tensor, rank: number): void {
  if (tensor.shape.length !== rank) {
    throw new InvalidArgumentError(name, `expected rank ${rank}, got shape ${shapeString(tensor.shape)}`);
  }
  tensor.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d <= 0) {
      throw new InvalidArgumentError(name, `dimension ${i} must be a positive integer, got shape ${shapeString(tensor.shape)}`);
    }
  });
  const bytes = numel(tensor.shape) * 4;
  if (tensor.buffer.size < bytes) {
    throw new InvalidArgumentError(name, `buffer holds ${tensor.buffer.size} bytes, shape ${shapeString(tensor.shape)} needs ${bytes}`);
  }
}

export function requireShape(name: string, tensor: Tensor, expected: readonly number[]): void {
  requireRank(name, tensor, expected.length);
  if (expected.some((d, i) => d !== tensor.shape[i])) {
    throw new InvalidArgumentError(name, `expected shape ${shapeString(expected)}, got ${shapeString(tensor.shape)}`);
  }
}

export function requireSameShape(name: string, tensor: Tensor, like: Tensor): void {
  requireShape(name, tensor, like.shape);
}
