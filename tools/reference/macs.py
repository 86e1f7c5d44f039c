"""Multiply-accumulate accounting (one MAC = one multiply-add)."""
from collections import defaultdict

import torch
from torch import nn


class MacCounter:
    def __init__(self):
        self.c = defaultdict(int)

    def add(self, key, n):
        self.c[key] += int(n)


def backbone_fpn_macs(model, image):
    """Dense MACs of every conv in the backbone (ResNet) and FPN (incl. P6/P7) for one input."""
    counts = {"backbone": 0, "fpn": 0}
    hooks = []
    for name, m in model.backbone.named_modules():
        if isinstance(m, nn.Conv2d):
            key = "backbone" if name.startswith("bottom_up") else "fpn"

            def hook(mod, inp, out, key=key):
                k = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
                counts[key] += out.numel() * k

            hooks.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model.backbone(image)
    for h in hooks:
        h.remove()
    return counts


def head_macs(counter: MacCounter, mode):
    """Summarise a MacCounter filled by a head forward.

    dense_fixed    : the static head (depthwise scale paths at every consumed source level,
                     both bottleneck convs at every pixel, predictors) - no gates;
    dense_dynamic  : dense_fixed + all spatial gate convs (what a dense dynamic engine runs);
    executed       : what the masked execution (official semantics, and the WebGPU engine) runs:
                     gate convs dense, the depthwise scale paths dense at every consumed source
                     pixel (officially they run dense and are then multiplied by the gate), conv1
                     at dilated-mask pixels, conv2 at mask pixels, predictors dense;
    scale_dw_executed : the depthwise MACs at pixels whose gate is > 0 only (what a gated
                     depthwise could skip to; not part of `executed`).
    The FCOS baseline head (mode "fcos") is dense: dense_fixed = its tower convs + predictors.
    GroupNorm, resizes, element-wise ops are not counted."""
    c = counter.c
    fixed = c["scale_dw_dense"] + c["depth_conv_dense"] + c["tower_conv_dense"] + c["predictors"]
    out = {
        "dense_fixed": fixed,
        "predictors": c["predictors"],
    }
    if mode not in ("fixed", "fcos"):
        out.update({
            "gate_convs": c["gate_conv"],
            "dense_dynamic": fixed + c["gate_conv"],
            "scale_dw_executed": c["scale_dw_executed"],
            "depth_convs_executed": c["depth_conv_executed"],
            "executed": c["gate_conv"] + c["scale_dw_dense"] + c["depth_conv_executed"]
            + c["predictors"],
        })
        out["executed_over_dense_fixed"] = out["executed"] / max(fixed, 1)
    return out


def official_running_cost(rec, C, num_routers, towers=("cls_subnet", "bbox_subnet")):
    """The cvpods ``get_module_running_cost`` 'used_cost' (hard gates), as printed by the official
    evaluation ('Head Complexity ... GFLOPs' = this / 2**30): per DynamicConv2D gate
    (9*C + C) per active pixel at *every* level (also the never-consumed ones), per
    DynamicBottleneck (9*C*C + C) per mask pixel + (9*C*C + C) per dilated-mask pixel.
    Gate convs and predictors are not included."""
    total = 0
    for t in towers:
        for i in range(num_routers):
            for l in ("p3", "p4", "p5", "p6", "p7"):
                for s in (0, 1):
                    total += int((rec[f"{t}.{i}.scale{s}.gate.{l}"] > 0).sum()) * (9 * C + C)
                total += int(rec[f"{t}.{i}.depth.mask.{l}"].sum()) * (9 * C * C + C)
                total += int(rec[f"{t}.{i}.depth.mask_dilated.{l}"].sum()) * (9 * C * C + C)
    return total
