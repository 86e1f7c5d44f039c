"""FCOS + ResNet + FPN (P3-P7) + fine-grained dynamic head, inference only.

Module names reproduce the official cvpods implementation so that ``state_dict()`` keys are
exactly the checkpoint names (spec section 6).  Three head execution modes:

* ``masked`` - the official masked inference (list active pixels, im2col, matmul, GroupNorm on the
  compacted columns, scatter into zeros), see ``ops.masked_conv2d``;
* ``dense``  - the same maths written densely: dense convs multiplied by 0/1 masks, GroupNorm
  statistics weighted by the masks;
* ``fixed``  - the static baseline: every gate treated as 1 (gate convs unused), GroupNorm over
  all pixels;
* ``fcos``   - the FCOS baseline head (cvpods ``FCOSHead``, ``head_mode="fcos"``): per tower
  NUM_CONVS x (conv 3x3 with bias, GroupNorm, ReLU), no routers.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig
from .ops import (compact_group_norm, gate_activation_fn, masked_conv2d, masked_group_norm,
                  resize_align_corners)

LEVEL_NAMES = ["p3", "p4", "p5", "p6", "p7"]


# ----------------------------------------------------------------------------- backbone
class FrozenBatchNorm2d(nn.Module):
    """Detectron2 FrozenBatchNorm2d: four buffers, y = x * scale + (bias - mean * scale)."""

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features) - eps)
        self.calibrating = False  # when True, running stats are set from the incoming batch

    def forward(self, x):
        if self.calibrating:
            self.running_mean.copy_(x.mean(dim=(0, 2, 3)))
            self.running_var.copy_(x.var(dim=(0, 2, 3), unbiased=False) + 1e-4)
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        bias = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)


class Conv2d(nn.Conv2d):
    """Detectron2 ``layers.Conv2d``: conv followed by an optional ``norm`` sub-module."""

    def __init__(self, *args, norm=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm = norm

    def forward(self, x):
        x = super().forward(x)
        if self.norm is not None:
            x = self.norm(x)
        return x


class BasicStem(nn.Module):
    def __init__(self, in_channels, out_channels, eps):
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, kernel_size=7, stride=2, padding=3,
                            bias=False, norm=FrozenBatchNorm2d(out_channels, eps))

    def forward(self, x):
        x = F.relu(self.conv1(x))
        return F.max_pool2d(x, kernel_size=3, stride=2, padding=1)


class BottleneckBlock(nn.Module):
    def __init__(self, in_channels, out_channels, bottleneck_channels, stride, stride_in_1x1, eps):
        super().__init__()
        if in_channels != out_channels:
            self.shortcut = Conv2d(in_channels, out_channels, kernel_size=1, stride=stride,
                                   bias=False, norm=FrozenBatchNorm2d(out_channels, eps))
        else:
            self.shortcut = None
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = Conv2d(in_channels, bottleneck_channels, kernel_size=1, stride=s1,
                            bias=False, norm=FrozenBatchNorm2d(bottleneck_channels, eps))
        self.conv2 = Conv2d(bottleneck_channels, bottleneck_channels, kernel_size=3, stride=s3,
                            padding=1, bias=False, norm=FrozenBatchNorm2d(bottleneck_channels, eps))
        self.conv3 = Conv2d(bottleneck_channels, out_channels, kernel_size=1, bias=False,
                            norm=FrozenBatchNorm2d(out_channels, eps))

    def forward(self, x):
        out = F.relu(self.conv1(x))
        out = F.relu(self.conv2(out))
        out = self.conv3(out)
        shortcut = self.shortcut(x) if self.shortcut is not None else x
        return F.relu(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        eps = cfg.frozen_bn_eps
        self.stem = BasicStem(3, cfg.stem_out_channels, eps)
        in_c = cfg.stem_out_channels
        out_c = cfg.res2_out_channels
        bott = cfg.width_per_group
        self.stage_names = []
        for i, n in enumerate(cfg.depth_blocks):
            stage = 2 + i
            blocks = []
            for b in range(n):
                stride = (1 if i == 0 else 2) if b == 0 else 1
                blocks.append(BottleneckBlock(in_c, out_c, bott, stride, cfg.stride_in_1x1, eps))
                in_c = out_c
            self.add_module(f"res{stage}", nn.Sequential(*blocks))
            self.stage_names.append(f"res{stage}")
            out_c *= 2
            bott *= 2
        self.out_channels = in_c

    def forward(self, x):
        outs = {}
        x = self.stem(x)
        for name in self.stage_names:
            x = getattr(self, name)(x)
            outs[name] = x
        return outs


class LastLevelP6P7(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        # Official quirk (detectron2 / cvpods LastLevelP6P7): P5 instead of C5 when the channel
        # counts agree.
        self.use_P5 = in_channels == out_channels

    def forward(self, c5, p5):
        p6 = self.p6(p5 if self.use_P5 else c5)
        p7 = self.p7(F.relu(p6))
        return [p6, p7]


class FPN(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.bottom_up = ResNet(cfg)
        C = cfg.fpn_channels
        res_out = [cfg.res2_out_channels * 2 ** i for i in range(4)]
        for stage, in_c in zip((3, 4, 5), res_out[1:]):
            self.add_module(f"fpn_lateral{stage}", nn.Conv2d(in_c, C, 1))
            self.add_module(f"fpn_output{stage}", nn.Conv2d(C, C, 3, 1, 1))
        self.top_block = LastLevelP6P7(res_out[3], C)

    def forward(self, x):
        bu = self.bottom_up(x)
        c3, c4, c5 = bu["res3"], bu["res4"], bu["res5"]
        prev = self.fpn_lateral5(c5)
        p5 = self.fpn_output5(prev)
        prev = self.fpn_lateral4(c4) + F.interpolate(prev, scale_factor=2, mode="nearest")
        p4 = self.fpn_output4(prev)
        prev = self.fpn_lateral3(c3) + F.interpolate(prev, scale_factor=2, mode="nearest")
        p3 = self.fpn_output3(prev)
        p6, p7 = self.top_block(c5, p5)
        return [p3, p4, p5, p6, p7]


# ----------------------------------------------------------------------------- head
def dense_group_norm(gn, x):
    """nn.GroupNorm forward through the aten kernel directly (skips the python check that rejects
    groups holding a single value, reachable with C == 32 groups on a 1x1 level)."""
    return torch.group_norm(x, gn.num_groups, gn.weight, gn.bias, gn.eps, False)


class SpatialGate(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        self.gate_conv = nn.Conv2d(in_channels, 1, 3, padding=1)


class DynamicConv2D(nn.Module):
    """One depthwise scale path: convs.0 = depthwise 3x3 (bias), convs.1 = GroupNorm."""

    def __init__(self, C, groups, eps):
        super().__init__()
        self.convs = nn.Sequential(nn.Conv2d(C, C, 3, padding=1, groups=C),
                                   nn.GroupNorm(groups, C, eps=eps))
        self.gate = SpatialGate(C)


class BasicBlock(nn.Module):
    def __init__(self, C, groups, eps):
        super().__init__()
        self.conv1 = Conv2d(C, C, 3, padding=1, bias=False, norm=nn.GroupNorm(groups, C, eps=eps))
        self.conv2 = Conv2d(C, C, 3, padding=1, bias=False, norm=nn.GroupNorm(groups, C, eps=eps))


class DynamicBottleneck(nn.Module):
    def __init__(self, C, groups, eps):
        super().__init__()
        self.bottleneck = BasicBlock(C, groups, eps)
        self.gate = SpatialGate(C)


class DynamicScale(nn.Module):
    """One router: scale part (two depthwise paths) followed by the depth part."""

    def __init__(self, C, groups, eps):
        super().__init__()
        self.dynamic_convs = nn.ModuleList([DynamicConv2D(C, groups, eps) for _ in range(2)])
        self.scale_weight = nn.Parameter(torch.zeros(1))
        self.output_weight = nn.Parameter(torch.ones(1))
        self.depth_module = DynamicBottleneck(C, groups, eps)


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))


class FCOSDynamicHead(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        C, G, eps = cfg.fpn_channels, cfg.gn_groups, cfg.gn_eps
        self.cls_subnet = nn.Sequential(*[DynamicScale(C, G, eps) for _ in range(cfg.num_routers)])
        self.bbox_subnet = nn.Sequential(*[DynamicScale(C, G, eps) for _ in range(cfg.num_routers)])
        self.cls_score = nn.Conv2d(C, cfg.num_classes, 3, padding=1)
        self.bbox_pred = nn.Conv2d(C, 4, 3, padding=1)
        self.centerness = nn.Conv2d(C, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale() for _ in cfg.fpn_strides])


class FCOSHead(nn.Module):
    """cvpods ``FCOSHead``: cls_subnet / bbox_subnet are nn.Sequential of (Conv2d 3x3 with bias,
    GroupNorm, ReLU) x NUM_CONVS, so the convs are ``head.<tower>.<3k>`` and the GroupNorms
    ``head.<tower>.<3k+1>``; the same predictors and per-level Scale as the dynamic head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        C, G, eps = cfg.fpn_channels, cfg.gn_groups, cfg.gn_eps

        def tower():
            layers = []
            for _ in range(2 * cfg.num_routers):
                layers += [nn.Conv2d(C, C, 3, padding=1), nn.GroupNorm(G, C, eps=eps), nn.ReLU()]
            return nn.Sequential(*layers)

        self.cls_subnet = tower()
        self.bbox_subnet = tower()
        self.cls_score = nn.Conv2d(C, cfg.num_classes, 3, padding=1)
        self.bbox_pred = nn.Conv2d(C, 4, 3, padding=1)
        self.centerness = nn.Conv2d(C, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale() for _ in cfg.fpn_strides])


class FixScaleConv2d(nn.Module):
    """cvpods ``layers/fix_conv.py`` ScaleConv2d (one router of the official Fix head): the two
    depthwise scale paths ``convs.<s>.{0: conv, 1: GroupNorm}``, ``output_weight`` and no
    ``scale_weight`` (the scale sum is added unweighted), then the depth module."""

    def __init__(self, C, groups, eps):
        super().__init__()
        self.convs = nn.ModuleList([nn.Sequential(nn.Conv2d(C, C, 3, padding=1, groups=C),
                                                  nn.GroupNorm(groups, C, eps=eps))
                                    for _ in range(2)])
        self.output_weight = nn.Parameter(torch.ones(1))
        self.depth_module = FixBottleneck(C, groups, eps)


class FixBottleneck(nn.Module):
    """cvpods ``layers/fix_conv.py`` Bottleneck: ``bottleneck`` = BasicBlock (conv1, conv2 with
    GroupNorm ``norm``; no shortcut conv when the widths agree)."""

    def __init__(self, C, groups, eps):
        super().__init__()
        self.bottleneck = BasicBlock(C, groups, eps)


class FCOSFixHead(nn.Module):
    """cvpods ``FCOSFixHead`` (the zoo's "FCOS+Fix"): D ScaleConv2d routers per tower, the same
    predictors. Its state dict names are what the converter reads as a fixed head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        C, G, eps = cfg.fpn_channels, cfg.gn_groups, cfg.gn_eps
        self.cls_subnet = nn.Sequential(*[FixScaleConv2d(C, G, eps) for _ in range(cfg.num_routers)])
        self.bbox_subnet = nn.Sequential(*[FixScaleConv2d(C, G, eps) for _ in range(cfg.num_routers)])
        self.cls_score = nn.Conv2d(C, cfg.num_classes, 3, padding=1)
        self.bbox_pred = nn.Conv2d(C, 4, 3, padding=1)
        self.centerness = nn.Conv2d(C, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale() for _ in cfg.fpn_strides])
        self.strides = list(cfg.fpn_strides)

    @torch.no_grad()
    def forward(self, feats):
        """The official forward, written from cvpods ``layers/fix_conv.py`` independently of the
        ``fixed`` mode of ``FCOS.router_forward`` (which reads the same checkpoint converted):
        per router and level l, y = sum over the existing neighbours of the depthwise path (GN
        over all pixels) resized with align_corners - path 0 from level l - 1, path 1 from
        l + 1 - plus x * output_weight, unweighted; then ReLU(GN(conv2(ReLU(GN(conv1 y)))) + y).
        Predictors as in cvpods FCOS: logits, Scale * bbox_pred -> ReLU * stride, centerness on
        the box tower. Returns (logits, bbox_reg, centerness) per level."""
        towers = []
        for tower in (self.cls_subnet, self.bbox_subnet):
            xs = list(feats)
            for router in tower:
                # (GroupNorm through dense_group_norm: one value per group on a 1x1 level is valid.)
                paths = [[dense_group_norm(seq[1], seq[0](x)) for seq in router.convs] for x in xs]
                ys = []
                for l, x in enumerate(xs):
                    total = x * router.output_weight
                    for s, source in ((0, l - 1), (1, l + 1)):
                        if 0 <= source < len(xs):
                            total = total + F.interpolate(paths[source][s], size=x.shape[-2:],
                                                          mode="bilinear", align_corners=True)
                    ys.append(total)
                block = router.depth_module.bottleneck
                c1, c2 = block.conv1, block.conv2
                xs = [F.relu(dense_group_norm(c2.norm, F.conv2d(F.relu(dense_group_norm(c1.norm, F.conv2d(y, c1.weight, None, padding=1))),
                                                                c2.weight, None, padding=1)) + y) for y in ys]
            towers.append(xs)
        logits = [self.cls_score(c) for c in towers[0]]
        bbox = [F.relu(self.scales[l].scale * self.bbox_pred(b)) * self.strides[l]
                for l, b in enumerate(towers[1])]
        ctr = [self.centerness(b) for b in towers[1]]
        return logits, bbox, ctr


def fcos_tower_forward(tower: nn.Sequential, x, rec=None, prefix="", level="", macs=None):
    """One FCOS baseline tower on one level; records each conv's output (bias included, before
    its GroupNorm) as ``<prefix>.<3k>.out.<level>``."""
    for k in range(0, len(tower), 3):
        conv, gn = tower[k], tower[k + 1]
        z = conv(x)
        if rec is not None:
            rec[f"{prefix}.{k}.out.{level}"] = z
        if macs is not None:
            macs.add("tower_conv_dense", 9 * conv.in_channels * conv.out_channels * z.shape[-2] * z.shape[-1])
        x = F.relu(dense_group_norm(gn, z))
    return x


class FCOS(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.backbone = FPN(cfg)
        self.head = FCOSHead(cfg) if cfg.head_mode == "fcos" else FCOSDynamicHead(cfg)
        self.gate_act = gate_activation_fn(cfg.gate_activation, cfg.gate_tau)

    # ------------------------------------------------------------------ router
    def scale_path_used(self, s, l, L=5):
        """Is path s computed at source level l consumed by some target level?"""
        return (s == 0 and l + 1 < L) or (s == 1 and l - 1 >= 0)

    def scale_part(self, router: DynamicScale, feats, mode, rec=None, prefix="", macs=None):
        """Scale part of one router: returns y_l for every level."""
        L = len(feats)
        C = feats[0].shape[1]
        paths = []
        for l, x in enumerate(feats):
            per = []
            for s, dc in enumerate(router.dynamic_convs):
                # depthwise conv + GroupNorm over all pixels (official: dense, then x gate)
                data = dense_group_norm(dc.convs[1], dc.convs[0](x))
                if mode == "fixed":
                    g = None
                    per.append(data)
                else:
                    z = dc.gate.gate_conv(x)
                    g = self.gate_act(z)
                    per.append(data * g)
                    if rec is not None:
                        rec[f"{prefix}.scale{s}.gate_logit.{LEVEL_NAMES[l]}"] = z
                        rec[f"{prefix}.scale{s}.gate.{LEVEL_NAMES[l]}"] = g
                if macs is not None and self.scale_path_used(s, l, L):
                    hw = x.shape[-2] * x.shape[-1]
                    macs.add("scale_dw_dense", 9 * C * hw)
                    if mode != "fixed":
                        macs.add("gate_conv", 9 * C * hw)
                        macs.add("scale_dw_executed", 9 * C * int((g > 0).sum()))
            paths.append(per)
        ys = []
        for l, x in enumerate(feats):
            scale_feature = []
            for s in range(2):
                src = l - 1 if s == 0 else l + 1
                if 0 <= src < L:
                    scale_feature.append(resize_align_corners(paths[src][s], x.shape[-2:]))
            ys.append(sum(scale_feature) * router.scale_weight + x * router.output_weight)
        return ys

    def router_forward(self, router: DynamicScale, feats, mode, rec=None, prefix="", macs=None,
                       dump_y=False):
        """One router.  feats: list of 5 tensors [B, C, H_l, W_l] (B must be 1 for 'masked')."""
        C = feats[0].shape[1]
        G = router.dynamic_convs[0].convs[1].num_groups
        ys = self.scale_part(router, feats, mode, rec, prefix, macs)
        depth = router.depth_module
        bb = depth.bottleneck
        outs = []
        for l, y in enumerate(ys):
            ln = LEVEL_NAMES[l]
            if rec is not None and dump_y:
                rec[f"{prefix}.y.{ln}"] = y
            hw = y.shape[-2] * y.shape[-1]
            n1, n2 = bb.conv1.norm, bb.conv2.norm
            if mode == "fixed":
                h = F.relu(dense_group_norm(n1, F.conv2d(y, bb.conv1.weight, None, padding=1)))
                o = dense_group_norm(n2, F.conv2d(h, bb.conv2.weight, None, padding=1))
                out = F.relu(o + y)
                if macs is not None:
                    macs.add("depth_conv_dense", 2 * 9 * C * C * hw)
            else:
                z = depth.gate.gate_conv(y)
                g = self.gate_act(z)
                gmax = F.max_pool2d(g, kernel_size=3, stride=1, padding=1)
                m1 = (gmax > 0).to(y.dtype)
                m2 = (g > 0).to(y.dtype)
                if mode == "masked":
                    h = masked_conv2d(y, gmax[0, 0], bb.conv1.weight, None,
                                      [compact_group_norm(n1), F.relu])
                    o = masked_conv2d(h, g[0, 0], bb.conv2.weight, None, compact_group_norm(n2))
                elif mode == "dense":
                    h = F.conv2d(y, bb.conv1.weight, None, padding=1)
                    h = F.relu(masked_group_norm(h, m1, G, n1.weight, n1.bias, n1.eps)) * m1
                    o = F.conv2d(h, bb.conv2.weight, None, padding=1)
                    o = masked_group_norm(o, m2, G, n2.weight, n2.bias, n2.eps)
                else:
                    raise ValueError(mode)
                out = F.relu(o * g + y)
                if rec is not None:
                    rec[f"{prefix}.depth.gate_logit.{ln}"] = z
                    rec[f"{prefix}.depth.gate.{ln}"] = g
                    rec[f"{prefix}.depth.mask_dilated.{ln}"] = m1
                    rec[f"{prefix}.depth.mask.{ln}"] = m2
                if macs is not None:
                    macs.add("depth_conv_dense", 2 * 9 * C * C * hw)
                    macs.add("gate_conv", 9 * C * hw)
                    macs.add("depth_conv_executed",
                             9 * C * C * (int(m1.sum()) + int(m2.sum())))
            if rec is not None:
                rec[f"{prefix}.out.{ln}"] = out
            outs.append(out)
        return outs

    # ------------------------------------------------------------------ head
    def head_forward(self, feats, mode, rec=None, macs=None, dump_y=False):
        head = self.head
        towers = {}
        for tname in ("cls_subnet", "bbox_subnet"):
            x = feats
            if mode == "fcos":
                x = [fcos_tower_forward(getattr(head, tname), f, rec, tname, LEVEL_NAMES[l], macs)
                     for l, f in enumerate(feats)]
            else:
                for i, router in enumerate(getattr(head, tname)):
                    x = self.router_forward(router, x, mode, rec, f"{tname}.{i}", macs, dump_y)
            towers[tname] = x
        logits, bbox_reg, ctrness = [], [], []
        K = self.cfg.num_classes
        for l, (c, b) in enumerate(zip(towers["cls_subnet"], towers["bbox_subnet"])):
            lg = head.cls_score(c)
            ct = head.centerness(b)
            bp = head.scales[l].scale * head.bbox_pred(b)
            br = F.relu(bp) * self.cfg.fpn_strides[l]
            logits.append(lg)
            bbox_reg.append(br)
            ctrness.append(ct)
            if rec is not None:
                ln = LEVEL_NAMES[l]
                rec[f"head.cls_logits.{ln}"] = lg
                rec[f"head.bbox_reg.{ln}"] = br
                rec[f"head.centerness.{ln}"] = ct
            if macs is not None:
                hw = c.shape[-2] * c.shape[-1]
                macs.add("predictors", 9 * c.shape[1] * (K + 4 + 1) * hw)
        return logits, bbox_reg, ctrness

    @torch.no_grad()
    def forward(self, image, mode="masked", rec=None, macs=None, dump_y=False):
        """image: preprocessed, padded [1, 3, H, W].  Returns (logits, bbox_reg, centerness)."""
        if (mode == "fcos") != (self.cfg.head_mode == "fcos"):
            raise ValueError(f"mode {mode} does not fit a {self.cfg.head_mode} head")
        feats = self.backbone(image)
        if rec is not None:
            rec["input"] = image
            for n, f in zip(LEVEL_NAMES, feats):
                rec[f"fpn.{n}"] = f
        return self.head_forward(feats, mode, rec, macs, dump_y)


def build_model(cfg: ModelConfig) -> FCOS:
    m = FCOS(cfg)
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def strip_gates(state_dict):
    """State dict of the fixed head checkpoint: gate convs removed (everything else kept)."""
    return {k: v for k, v in state_dict.items() if ".gate.gate_conv." not in k}
