/**
 * Node entry point: COCO bbox evaluation of a results file.
 *
 *   node scripts/run-ts.mjs src/eval/cli.ts <instances.json> <detections.json>
 *
 * Prints the twelve COCOeval numbers and per-category AP as JSON.
 */
import { readFileSync } from 'node:fs';
import { evaluateCoco } from './coco';
import type { CocoDataset, CocoDetection } from './types';

export function main(args: readonly string[]): number {
  const [gtPath, detPath] = args;
  if (!gtPath || !detPath) {
    console.error('usage: cli.ts <instances.json> <detections.json>');
    return 2;
  }
  const gt = JSON.parse(readFileSync(gtPath, 'utf8')) as CocoDataset;
  const dets = JSON.parse(readFileSync(detPath, 'utf8')) as CocoDetection[];
  const r = evaluateCoco(gt, dets);
  const perCategoryAP = Object.fromEntries(r.perCategoryAP);
  console.log(JSON.stringify({ stats: r.stats, perCategoryAP }, null, 1));
  return 0;
}
