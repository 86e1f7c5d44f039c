"""Evaluate a trained checkpoint with the reference in MASKED inference mode on the val split.

    /usr/bin/python3 tools/train/evaluate.py --ckpt /tmp/dh-train/latest.pth \
        --data /tmp/dh-dataset --out /tmp/dh-eval

Reads the model config from ``config.json`` next to the checkpoint (written by train.py).
Writes ``<out>/detections.json`` (COCO results format: image_id, category_id, bbox [x,y,w,h],
score) and ``<out>/eval.json`` (COCO stats from tools/train/coco_eval.py, per-category AP, mean
gate densities per router and per gate, head MACs executed / dense).

Gate density = fraction of positions where the gate is > 0 (what the masked execution runs):
scale gates over their consumed source levels, the depth gate over all levels (pixel-weighted
over levels, averaged over images).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, REPO)
from tools.reference.config import ModelConfig  # noqa: E402
from tools.reference.images import read_png  # noqa: E402
from tools.reference.macs import MacCounter  # noqa: E402
from tools.reference.model import LEVEL_NAMES, build_model  # noqa: E402
from tools.reference.postprocess import fcos_inference  # noqa: E402
from tools.reference.preprocess import preprocess  # noqa: E402
from tools.train.coco_eval import coco_evaluate  # noqa: E402


def load_model(ckpt, config_json=None):
    cfg_path = config_json or os.path.join(os.path.dirname(ckpt), "config.json")
    with open(cfg_path) as f:
        meta = json.load(f)
    c = dict(meta["config"])
    for k in ("res_out_channels", "bottleneck_channels", "num_convs"):
        c.pop(k, None)
    cfg = ModelConfig(**c)
    model = build_model(cfg)
    sd = torch.load(ckpt, map_location="cpu")
    missing, unexpected = model.load_state_dict(sd["model"], strict=True), None
    return model, cfg, sd.get("iteration")


def run(model, cfg, data, split, mode="masked", limit=0, log=True):
    with open(os.path.join(data, "annotations", f"instances_{split}.json")) as f:
        gt = json.load(f)
    images = gt["images"][:limit] if limit else gt["images"]
    if limit:
        ids = {im["id"] for im in images}
        gt = dict(gt, images=images, annotations=[a for a in gt["annotations"]
                                                  if a["image_id"] in ids])
    results = []
    dens = {}
    mac_exec = mac_dense = 0
    t0 = time.time()
    for n, im in enumerate(images):
        rgb = read_png(os.path.join(data, im["file_name"]))
        x, info = preprocess(rgb[..., ::-1], cfg)
        rec = {} if mode == "masked" else None
        macs = MacCounter()
        logits, reg, ctr = model(x, mode=mode, rec=rec, macs=macs)
        det = fcos_inference(logits, reg, ctr, cfg, info)
        mac_exec += macs.c["gate_conv"] + macs.c.get("scale_dw_executed", 0) + \
            macs.c.get("depth_conv_executed", 0)
        mac_dense += macs.c["scale_dw_dense"] + macs.c["depth_conv_dense"]
        for b, s, c in zip(det["boxes"].tolist(), det["scores"].tolist(),
                           det["classes"].tolist()):
            results.append({"image_id": im["id"], "category_id": int(c) + 1,
                            "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "score": s})
        if rec is not None:
            for t in ("cls_subnet", "bbox_subnet"):
                for i in range(cfg.num_routers):
                    for g in ("scale0", "scale1", "depth"):
                        on = tot = 0
                        for l, ln in enumerate(LEVEL_NAMES):
                            if g == "scale0" and l == 4 or g == "scale1" and l == 0:
                                continue  # never consumed
                            gt_ = rec[f"{t}.{i}.{g}.gate.{ln}"]
                            on += int((gt_ > 0).sum())
                            tot += gt_.numel()
                        key = f"{t}.{i}"
                        dens.setdefault(key, {}).setdefault(g, []).append(on / tot)
        if log and (n + 1) % 50 == 0:
            print(f"  {n + 1}/{len(images)} images, {time.time() - t0:.0f}s", flush=True)
    ev = coco_evaluate(gt, results)
    router = {}
    for key, d in dens.items():
        router[key] = {g: float(np.mean(v)) for g, v in d.items()}
        router[key]["mean"] = float(np.mean([router[key][g] for g in ("scale0", "scale1",
                                                                       "depth")]))
    return {"split": split, "mode": mode, "num_images": len(images),
            "num_detections": len(results), "coco": ev["named"],
            "per_category_AP": {str(k): v for k, v in ev["per_category_AP"].items()},
            "gate_density": router,
            "mean_gate_density": (float(np.mean([r["mean"] for r in router.values()]))
                                  if router else None),
            "head_conv_macs_executed_over_dense": (mac_exec / mac_dense) if mode == "masked"
            else 1.0}, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="/tmp/dh-train/latest.pth")
    ap.add_argument("--config", default=None, help="config.json (default: next to --ckpt)")
    ap.add_argument("--data", default="/tmp/dh-dataset")
    ap.add_argument("--split", default="val")
    ap.add_argument("--mode", default="masked", choices=["masked", "dense", "fixed"])
    ap.add_argument("--out", default="/tmp/dh-eval")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, cfg, it = load_model(a.ckpt, a.config)
    summary, results = run(model, cfg, a.data, a.split, a.mode, a.limit)
    summary["checkpoint"] = os.path.abspath(a.ckpt)
    summary["iteration"] = it
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "detections.json"), "w") as f:
        json.dump(results, f)
    with open(os.path.join(a.out, "eval.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"checkpoint {a.ckpt} (iteration {it}), {a.mode} mode, {summary['num_images']} "
          f"{a.split} images, {summary['num_detections']} detections")
    for k, v in summary["coco"].items():
        print(f"  {k:6s} {v:.4f}")
    print("  per-category AP:", {k: round(v, 4) for k, v in summary["per_category_AP"].items()})
    if summary["gate_density"]:
        print("  gate density (fraction > 0) per router: scale0 / scale1 / depth / mean")
        for k, d in summary["gate_density"].items():
            print(f"    {k:14s} {d['scale0']:.3f} {d['scale1']:.3f} {d['depth']:.3f} "
                  f"{d['mean']:.3f}")
        print(f"  mean gate density {summary['mean_gate_density']:.3f}; head conv MACs "
              f"executed/dense {summary['head_conv_macs_executed_over_dense']:.3f}")


if __name__ == "__main__":
    main()
