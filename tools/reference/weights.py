"""Deterministic, calibrated synthetic weights.

Every tensor is drawn from its own generator seeded by (config seed, parameter name), so the
result does not depend on iteration order.  Then a data-driven calibration pass (deterministic
synthetic calibration images + the config's fixture images):

* FrozenBN running_mean / running_var are set to the batch statistics of their input on the
  calibration batch (so every BN sees normalised data; running_var > 0 always);
* FPN / top-block conv weights are rescaled so their outputs have unit standard deviation;
* head, router by router in execution order: every spatial gate conv gets a random direction
  scaled to a pre-activation std sigma ~ U(1.5, 3) and a bias putting its density at a target
  d ~ U(0.12, 0.55); the bias is then nudged (|delta| <= 0.25) to maximise the smallest |gate
  pre-activation| over all calibration + fixture pixels (parity robustness);
* predictors: cls logits std 1.5 with per-class bias so that 1-5 % of entries pass p > 0.05;
  box regression ~1-2.5 strides; centerness logits std 1.5.
"""
import re
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from .images import calibration_images
from .model import FrozenBatchNorm2d, build_model, fcos_tower_forward

LOGIT_005 = float(np.log(0.05 / 0.95))


def _gen(seed, name):
    g = torch.Generator()
    g.manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (2 ** 62))
    return g


def _u(g, shape, lo, hi):
    return torch.rand(shape, generator=g) * (hi - lo) + lo


def _n(g, shape, std):
    return torch.randn(shape, generator=g) * std


def init_weights(model, seed):
    sd = model.state_dict()
    new = {}
    for name, t in sd.items():
        g = _gen(seed, name)
        shape = t.shape
        if name.endswith("running_mean"):
            v = torch.zeros(shape)
        elif name.endswith("running_var"):
            v = torch.ones(shape)
        elif name.startswith("backbone.bottom_up"):
            if name.endswith(".norm.weight"):
                v = _u(g, shape, 0.2, 0.5) if ".conv3." in name else _u(g, shape, 0.7, 1.3)
            elif name.endswith(".norm.bias"):
                v = _u(g, shape, -0.1, 0.1) if ".conv3." in name else _u(g, shape, -0.2, 0.3)
            else:  # conv weight, He normal
                fan_in = shape[1] * shape[2] * shape[3]
                v = _n(g, shape, (2.0 / fan_in) ** 0.5)
        elif name.startswith("backbone."):  # FPN and top block
            if name.endswith("weight"):
                fan_in = shape[1] * shape[2] * shape[3]
                v = _n(g, shape, (1.0 / fan_in) ** 0.5)
            else:
                v = _n(g, shape, 0.05)
        elif re.match(r"head\.(cls|bbox)_subnet\.\d+\.(weight|bias)$", name):  # FCOS baseline tower
            k = int(name.split(".")[2])
            if k % 3 == 0 and name.endswith("weight"):  # conv, He normal
                fan_in = shape[1] * shape[2] * shape[3]
                v = _n(g, shape, (2.0 / fan_in) ** 0.5)
            elif k % 3 == 0:  # conv bias (changes the GroupNorm statistics per channel)
                v = _n(g, shape, 0.1)
            elif name.endswith("weight"):  # GroupNorm
                v = _u(g, shape, 0.7, 1.3)
            else:
                v = _u(g, shape, -0.2, 0.3)
        elif ".gate.gate_conv." in name:
            v = _n(g, shape, 1.0) if name.endswith("weight") else torch.zeros(shape)
        elif ".dynamic_convs." in name:
            if ".convs.0.weight" in name:
                v = _n(g, shape, 1.0 / 3.0)
            elif ".convs.1.weight" in name:
                v = _u(g, shape, 0.6, 1.2)
            else:  # conv bias, GN bias
                v = _n(g, shape, 0.1)
        elif ".depth_module.bottleneck." in name:
            if name.endswith("norm.weight"):
                v = _u(g, shape, 0.7, 1.3) if ".conv1." in name else _u(g, shape, 0.3, 0.7)
            elif name.endswith("norm.bias"):
                v = _u(g, shape, -0.2, 0.3) if ".conv1." in name else _n(g, shape, 0.1)
            else:
                fan_in = shape[1] * shape[2] * shape[3]
                v = _n(g, shape, (2.0 / fan_in) ** 0.5)
        elif name.endswith("scale_weight"):
            v = _u(g, shape, 0.3, 0.6)
        elif name.endswith("output_weight"):
            v = _u(g, shape, 0.6, 0.9)
        elif name.startswith("head.scales."):
            v = _u(g, shape, 0.8, 1.2)
        elif name.startswith("head.") and name.endswith("weight"):  # predictors
            fan_in = shape[1] * shape[2] * shape[3]
            v = _n(g, shape, (1.0 / fan_in) ** 0.5)
        elif name.startswith("head.") and name.endswith("bias"):
            v = torch.zeros(shape)
        else:
            raise KeyError(name)
        new[name] = v.to(t.dtype)
    model.load_state_dict(new)


def _best_offset(z, max_delta=0.25, steps=20001):
    """Offset delta in [-max_delta, max_delta] maximising min |z + delta|."""
    zs = torch.sort(z.double().flatten()).values
    deltas = torch.linspace(-max_delta, max_delta, steps, dtype=torch.float64)
    # nearest z to -delta via searchsorted
    pos = torch.searchsorted(zs, -deltas).clamp(1, len(zs) - 1)
    m = torch.minimum((zs[pos] + deltas).abs(), (zs[pos - 1] + deltas).abs())
    i = int(torch.argmax(m))
    return float(deltas[i]), float(m[i])


def _calibrate_gate(gate_conv, inputs, g, act_name):
    """inputs: list of [1, C, H, W] tensors (all pixels used for statistics)."""
    w = gate_conv.weight
    z0 = torch.cat([F.conv2d(x, w, None, padding=1).flatten() for x in inputs])
    sigma = float(_u(g, (), 1.5, 3.0))
    density = float(_u(g, (), 0.12, 0.55))
    k = sigma / float(z0.std().clamp(min=1e-12))
    w.mul_(k)
    z0 = z0 * k
    if act_name == "Sigmoid":  # never exactly 0: any bias gives a dense mask
        b = 0.0
    else:
        b = -float(torch.quantile(z0.double(), 1.0 - density))
    delta, margin = _best_offset(z0 + b)
    gate_conv.bias.fill_(b + delta)
    return {"target_density": density, "sigma": sigma, "margin": margin}


@torch.no_grad()
def calibrate(model, cfg, fixture_inputs, seed):
    """fixture_inputs: list of preprocessed padded [1,3,H,W] tensors of the config's images."""
    # ---------------- backbone + FPN on a synthetic calibration batch
    h, w = fixture_inputs[0].shape[-2:]
    calib = []
    for im in calibration_images(h, w, n=2, seed=1000 + seed):
        x = torch.from_numpy(im[..., ::-1].astype(np.float32)).permute(2, 0, 1)
        x = x - torch.tensor(cfg.pixel_mean).view(3, 1, 1)
        calib.append(x.unsqueeze(0))
    batch = torch.cat(calib)
    bns = [m for m in model.modules() if isinstance(m, FrozenBatchNorm2d)]
    for m in bns:
        m.calibrating = True
    hooks = []

    def unit_std_hook(mod, inp, out):
        base = F.conv2d(inp[0], mod.weight, None, mod.stride, mod.padding)
        mod.weight.mul_(1.0 / float(base.std().clamp(min=1e-12)))
        return F.conv2d(inp[0], mod.weight, mod.bias, mod.stride, mod.padding)

    bb = model.backbone
    for name in ["fpn_lateral3", "fpn_lateral4", "fpn_lateral5", "fpn_output3", "fpn_output4",
                 "fpn_output5"]:
        hooks.append(getattr(bb, name).register_forward_hook(unit_std_hook))
    hooks.append(bb.top_block.p6.register_forward_hook(unit_std_hook))
    hooks.append(bb.top_block.p7.register_forward_hook(unit_std_hook))
    bb(batch)
    for hk in hooks:
        hk.remove()
    for m in bns:
        m.calibrating = False

    # ---------------- head, router by router (calibration images + fixture images)
    all_inputs = [c for c in calib] + list(fixture_inputs)
    feats0 = [bb(x) for x in all_inputs]
    info = {}
    head = model.head
    towers = {}
    for tname in ("cls_subnet", "bbox_subnet"):
        feats = feats0
        if cfg.head_mode == "fcos":  # no gates to calibrate
            towers[tname] = [[fcos_tower_forward(getattr(head, tname), x) for x in f] for f in feats]
            continue
        for i, router in enumerate(getattr(head, tname)):
            prefix = f"head.{tname}.{i}"
            if cfg.head_mode != "fixed":
                for s, dc in enumerate(router.dynamic_convs):
                    srcs = [f[l] for f in feats for l in range(5) if model.scale_path_used(s, l)]
                    info[f"{prefix}.scale{s}"] = _calibrate_gate(
                        dc.gate.gate_conv, srcs, _gen(seed, f"{prefix}.scale{s}.calib"),
                        cfg.gate_activation)
                ys = [model.scale_part(router, f, "dense") for f in feats]
                info[f"{prefix}.depth"] = _calibrate_gate(
                    router.depth_module.gate.gate_conv, [y for yl in ys for y in yl],
                    _gen(seed, f"{prefix}.depth.calib"), cfg.gate_activation)
            mode = "fixed" if cfg.head_mode == "fixed" else "dense"
            feats = [model.router_forward(router, f, mode) for f in feats]
        towers[tname] = feats

    # ---------------- predictors
    cls_in = [x for f in towers["cls_subnet"] for x in f]
    box_in = [x for f in towers["bbox_subnet"] for x in f]
    K = cfg.num_classes
    g = _gen(seed, "head.cls_score.calib")
    z = torch.cat([F.conv2d(x, head.cls_score.weight, None, padding=1).flatten(2)[0]
                   for x in cls_in], dim=1)  # [K, N]
    k = 1.5 / float(z.std())
    head.cls_score.weight.mul_(k)
    z = z * k
    frac = _u(g, (K,), 0.01, 0.05)
    for c in range(K):
        head.cls_score.bias[c] = LOGIT_005 - float(torch.quantile(z[c].double(), 1 - float(frac[c])))
    g = _gen(seed, "head.bbox_pred.calib")
    z = torch.cat([F.conv2d(x, head.bbox_pred.weight, None, padding=1).flatten() for x in box_in])
    head.bbox_pred.weight.mul_(0.5 / float(z.std()))
    head.bbox_pred.bias.copy_(_u(g, (4,), 1.0, 2.5))
    g = _gen(seed, "head.centerness.calib")
    z = torch.cat([F.conv2d(x, head.centerness.weight, None, padding=1).flatten() for x in box_in])
    head.centerness.weight.mul_(1.5 / float(z.std()))
    head.centerness.bias.copy_(_n(g, (1,), 0.5))
    return info


_CACHE = {}


def build_weights(cfg, fixture_inputs):
    """Model with deterministic calibrated weights for cfg (cached per config name)."""
    key = (cfg.name, cfg.seed)
    if key in _CACHE:
        return _CACHE[key]
    model = build_model(cfg)
    init_weights(model, cfg.seed)
    info = calibrate(model, cfg, fixture_inputs, cfg.seed)
    _CACHE[key] = (model, info)
    return model, info
