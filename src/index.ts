/**
 * dynamic-head-webgpu: the Fine-Grained Dynamic Head detector on WebGPU, in a web worker.
 *
 *   const detector = await createDetector({ weights: '/model.dhw' });
 *   const { detections } = await detector.detect(imageElement);
 *   await detector.dispose();
 */
export { createDetector } from './api/create-detector';
export * from './api/public-exports';
