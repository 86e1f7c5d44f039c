/**
 * dynamic-head-webgpu for Node (the package's `node` export): the same detector in-process on
 * Dawn (the optional `webgpu` peer package), with file paths, URLs and bytes as inputs.
 *
 *   const detector = await createDetector({ weights: 'model.dhw' });
 *   const { detections } = await detector.detect('photo.jpg');
 *   await detector.dispose();
 */
export { createDetector, type NodeDetector, type NodeDetectorOptions, type NodeImageSource, type NodeWeightsInput } from './create-detector';
export * from '../api/public-exports';
