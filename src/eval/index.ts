export { evaluateCoco, type CocoEvalResult } from './coco';
export { COCO_AREA_RANGES, COCO_MAX_DETS, type AreaRange } from './area-ranges';
export { COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS, linspace } from './linspace';
export { boxIouMatrix } from './box-iou';
export type {
  CocoAnnotation,
  CocoBox,
  CocoCategory,
  CocoDataset,
  CocoDetection,
  CocoImage,
  CocoStats,
} from './types';
