#!/bin/bash
# Usage: tools/train/engine-map.sh [model.dhw]  (val split in /tmp/dh-dataset from tools/dataset/make_dataset.py)
# Engine detections on the val split through the WebGPU CLI, then COCO AP with the TS evaluator.
cd "$(dirname "$0")/../.."
node bin/dynamic-head.mjs detect "${1:-/tmp/dh-default/model.dhw}" /tmp/dh-dataset/val/*.png --json > /tmp/engine-val.jsonl 2>/tmp/engine-val.err
python3 - <<'PY'
import json, os
gt = json.load(open('/tmp/dh-dataset/annotations/instances_val.json'))
by_file = {os.path.basename(im['file_name']): im['id'] for im in gt['images']}
cats = sorted(c['id'] for c in gt['categories'])
dets = []
for line in open('/tmp/engine-val.jsonl'):
    r = json.loads(line)
    iid = by_file[os.path.basename(r['image'])]
    for d in r['detections']:
        x1, y1, x2, y2 = d['box']
        dets.append({'image_id': iid, 'category_id': cats[d['classId']], 'bbox': [x1, y1, x2 - x1, y2 - y1], 'score': d['score']})
json.dump(dets, open('/tmp/engine-val-dets.json', 'w'))
print(len(dets), 'detections')
PY
node scripts/run-ts.mjs src/eval/cli.ts /tmp/dh-dataset/annotations/instances_val.json /tmp/engine-val-dets.json
