/**
 * A tensor on the GPU: a storage buffer of f32 in NHWC order (batch, height, width, channels)
 * for images and feature maps, or row-major for matrices and vectors. NHWC keeps a pixel's
 * channels contiguous, which is what implicit-GEMM convs, per-pixel gates and gather/scatter of
 * active pixels all want.
 */
export interface Tensor {
  readonly buffer: GPUBuffer;
  readonly shape: readonly number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
