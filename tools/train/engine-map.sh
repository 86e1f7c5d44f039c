#!/bin/bash
# Usage: tools/train/engine-map.sh [model.dhw]  (val split in /tmp/dh-dataset from tools/dataset/make_dataset.py)
# Engine detections on the val split through the WebGPU CLI, then COCO AP with the TS evaluator,
# the mean depth-gate density per router and over all gates, and executed vs dense head MACs.
cd "$(dirname "$0")/../.."
node bin/dynamic-head.mjs detect "${1:-weights/default/model.dhw}" /tmp/dh-dataset/val/*.png --json > /tmp/engine-val.jsonl 2>/tmp/engine-val.err
python3 - <<'PY'
import json, os
gt = json.load(open('/tmp/dh-dataset/annotations/instances_val.json'))
by_file = {os.path.basename(im['file_name']): im['id'] for im in gt['images']}
cats = sorted(c['id'] for c in gt['categories'])
dets, routers, gates, macs = [], {}, {}, {'executed': 0.0, 'denseDynamic': 0.0, 'denseFixed': 0.0}
for line in open('/tmp/engine-val.jsonl'):
    r = json.loads(line)
    iid = by_file[os.path.basename(r['image'])]
    for d in r['detections']:
        x1, y1, x2, y2 = d['box']
        dets.append({'image_id': iid, 'category_id': cats[d['classId']], 'bbox': [x1, y1, x2 - x1, y2 - y1], 'score': d['score']})
    for k, v in (r.get('routerDensities') or {}).items(): routers.setdefault(k, []).append(v)
    for k, v in (r.get('gateDensities') or {}).items():
        if '.dilated.' not in k: gates.setdefault(k, []).append(v)
    for k in macs: macs[k] += (r.get('macs') or {}).get(k, 0.0)
json.dump(dets, open('/tmp/engine-val-dets.json', 'w'))
mean = lambda xs: sum(xs) / len(xs)
print(len(dets), 'detections on', len(by_file), 'images')
print('mean depth-gate density per router:', ', '.join(f'{k} {mean(v):.3f}' for k, v in sorted(routers.items())))
if gates: print(f'mean density over all {len(gates)} gates (scale + depth, per level): {mean([mean(v) for v in gates.values()]):.3f}')
if macs['denseFixed']: print(f"head MACs: executed / dense fixed {macs['executed'] / macs['denseFixed']:.3f}, executed / dense dynamic {macs['executed'] / macs['denseDynamic']:.3f}")
PY
node scripts/run-ts.mjs src/eval/cli.ts /tmp/dh-dataset/annotations/instances_val.json /tmp/engine-val-dets.json
