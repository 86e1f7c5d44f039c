"""Golden outputs of the official Fix head for the engine's parity test on a zoo-layout checkpoint:

    /usr/bin/python3 -m tools.reference.zoo_parity

Loads tests/fixtures/zoo/fcos.res50.1x.fix.d4.pth.gz (seeded weights in the official module tree,
written by zoo_checkpoints.py), runs backbone + FPN and ``FCOSFixHead.forward`` - the official
fix_conv.py semantics, written separately from the reference's ``fixed`` mode - in float64 on a
seeded pre-processed input, and writes the input and the head outputs (NCHW float32) to
tests/fixtures/zoo/fix-d4-parity.{bin,json}. The TypeScript test converts the same checkpoint with
the converter and compares the engine's head outputs: that checks the converter's reading of the
official Fix layout (no scale weight: the scale sum is added unweighted) and the engine's fixed
head against the official forward, not against our own interpretation of it.
"""
import gzip
import io
import json
import os

import torch

from .model import LEVEL_NAMES
from .zoo_checkpoints import DEFAULT_OUT, Detector, config_for

CHECKPOINT = "fcos.res50.1x.fix.d4.pth.gz"
HEIGHT, WIDTH = 64, 96


def main():
    with open(os.path.join(DEFAULT_OUT, CHECKPOINT), "rb") as f:
        state = torch.load(io.BytesIO(gzip.decompress(f.read())), map_location="cpu")["model"]
    model = Detector(config_for("fix", 4, False), "fix")
    model.load_state_dict(state)
    model = model.double().eval()
    g = torch.Generator()
    g.manual_seed(20261204)
    # A pre-processed BGR image (pixel - mean, std 1): values in about ±120, multiples of 1/8.
    x = torch.round(torch.randn((1, 3, HEIGHT, WIDTH), generator=g, dtype=torch.float64) * 60 * 8) / 8
    with torch.no_grad():
        feats = model.backbone(x)
        logits, bbox, ctr = model.head(feats)
    tensors = [("input", x)]
    for l, name in enumerate(LEVEL_NAMES):
        tensors += [(f"head.cls_logits.{name}", logits[l]), (f"head.bbox_reg.{name}", bbox[l]),
                    (f"head.centerness.{name}", ctr[l])]
    chunks, entries, offset = [], [], 0
    for name, t in tensors:
        data = t.to(torch.float32).contiguous().numpy().tobytes()
        entries.append({"name": name, "shape": list(t.shape), "offset": offset, "nbytes": len(data)})
        chunks.append(data)
        offset += len(data)
        print(f"{name}: {list(t.shape)}, max |v| {float(t.abs().max()):.4g}")
    base = os.path.join(DEFAULT_OUT, "fix-d4-parity")
    with open(base + ".bin", "wb") as f:
        f.write(b"".join(chunks))
    with open(base + ".json", "w") as f:
        json.dump({"generator": "tools/reference/zoo_parity.py", "checkpoint": CHECKPOINT, "layout": "NCHW",
                   "dtype": "float32 (computed in float64)", "tensors": entries}, f, indent=1)
        f.write("\n")
    print(f"wrote {base}.bin ({offset / 1024:.0f} KiB) and .json")


if __name__ == "__main__":
    main()
