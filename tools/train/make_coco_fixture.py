"""Write the small COCO evaluation fixture used by tests/node/coco-eval.test.ts.

    /usr/bin/python3 tools/train/make_coco_fixture.py --gt /tmp/dh-dataset/annotations/instances_val.json \
        --dets /tmp/dh-eval/detections.json --out tests/fixtures/coco

Takes the first ``--images`` val images, their GT and the model's detections (top ``--per-image``
per image), rounds boxes to 0.1 px and scores to 3 decimals (so that score ties and exact box
repeats occur, exercising the stable ordering), adds a few hand-made cases (a duplicate of a
detection, a crowd GT region, a detection of an image's class that has no GT there, an image
without GT, a category without GT) and stores the Python evaluator's (tools/train/coco_eval.py,
pycocotools semantics) numbers in ``expected.json``.
"""
import argparse
import json
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, REPO)
from tools.train.coco_eval import coco_evaluate  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gt", required=True)
    ap.add_argument("--dets", required=True)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "coco"))
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--per-image", type=int, default=15)
    ap.add_argument("--pycocotools", default=None,
                    help="folder holding an unpacked pycocotools package: also run the official "
                         "COCOeval and record its numbers (must agree exactly)")
    a = ap.parse_args()
    with open(a.gt) as f:
        gt = json.load(f)
    with open(a.dets) as f:
        dets = json.load(f)
    images = gt["images"][:a.images]
    ids = {im["id"] for im in images}
    anns = [dict(x) for x in gt["annotations"] if x["image_id"] in ids]
    # extra category without any GT (detections of it must not count), and an image without GT
    cats = gt["categories"] + [{"id": 7, "name": "unused", "supercategory": "shape"}]
    last = max(ids) + 1
    images = images + [{"id": last, "file_name": "none.png", "height": 160, "width": 160}]
    # a crowd region in image 1 (category 1)
    anns.append({"id": max(x["id"] for x in anns) + 1, "image_id": images[0]["id"],
                 "category_id": 1, "bbox": [100.0, 100.0, 50.0, 50.0], "area": 2500.0,
                 "iscrowd": 1})
    out_dets = []
    per = {}
    for d in sorted(dets, key=lambda d: -d["score"]):
        if d["image_id"] not in ids:
            continue
        per.setdefault(d["image_id"], []).append(d)
    for iid in sorted(per):
        for d in per[iid][:a.per_image]:
            out_dets.append({"image_id": iid, "category_id": d["category_id"],
                             "bbox": [round(v, 1) for v in d["bbox"]],
                             "score": round(d["score"], 3)})
    first = out_dets[0]
    out_dets.append(dict(first, score=round(first["score"] * 0.5, 3)))   # lower-score duplicate
    out_dets.append({"image_id": images[0]["id"], "category_id": 1,
                     "bbox": [110.0, 110.0, 20.0, 20.0], "score": 0.6})   # inside the crowd
    out_dets.append({"image_id": images[0]["id"], "category_id": 7,
                     "bbox": [10.0, 10.0, 20.0, 20.0], "score": 0.9})     # category without GT
    out_dets.append({"image_id": last, "category_id": 2,
                     "bbox": [10.0, 10.0, 30.0, 30.0], "score": 0.7})     # image without GT
    gt_out = {"images": images, "annotations": anns, "categories": cats}
    r = coco_evaluate(gt_out, out_dets)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gt.json"), "w") as f:
        json.dump(gt_out, f, separators=(",", ":"))
    with open(os.path.join(a.out, "detections.json"), "w") as f:
        json.dump(out_dets, f, separators=(",", ":"))
    expected = {"generator": "tools/train/make_coco_fixture.py (tools/train/coco_eval.py, "
                             "pycocotools semantics)",
                "stats": r["named"],
                "per_category_AP": {str(k): v for k, v in r["per_category_AP"].items()}}
    if a.pycocotools:
        import contextlib
        import io
        import tempfile
        sys.path.insert(0, a.pycocotools)
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        import pycocotools
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            gp, dp = os.path.join(tmp, "gt.json"), os.path.join(tmp, "dt.json")
            with open(gp, "w") as f:
                json.dump(gt_out, f)
            with open(dp, "w") as f:
                json.dump(out_dets, f)
            cg = COCO(gp)
            ev = COCOeval(cg, cg.loadRes(dp), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        official = [float(v) for v in ev.stats]
        diff = max(abs(x - y) for x, y in zip(official, r["stats"]))
        try:
            from importlib.metadata import version
            ver = version("pycocotools")
        except Exception:  # noqa: BLE001
            ver = getattr(pycocotools, "__version__", "unknown")
        expected["pycocotools"] = {"version": ver,
                                   "stats": official, "max_abs_diff": diff}
        assert diff <= 1e-12, diff
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(json.dumps(expected, indent=1))


if __name__ == "__main__":
    main()
