"""Checkpoints in the layout of the official model zoo (StevenGrove/DynamicHead README), with
seeded weights, for the converter's tests:

    /usr/bin/python3 -m tools.reference.zoo_checkpoints                       # narrow, committed
    /usr/bin/python3 -m tools.reference.zoo_checkpoints --full --out /tmp/zoo  # ResNet-50, C = 256

One file per zoo architecture, named after its cvpods_playground project: what cvpods'
Checkpointer.save writes, torch.save({"model": state_dict, "optimizer": SGD state_dict,
"scheduler": WarmupMultiStepLR state_dict, "iteration": 89999}), with the state dict of the
official module tree (backbone = ResNet + FPN, head = FCOSHead / FCOSFixHead / FCOSDynamicHead,
tools/reference/model.py). Weights are random multiples of 1/64 (seeded per parameter name) and
the momentum buffers zero, so the narrow files gzip small; the converter only reads names,
shapes and values. `zoo.json` records each file's architecture and a few values to check.
"""
import argparse
import gzip
import io
import json
import os
import zlib

import torch
from torch import nn

from .config import ModelConfig
from .model import FPN, FCOSDynamicHead, FCOSFixHead, FCOSHead

# project directory (cvpods_playground/<project>), head module, D (the zoo's depth column)
ZOO = [
    ("fcos.res50.1x", "fcos", 2),
    ("fcos.res50.1x.fix.d4", "fix", 4),
    ("fcos.res50.1x.fix.d8", "fix", 8),
    ("fcos.res50.1x.dynamic.d4.lambda-0_1", "dynamic", 4),
    ("fcos.res50.1x.dynamic.d8.lambda-0_1", "dynamic", 8),
]
DEFAULT_OUT = os.path.join("tests", "fixtures", "zoo")


class Detector(nn.Module):
    """The parameter-holding part of cvpods' meta_arch FCOS: ``backbone`` and ``head``."""

    def __init__(self, cfg, head):
        super().__init__()
        self.backbone = FPN(cfg)
        self.head = {"fcos": FCOSHead, "fix": FCOSFixHead, "dynamic": FCOSDynamicHead}[head](cfg)


def seeded_state(model, seed):
    sd = model.state_dict()
    for name, t in sd.items():
        g = torch.Generator()
        g.manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (2 ** 62))
        if name.endswith("running_var"):
            v = torch.rand(t.shape, generator=g) * 1.5 + 0.25
        elif name.endswith("running_mean") or t.dim() < 4:
            v = torch.randn(t.shape, generator=g) * 0.5
        else:
            v = torch.randn(t.shape, generator=g) * 0.0625
        v = torch.round(v * 64) / 64
        if name.endswith("running_var"):
            v = v.clamp(min=1 / 64)
        sd[name] = v.to(torch.float32)
    return sd


def checkpoint(sd):
    """cvpods Checkpointer.save of a finished 1x schedule: model, SGD optimizer, scheduler, iteration."""
    params = [k for k in sd if not k.endswith(("running_mean", "running_var"))
              and not (k.startswith("backbone.bottom_up") and ".norm." in k)]
    optimizer = {
        "state": {i: {"momentum_buffer": torch.zeros_like(sd[k])} for i, k in enumerate(params)},
        "param_groups": [{"lr": 0.0001, "momentum": 0.9, "dampening": 0, "weight_decay": 0.0001,
                          "nesterov": False, "initial_lr": 0.01, "params": list(range(len(params)))}],
    }
    scheduler = {"milestones": [60000, 80000], "gamma": 0.1, "warmup_factor": 0.001,
                 "warmup_iters": 1000, "warmup_method": "linear", "base_lrs": [0.01],
                 "last_epoch": 89999, "_step_count": 90000, "_get_lr_called_within_step": False,
                 "_last_lr": [0.0001]}
    return {"model": sd, "optimizer": optimizer, "scheduler": scheduler, "iteration": 89999}


def config_for(head, depth, full):
    if full:
        return ModelConfig(name="zoo", num_routers=depth)
    return ModelConfig(name="zoo", num_routers=depth, stem_out_channels=8, res2_out_channels=16,
                       width_per_group=4, fpn_channels=32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--full", action="store_true", help="ResNet-50 / C = 256 (not committed; uncompressed .pth)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    record = {"generator": "tools/reference/zoo_checkpoints.py", "full_width": args.full, "checkpoints": {}}
    for seed, (project, head, depth) in enumerate(ZOO, start=1):
        cfg = config_for(head, depth, args.full)
        sd = seeded_state(Detector(cfg, head), seed)
        buf = io.BytesIO()
        torch.save(checkpoint(sd), buf)
        data = buf.getvalue()
        name = f"{project}.pth" + ("" if args.full else ".gz")
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data if args.full else gzip.compress(data, compresslevel=9, mtime=0))
        probes = [k for k in sd if k.startswith("head.")][:: max(1, len([k for k in sd if k.startswith("head.")]) // 6)]
        record["checkpoints"][name] = {
            "project": project, "head": head, "depth": depth, "num_convs": 2 * depth,
            "expect": {"kind": {"fcos": "fcos", "fix": "fixed", "dynamic": "dynamic"}[head],
                       "routersPerTower": depth, "backboneDepth": 2 + 3 * sum(cfg.depth_blocks),
                       "channels": cfg.fpn_channels, "numClasses": cfg.num_classes},
            "tensors": len(sd), "params": int(sum(v.numel() for v in sd.values())), "bytes": len(data),
            "first_values": {k: [float(x) for x in sd[k].flatten()[:4]] for k in probes},
        }
        print(f"{name}: {head} D{depth}, {len(sd)} tensors, {record['checkpoints'][name]['params']:,} params, "
              f"{len(data) / 2 ** 20:.1f} MiB")
    with open(os.path.join(args.out, "zoo.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
