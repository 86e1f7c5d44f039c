"""Golden-output writer.  Regenerates every committed fixture deterministically:

    /usr/bin/python3 -m tools.reference.make_fixtures                 # committed configs
    /usr/bin/python3 -m tools.reference.make_fixtures --config full-r50-d8 --out /tmp/dh-full

Writes <out>/<config>/{manifest.json, checkpoint.pth, <image>.png, <image>/<tensor>.bin}.

A checkpoint already in <out> is kept as it is (same bytes, same calibration record) and only the
image-dependent tensors are recomputed from it; `--rebuild-weights` draws and calibrates the
weights again (float reductions differ between CPUs, so a rebuild elsewhere changes low bits).
"""
import argparse
import collections
import copy
import hashlib
import json
import os
import shutil
import time

import numpy as np
import torch

from .config import CONFIGS
from .images import IMAGE_SPECS, get_image, write_png
from .macs import MacCounter, backbone_fpn_macs, head_macs, official_running_cost
from .model import LEVEL_NAMES, build_model
from .postprocess import fcos_inference
from .preprocess import preprocess
from .weights import build_weights

FORMAT_VERSION = 1
DEFAULT_OUT = os.path.join("tests", "fixtures", "reference")


def load_inputs(cfg):
    out = []
    for iid in cfg.images:
        rgb = get_image(iid)
        x, info = preprocess(rgb[..., ::-1], cfg)
        out.append((iid, rgb, x, info))
    return out


def kept_weights(cfg, out_root):
    """(model, calibration info, state_dict) from the checkpoint and manifest already in out_root,
    or None when there is none."""
    owner = cfg.checkpoint_from or cfg.name
    ckpt = os.path.join(out_root, owner, "checkpoint.pth")
    manifest = os.path.join(out_root, owner, "manifest.json")
    if not (os.path.exists(ckpt) and os.path.exists(manifest)):
        return None
    sd = torch.load(ckpt, map_location="cpu")["model"]
    model = build_model(cfg)
    model.load_state_dict(sd)
    with open(manifest) as f:
        info = json.load(f)["calibration"]
    return model, info, collections.OrderedDict(sd)


def model_for(cfg):
    """(model, calibration info, state_dict to save)."""
    if cfg.checkpoint_from:
        base = CONFIGS[cfg.checkpoint_from]
        bmodel, binfo = build_weights(base, [x for _, _, x, _ in load_inputs(base)])
        model = build_model(cfg)
        model.load_state_dict(bmodel.state_dict())
        info = binfo
    else:
        model, info = build_weights(cfg, [x for _, _, x, _ in load_inputs(cfg)])
    sd = model.state_dict()
    return model, info, collections.OrderedDict(sd)


def rel_diff(a, b):
    den = float(a.abs().max())
    return float((a - b).abs().max()) / den if den > 0 else float((a - b).abs().max())


def family(name):
    """Tensor name without its trailing level (cls_subnet.0.out.p3 -> cls_subnet.0.out)."""
    head, _, last = name.rpartition(".")
    return head if last in LEVEL_NAMES else name


def compare(ra, rb):
    """max |a-b| / max |a| per tensor (worst tensor) and normalised by the largest |a| over all
    levels of the tensor's family (e.g. every level of cls_subnet.0.out)."""
    per = {k: rel_diff(ra[k], rb[k]) for k in ra}
    fam_max = collections.defaultdict(float)
    fam_diff = collections.defaultdict(float)
    for k in ra:
        f = family(k)
        fam_max[f] = max(fam_max[f], float(ra[k].abs().max()))
        fam_diff[f] = max(fam_diff[f], float((ra[k].double() - rb[k].double()).abs().max()))
    fam = {f: fam_diff[f] / fam_max[f] if fam_max[f] > 0 else fam_diff[f] for f in fam_max}
    wk, wf = max(per, key=per.get), max(fam, key=fam.get)
    return {"max_rel_diff": per[wk], "worst_tensor": wk,
            "max_rel_diff_family": fam[wf], "worst_family": wf}


def parity(model32, model64, x, golden):
    """golden: float64 masked record.  Checks the float64 dense formulation against it and
    measures how far plain float32 execution (masked and dense) lands from it."""
    res = {}
    rd = {}
    model64(x.double(), "dense", rec=rd)
    res["float64_dense_vs_masked"] = compare(golden, rd)
    for mode in ("masked", "dense"):
        r = {}
        model32(x, mode, rec=r)
        res[f"float32_{mode}_vs_golden"] = compare(golden, r)
    return res


def pack(root, rel, items):
    """Write tensors back to back into one blob; returns manifest entries with byte offsets."""
    entries, off = [], 0
    path = os.path.join(root, rel)
    with open(path, "wb") as f:
        for name, t, dtype in items:
            arr = t.detach().cpu().numpy().astype("<f4" if dtype == "float32" else "<i4")
            b = arr.tobytes(order="C")
            f.write(b)
            entries.append({"name": name, "file": rel, "offset": off, "nbytes": len(b),
                            "shape": list(arr.shape), "dtype": dtype})
            off += len(b)
    return entries


def gate_stats(rec, cfg):
    """Per-router densities (fraction of pixels with gate > 0) and the smallest |logit|."""
    dens = {}
    margin = float("inf")
    near = 0
    for t in ("cls_subnet", "bbox_subnet"):
        for i in range(cfg.num_routers):
            r = {}
            for s in (0, 1):
                per, act, tot = {}, 0, 0
                for li, ln in enumerate(LEVEL_NAMES):
                    g = rec[f"{t}.{i}.scale{s}.gate.{ln}"]
                    z = rec[f"{t}.{i}.scale{s}.gate_logit.{ln}"]
                    per[ln] = float((g > 0).float().mean())
                    used = (s == 0 and li < 4) or (s == 1 and li > 0)
                    if used:  # gates at never-consumed levels cannot change any output
                        margin = min(margin, float(z.abs().min()))
                        near += int((z.abs() < 1e-4).sum())
                        act += int((g > 0).sum())
                        tot += g.numel()
                r[f"scale{s}"] = {"overall": act / tot, "per_level": per,
                                  "used_levels": LEVEL_NAMES[:4] if s == 0 else LEVEL_NAMES[1:]}
            for key, nm in (("depth", "mask"), ("depth_dilated", "mask_dilated")):
                per, act, tot = {}, 0, 0
                for ln in LEVEL_NAMES:
                    m = rec[f"{t}.{i}.depth.{nm}.{ln}"]
                    per[ln] = float(m.mean())
                    act += int(m.sum())
                    tot += m.numel()
                r[key] = {"overall": act / tot, "per_level": per}
            for ln in LEVEL_NAMES:
                z = rec[f"{t}.{i}.depth.gate_logit.{ln}"]
                margin = min(margin, float(z.abs().min()))
                near += int((z.abs() < 1e-4).sum())
            dens[f"{t}.{i}"] = r
    return dens, margin, near


def generate(cfg, out_root, dump_y=False, verbose=True, rebuild_weights=False):
    t0 = time.time()
    root = os.path.join(out_root, cfg.name)
    kept = None if rebuild_weights else kept_weights(cfg, out_root)
    keep_bytes = None
    if kept and not cfg.checkpoint_from:
        with open(os.path.join(root, "checkpoint.pth"), "rb") as f:
            keep_bytes = f.read()
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    model, calib_info, sd = kept or model_for(cfg)
    if keep_bytes is not None:
        ckpt_rel = "checkpoint.pth"
        ckpt_path = os.path.join(root, ckpt_rel)
        with open(ckpt_path, "wb") as f:
            f.write(keep_bytes)
    elif cfg.checkpoint_from:
        # same weights as another config: reference its checkpoint instead of a second copy
        ckpt_rel = f"../{cfg.checkpoint_from}/checkpoint.pth"
        ckpt_path = os.path.join(root, ckpt_rel)
        if not os.path.exists(ckpt_path):
            os.makedirs(os.path.dirname(ckpt_path), exist_ok=True)
            torch.save({"model": sd, "iteration": 0}, ckpt_path)
    else:
        ckpt_rel = "checkpoint.pth"
        ckpt_path = os.path.join(root, ckpt_rel)
        torch.save({"model": sd, "iteration": 0}, ckpt_path)
    with open(ckpt_path, "rb") as f:
        ckpt_sha = hashlib.sha256(f.read()).hexdigest()
    mode = {"fixed": "fixed", "fcos": "fcos"}.get(cfg.head_mode, "masked")
    model64 = copy.deepcopy(model).double()
    C = cfg.fpn_channels
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": "tools/reference/make_fixtures.py",
        "config": cfg.to_dict(),
        "execution_mode": mode,
        "checkpoint": {
            "file": ckpt_rel,
            "format": "torch.save (zip) of {'model': state_dict, 'iteration': 0}; float32",
            "sha256": ckpt_sha,
            "num_tensors": len(sd),
            "num_params": int(sum(v.numel() for v in sd.values())),
            "gate_params_included": cfg.head_mode != "fcos",
            "gate_params_used": mode == "masked",
            "same_weights_as": cfg.checkpoint_from,
        },
        "levels": [{"name": n, "stride": s} for n, s in zip(LEVEL_NAMES, cfg.fpn_strides)],
        "tensor_encoding": "raw little-endian, C-order (NCHW for feature maps), no header",
        "calibration": calib_info if mode == "masked" else None,
        "images": [],
    }
    for iid, rgb, x, info in load_inputs(cfg):
        png = f"{iid}.png"
        write_png(os.path.join(root, png), rgb)
        # Golden values: float64 execution of the float32 weights / float32 preprocessed input,
        # stored rounded to float32.
        rec, macs = {}, MacCounter()
        logits, bbox_reg, ctr = model64(x.double(), mode, rec=rec, macs=macs, dump_y=dump_y)
        rec["input"] = x
        entry = {"id": iid, "png": png, "png_channel_order": "RGB (feed the model BGR)"}
        entry.update(info)
        entry["level_sizes"] = [list(rec[f"fpn.{n}"].shape[-2:]) for n in LEVEL_NAMES]
        # parity: masked (official) vs dense formulation; float32 execution vs golden
        if mode == "masked":
            entry["parity"] = parity(model, model64, x, rec)
            dens, margin, near = gate_stats(rec, cfg)
            entry["gate_densities"] = dens
            entry["gate_logit_min_abs"] = margin
            entry["gate_logits_within_1e-4_of_zero"] = near
        else:
            r = {}
            model(x, mode, rec=r)
            entry["parity"] = {f"float32_{mode}_vs_golden": compare(rec, r)}
        dets = fcos_inference(logits, bbox_reg, ctr, cfg, info)
        mac = {"head": head_macs(macs, mode)}
        mac.update(backbone_fpn_macs(model, x))
        if mode == "masked":
            mac["head"]["official_running_cost"] = official_running_cost(rec, C, cfg.num_routers)
        entry["macs"] = mac
        entry["detections"] = {"count": int(len(dets["scores"])),
                               "num_candidates_before_nms": dets["num_candidates"],
                               "num_after_nms_topk": dets["num_after_nms"]}
        items = [(name, t, "float32") for name, t in rec.items()]
        items += [(f"detections.{n}", dets[n], "int32" if n == "classes" else "float32")
                  for n in ("boxes", "scores", "classes", "boxes_input")]
        entry["tensors"] = pack(root, f"{iid}.bin", items)
        manifest["images"].append(entry)
        if verbose:
            print(f"[{cfg.name}] {iid}: orig {info['original_size']} -> resized "
                  f"{info['resized_size']} -> padded {info['padded_size']}; "
                  f"{entry['detections']['count']} detections "
                  f"({dets['num_candidates']} candidates)")
            h = mac["head"]
            if mode == "masked":
                print(f"    head MACs: executed {h['executed']:,} vs dense fixed "
                      f"{h['dense_fixed']:,} ({100 * h['executed_over_dense_fixed']:.1f} %), "
                      f"dense dynamic {h['dense_dynamic']:,}; official running cost "
                      f"{h['official_running_cost']:,}; backbone {mac['backbone']:,} "
                      f"fpn {mac['fpn']:,}")
                pv = entry["parity"]
                print(f"    f64 masked vs dense max rel diff "
                      f"{pv['float64_dense_vs_masked']['max_rel_diff']:.2e}; f32 masked vs golden "
                      f"{pv['float32_masked_vs_golden']['max_rel_diff']:.2e} (per family "
                      f"{pv['float32_masked_vs_golden']['max_rel_diff_family']:.2e}, worst "
                      f"{pv['float32_masked_vs_golden']['worst_family']}); min |gate logit| "
                      f"{entry['gate_logit_min_abs']:.2e}, within 1e-4: "
                      f"{entry['gate_logits_within_1e-4_of_zero']}")
                for r, d in entry["gate_densities"].items():
                    print(f"    {r:14s} scale0 {100 * d['scale0']['overall']:5.1f}%  scale1 "
                          f"{100 * d['scale1']['overall']:5.1f}%  depth {100 * d['depth']['overall']:5.1f}%"
                          f"  dilated {100 * d['depth_dilated']['overall']:5.1f}%")
            else:
                print(f"    head MACs ({mode}, dense): {h['dense_fixed']:,}; backbone "
                      f"{mac['backbone']:,} fpn {mac['fpn']:,}")
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    if verbose:
        size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(root)
                   for fn in fns)
        print(f"[{cfg.name}] wrote {root} ({size / 1e6:.2f} MB) in {time.time() - t0:.1f}s")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--config", action="append",
                    help="config name (repeatable); default: every committed config. "
                         f"Known: {', '.join(CONFIGS)}")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output root (default {DEFAULT_OUT})")
    ap.add_argument("--dump-y", action="store_true",
                    help="also dump each router's scale-part output <tower>.<i>.y.<level>")
    ap.add_argument("--rebuild-weights", action="store_true",
                    help="draw and calibrate the weights again instead of keeping the checkpoint in --out")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: bit-reproducible reductions)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = args.config or [n for n, c in CONFIGS.items() if c.commit]
    for n in names:
        generate(CONFIGS[n], args.out, dump_y=args.dump_y, rebuild_weights=args.rebuild_weights)


if __name__ == "__main__":
    main()
