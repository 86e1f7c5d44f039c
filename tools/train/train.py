"""Train the reference FCOS + fine-grained dynamic head on the synthetic shapes dataset (CPU).

Offline tool (Debian python: torch 1.13 + numpy).  See tools/train/README.md for the command.

* Model: ``tools.reference.model.FCOS`` at a small width (``--preset``); the backbone's
  FrozenBatchNorm2d layers are swapped for ``nn.BatchNorm2d`` while training (training from
  scratch needs batch statistics); the checkpoint stores their running statistics under the
  FrozenBN names (``weight, bias, running_mean, running_var``; ``num_batches_tracked`` dropped),
  so the file loads into the inference reference / engine unchanged.
* Head: the official DENSE training formulation - every path runs densely and is multiplied by
  its (continuous) spatial gate so that gradients reach the gate convs:
  scale paths ``GN(dw(x)) * g_s`` (as at inference), depth part
  ``out = ReLU(GN(conv2(ReLU(GN(conv1 y)))) * g + y)`` with GroupNorm over all pixels.
  (Inference uses the masked formulation; see spec section 4.)  Optionally
  (``--masked-gn-from f``) the last part of the schedule fine-tunes with the masked-inference
  GroupNorm statistics of the depth part (statistics over the active pixels only, the
  reference's ``dense`` mode, identical maths to the masked inference), so the network adapts
  to the statistics it will see at inference; gradients still reach the gates through ``o * g``.
* FCOS targets: locations ``(x * stride, y * stride)`` (offset 0, as the inference decoder),
  a location is positive for a GT box if it lies inside the box and inside the centre-sampling
  region (radius 1.5 strides), and max(l, t, r, b) is inside the level's scale range; ties go to
  the smallest box; a GT left without any positive location (a thin bar whose range level's
  grid misses it) takes the candidate locations of the coarsest level at or below its range
  level that has any.  Losses: sigmoid focal loss (alpha 0.25, gamma 2) / #pos, GIoU loss weighted
  by the centerness target (normalised by its sum), centerness BCE / #pos.
* Budget ("resource") loss, paper section 2.3-2.4 (formulas lost; reconstructed): the expected
  executed cost of the head, computed from the *continuous* gate values, normalised by the cost
  of the same head with every gate open:

      E = sum_routers sum_levels [ 9C * sum_px g_s  (each consumed scale path s)
                                   + 9C^2 * sum_px maxpool3x3(g_d)   (conv1, dilated region)
                                   + 9C^2 * sum_px g_d ]              (conv2)
      ratio = E / E(all gates = 1)
      loss_budget = lambda * ratio                      (--budget-mode cost, no target: paper)
      loss_budget = lambda * ratio * [hard_ratio > t]   (--budget-mode cost --budget-target t)

  hard_ratio is the same cost with gates counted as executed where > 0 (the masked inference
  cost).  With a target the pressure stops once the executed cost is below t, so the detection
  loss decides where the remaining budget goes (the plain form with Adam closes the gates
  early in training, before the detector has learnt anything).  ``--budget-mode gate`` (used
  for the default model) applies the target per gate:

      loss_budget = lambda / n_gates * sum_gates mean(g) * [density(g > 0) > t]

  (one term per gate conv: the two scale gates over their consumed levels and the depth gate of
  every router), so every gate - not only the expensive depth gates - ends up sparse.
  GeReTanH is exactly 0 (zero gradient) for negative logits, so the penalty drives gate
  logits below zero where the path is switched off - the masked inference then skips it.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, REPO)
from tools.reference.config import ModelConfig  # noqa: E402
from tools.reference.model import FCOS, Conv2d, FrozenBatchNorm2d, dense_group_norm  # noqa: E402
from tools.reference.ops import masked_group_norm  # noqa: E402

NUM_CLASSES = 6

PRESETS = {
    # name: (depth_blocks, stem, res2, width_per_group, C, D)
    "shapes-d4": ([2, 2, 2, 2], 16, 64, 16, 32, 4),
    "shapes-d2": ([1, 1, 1, 1], 16, 64, 16, 32, 2),
    "shapes-c64-d4": ([2, 2, 2, 2], 16, 64, 16, 64, 4),
    "shapes-r50-c64-d4": ([3, 4, 6, 3], 16, 64, 16, 64, 4),
}
SIZES_OF_INTEREST = [(-1.0, 16.0), (16.0, 32.0), (32.0, 64.0), (64.0, 128.0), (128.0, 1e8)]


def make_config(preset, seed, image_size=160):
    blocks, stem, res2, wpg, C, D = PRESETS[preset]
    return ModelConfig(name=preset, depth_blocks=list(blocks), stem_out_channels=stem,
                       res2_out_channels=res2, width_per_group=wpg, fpn_channels=C,
                       num_routers=D, num_classes=NUM_CLASSES, min_size=image_size,
                       max_size=image_size, seed=seed, commit=False)


# ----------------------------------------------------------------------------- data
def load_split(root, split):
    with open(os.path.join(root, "annotations", f"instances_{split}.json")) as f:
        coco = json.load(f)
    from PIL import Image  # only used to decode the PNGs quickly (fallback: reference reader)
    imgs, boxes, labels = [], [], []
    by_img = {im["id"]: [] for im in coco["images"]}
    for a in coco["annotations"]:
        by_img[a["image_id"]].append(a)
    for im in coco["images"]:
        arr = np.asarray(Image.open(os.path.join(root, im["file_name"])).convert("RGB"))
        imgs.append(arr)
        anns = by_img[im["id"]]
        b = np.array([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2],
                       a["bbox"][1] + a["bbox"][3]] for a in anns], dtype=np.float32).reshape(-1, 4)
        boxes.append(b)
        labels.append(np.array([a["category_id"] - 1 for a in anns], dtype=np.int64))
    return np.stack(imgs), boxes, labels, coco


def make_batch(imgs, boxes, labels, idx, rng, cfg):
    """RGB uint8 -> BGR float normalised, with h-flip and colour-channel permutation."""
    xs, bs, ls = [], [], []
    mean = np.array(cfg.pixel_mean, dtype=np.float32)
    for i in idx:
        im = imgs[i].astype(np.float32)
        b = boxes[i].copy()
        if rng.rand() < 0.5:
            im = im[:, ::-1]
            w = im.shape[1]
            b = np.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], axis=1)
        im = im[..., rng.permutation(3)]       # colour is not a class cue
        im = im[..., ::-1] - mean               # RGB -> BGR, normalise (std 1)
        xs.append(np.ascontiguousarray(im.transpose(2, 0, 1)))
        bs.append(torch.from_numpy(b.astype(np.float32)))
        ls.append(torch.from_numpy(labels[i]))
    return torch.from_numpy(np.stack(xs)), bs, ls


# ----------------------------------------------------------------------------- model
def to_trainable(model):
    """FrozenBN -> BatchNorm2d (same parameter / buffer names) in the backbone."""
    for m in model.backbone.bottom_up.modules():
        if isinstance(m, Conv2d) and isinstance(m.norm, FrozenBatchNorm2d):
            m.norm = nn.BatchNorm2d(m.norm.num_features, eps=m.norm.eps, momentum=0.03)
    return model


def init_weights(model, cfg):
    torch.manual_seed(cfg.seed)
    for name, m in model.backbone.bottom_up.named_modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
            if name.endswith("conv3.norm"):
                nn.init.zeros_(m.weight)  # zero-init last BN of each residual branch
    for name, m in model.backbone.named_modules():
        if name.startswith("bottom_up"):
            continue
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, a=1)  # c2_xavier_fill
            nn.init.zeros_(m.bias)
    head = model.head
    for name, m in head.named_modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.GroupNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    for tname in ("cls_subnet", "bbox_subnet"):
        for r in getattr(head, tname):
            nn.init.constant_(r.scale_weight, 0.2)
            nn.init.constant_(r.output_weight, 1.0)
            gates = [dc.gate.gate_conv for dc in r.dynamic_convs] + [r.depth_module.gate.gate_conv]
            for gc in gates:
                nn.init.normal_(gc.weight, std=0.01)
                nn.init.constant_(gc.bias, 2.5)   # gate ~ 0.88: every path open at the start
    nn.init.constant_(head.cls_score.bias, -math.log((1 - 0.01) / 0.01))
    nn.init.constant_(head.bbox_pred.bias, 1.0)
    for s in head.scales:
        nn.init.constant_(s.scale, 1.0)


def router_train(model, router, feats, budget, masked_gn=False):
    """Dense training formulation of one router; accumulates soft cost into ``budget``."""
    C = feats[0].shape[1]
    L = len(feats)
    rec = {}
    ys = model.scale_part(router, feats, "dense", rec, "r")
    for l in range(L):
        for s in range(2):
            if model.scale_path_used(s, l, L):
                g = rec[f"r.scale{s}.gate.{['p3', 'p4', 'p5', 'p6', 'p7'][l]}"]
                budget["soft"] = budget["soft"] + 9 * C * g.sum(dim=(1, 2, 3))
                budget["hard"] = budget["hard"] + 9 * C * (g > 0).sum(dim=(1, 2, 3)).float()
                budget["full"] += 9 * C * g[0].numel()
                budget["dens"].append(((g > 0).float().mean().item(), g[0].numel()))
    # per-gate densities over all consumed levels (one gate conv per path)
    for s in range(2):
        gl = [rec[f"r.scale{s}.gate.{['p3', 'p4', 'p5', 'p6', 'p7'][l]}"] for l in range(L)
              if model.scale_path_used(s, l, L)]
        npx = sum(g[0].numel() for g in gl)
        budget["gates"].append((sum(g.sum(dim=(1, 2, 3)) for g in gl) / npx,
                                sum(float((g > 0).sum()) for g in gl) / (npx * gl[0].shape[0])))
    depth = router.depth_module
    bb = depth.bottleneck
    outs = []
    dsoft, dhard, dnpx = 0, 0.0, 0
    G = bb.conv1.norm.num_groups
    for y in ys:
        g = model.gate_act(depth.gate.gate_conv(y))
        gmax = F.max_pool2d(g, 3, 1, 1)
        if masked_gn:
            # reference 'dense' mode = masked inference maths: GN statistics over active pixels
            m1 = (gmax > 0).to(y.dtype)
            m2 = (g > 0).to(y.dtype)
            n1, n2 = bb.conv1.norm, bb.conv2.norm
            h = F.conv2d(y, bb.conv1.weight, None, padding=1)
            h = F.relu(masked_group_norm(h, m1, G, n1.weight, n1.bias, n1.eps)) * m1
            o = F.conv2d(h, bb.conv2.weight, None, padding=1)
            o = masked_group_norm(o, m2, G, n2.weight, n2.bias, n2.eps)
        else:
            # official training path: dense convs + GN over all pixels, multiplied by the gate
            h = F.relu(dense_group_norm(bb.conv1.norm,
                                        F.conv2d(y, bb.conv1.weight, None, padding=1)))
            o = dense_group_norm(bb.conv2.norm, F.conv2d(h, bb.conv2.weight, None, padding=1))
        outs.append(F.relu(o * g + y))
        dsoft = dsoft + g.sum(dim=(1, 2, 3))
        dhard += float((g > 0).sum())
        dnpx += g[0].numel()
        k = 9 * C * C
        budget["soft"] = budget["soft"] + k * (gmax.sum(dim=(1, 2, 3)) + g.sum(dim=(1, 2, 3)))
        budget["hard"] = budget["hard"] + k * ((gmax > 0).sum(dim=(1, 2, 3)) +
                                               (g > 0).sum(dim=(1, 2, 3))).float()
        budget["full"] += 2 * k * g[0].numel()
        budget["dens"].append(((g > 0).float().mean().item(), g[0].numel()))
    budget["gates"].append((dsoft / dnpx, dhard / (dnpx * ys[0].shape[0])))
    return outs


def forward_train(model, x, masked_gn=False):
    feats = model.backbone(x)
    head = model.head
    B = x.shape[0]
    budget = {"soft": x.new_zeros(B), "hard": x.new_zeros(B), "full": 0, "dens": [],
              "gates": []}
    towers = {}
    router_dens = []
    for tname in ("cls_subnet", "bbox_subnet"):
        f = feats
        for router in getattr(head, tname):
            n0 = len(budget["dens"])
            f = router_train(model, router, f, budget, masked_gn)
            d = budget["dens"][n0:]
            router_dens.append(sum(a * n for a, n in d) / sum(n for _, n in d))
        towers[tname] = f
    logits, regs, ctrs = [], [], []
    for l, (c, b) in enumerate(zip(towers["cls_subnet"], towers["bbox_subnet"])):
        logits.append(head.cls_score(c))
        regs.append(F.relu(head.scales[l].scale * head.bbox_pred(b)) * model.cfg.fpn_strides[l])
        ctrs.append(head.centerness(b))
    return logits, regs, ctrs, budget, router_dens


# ----------------------------------------------------------------------------- targets / losses
def locations(sizes, strides):
    locs, lvl = [], []
    for l, ((h, w), s) in enumerate(zip(sizes, strides)):
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32) * s,
                                torch.arange(w, dtype=torch.float32) * s, indexing="ij")
        locs.append(torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1))
        lvl.append(torch.full((h * w,), l, dtype=torch.long))
    return torch.cat(locs), torch.cat(lvl)


def fcos_targets(locs, lvl, strides, boxes, labels, radius=1.5):
    """Per image: labels [N] (NUM_CLASSES = background), reg targets [N, 4] (pixels)."""
    N = locs.shape[0]
    if boxes.shape[0] == 0:
        return torch.full((N,), NUM_CLASSES, dtype=torch.long), torch.zeros(N, 4)
    px, py = locs[:, 0:1], locs[:, 1:2]
    l = px - boxes[None, :, 0]
    t = py - boxes[None, :, 1]
    r = boxes[None, :, 2] - px
    b = boxes[None, :, 3] - py
    reg = torch.stack([l, t, r, b], dim=2)                     # [N, M, 4]
    inside = reg.min(dim=2).values > 0
    st = torch.tensor(strides, dtype=torch.float32)[lvl][:, None] * radius
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    x0 = torch.maximum(cx[None] - st, boxes[None, :, 0])
    y0 = torch.maximum(cy[None] - st, boxes[None, :, 1])
    x1 = torch.minimum(cx[None] + st, boxes[None, :, 2])
    y1 = torch.minimum(cy[None] + st, boxes[None, :, 3])
    in_center = (px > x0) & (py > y0) & (px < x1) & (py < y1)
    maxreg = reg.max(dim=2).values
    soi = torch.tensor(SIZES_OF_INTEREST, dtype=torch.float32)[lvl]
    in_range = (maxreg >= soi[:, 0:1]) & (maxreg <= soi[:, 1:2])
    cand = inside & in_center
    valid = cand & in_range
    # Fallback for thin objects: a GT with no positive location (e.g. a 80x16 bar whose scale
    # range points at P5, whose grid rows miss the bar) takes the candidate locations of the
    # coarsest level at or below its range's level that has any.
    bounds = torch.tensor([r[1] for r in SIZES_OF_INTEREST[:-1]])
    for m in torch.nonzero(~valid.any(dim=0)).flatten().tolist():
        c = cand[:, m]
        if not c.any():
            continue
        levels = lvl[c]
        want = int(torch.bucketize(maxreg[c, m].max(), bounds))  # level of its scale range
        ok = levels[levels <= want]
        pick = int(ok.max()) if ok.numel() else int(levels.min())
        valid[:, m] = c & (lvl == pick)
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[None].expand(N, -1).clone()
    area[~valid] = float("inf")
    amin, gi = area.min(dim=1)
    lab = labels[gi].clone()
    lab[torch.isinf(amin)] = NUM_CLASSES
    return lab, reg[torch.arange(N), gi]


def giou_loss(pred, target):
    """pred / target: [P, 4] (l, t, r, b) distances from the same point."""
    pl, pt, pr, pb = pred.unbind(1)
    tl, tt, tr, tb = target.unbind(1)
    pa = (pl + pr) * (pt + pb)
    ta = (tl + tr) * (tt + tb)
    iw = torch.minimum(pl, tl) + torch.minimum(pr, tr)
    ih = torch.minimum(pt, tt) + torch.minimum(pb, tb)
    inter = iw.clamp(min=0) * ih.clamp(min=0)
    union = pa + ta - inter
    iou = inter / union.clamp(min=1e-6)
    ew = torch.maximum(pl, tl) + torch.maximum(pr, tr)
    eh = torch.maximum(pt, tt) + torch.maximum(pb, tb)
    enc = (ew * eh).clamp(min=1e-6)
    return 1 - (iou - (enc - union) / enc)


def compute_losses(outputs, boxes, labels, cfg, lam, target=None, mode="cost"):
    logits, regs, ctrs, budget, _ = outputs
    B = logits[0].shape[0]
    sizes = [lg.shape[-2:] for lg in logits]
    locs, lvl = locations(sizes, cfg.fpn_strides)
    K = cfg.num_classes
    cls = torch.cat([lg.permute(0, 2, 3, 1).reshape(B, -1, K) for lg in logits], 1).reshape(-1, K)
    reg = torch.cat([r.permute(0, 2, 3, 1).reshape(B, -1, 4) for r in regs], 1).reshape(-1, 4)
    ctr = torch.cat([c.permute(0, 2, 3, 1).reshape(B, -1) for c in ctrs], 1).reshape(-1)
    tl, tr = [], []
    for b in range(B):
        lab, rt = fcos_targets(locs, lvl, cfg.fpn_strides, boxes[b], labels[b])
        tl.append(lab)
        tr.append(rt)
    lab = torch.cat(tl)
    rt = torch.cat(tr)
    pos = lab < K
    npos = max(int(pos.sum()), 1)
    onehot = torch.zeros_like(cls)
    onehot[pos, lab[pos]] = 1.0
    p = cls.sigmoid()
    ce = F.binary_cross_entropy_with_logits(cls, onehot, reduction="none")
    pt = p * onehot + (1 - p) * (1 - onehot)
    at = 0.25 * onehot + 0.75 * (1 - onehot)
    loss_cls = (at * (1 - pt) ** 2 * ce).sum() / npos
    rtp = rt[pos]
    lr_, tb_ = rtp[:, [0, 2]], rtp[:, [1, 3]]
    ctr_t = torch.sqrt((lr_.min(1).values / lr_.max(1).values) *
                       (tb_.min(1).values / tb_.max(1).values))
    if pos.any():
        gl = giou_loss(reg[pos], rtp)
        loss_reg = (gl * ctr_t).sum() / ctr_t.sum().clamp(min=1e-6)
        loss_ctr = F.binary_cross_entropy_with_logits(ctr[pos], ctr_t, reduction="sum") / npos
    else:
        loss_reg = reg.sum() * 0
        loss_ctr = ctr.sum() * 0
    ratio = budget["soft"] / budget["full"]
    hard_ratio = (budget["hard"] / budget["full"]).mean()
    if mode == "gate":  # every gate: its mean activation, while its density is above target
        terms = [soft.mean() * float(hard > target) for soft, hard in budget["gates"]]
        loss_budget = lam * sum(terms) / len(terms)
    elif target is None:
        loss_budget = lam * ratio.mean()
    else:  # penalise only while the executed-cost ratio is above the target
        loss_budget = lam * ratio.mean() * float(hard_ratio > target)
    gate_density = sum(h for _, h in budget["gates"]) / len(budget["gates"])
    return {"loss_cls": loss_cls, "loss_reg": loss_reg, "loss_ctr": loss_ctr,
            "loss_budget": loss_budget}, {"npos": npos / B, "soft_ratio": float(ratio.mean()),
                                          "hard_ratio": float(hard_ratio),
                                          "gate_density": gate_density}


# ----------------------------------------------------------------------------- checkpoint
def export_state_dict(model):
    sd = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        sd[k] = v.detach().clone().float().contiguous()
    return sd


def save_checkpoint(out, model, it, cfg, args, stats):
    os.makedirs(out, exist_ok=True)
    sd = export_state_dict(model)
    path = os.path.join(out, f"model_{it:07d}.pth")
    tmp = path + ".tmp"
    torch.save({"model": sd, "iteration": it}, tmp)
    os.replace(tmp, path)
    tmp = os.path.join(out, "latest.pth.tmp")
    torch.save({"model": sd, "iteration": it}, tmp)
    os.replace(tmp, os.path.join(out, "latest.pth"))
    meta = {"config": cfg.to_dict(), "args": vars(args), "iteration": it,
            "checkpoint": os.path.basename(path), "stats": stats,
            "sizes_of_interest": SIZES_OF_INTEREST}
    with open(os.path.join(out, "config.json.tmp"), "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(os.path.join(out, "config.json.tmp"), os.path.join(out, "config.json"))
    return path


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/dh-dataset")
    ap.add_argument("--out", default="/tmp/dh-train")
    ap.add_argument("--preset", default="shapes-d4", choices=sorted(PRESETS))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--iters", type=int, default=3000)
    ap.add_argument("--max-minutes", type=float, default=0.0,
                    help="also end the schedule after this wall time (lr schedule follows "
                         "max(iter fraction, time fraction)); 0 = off")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--lam", type=float, default=0.4, help="budget loss weight lambda")
    ap.add_argument("--budget-target", type=float, default=None,
                    help="if set, the budget loss is active only while the batch's executed "
                         "head-cost ratio (gates > 0, masked semantics) exceeds this target")
    ap.add_argument("--budget-mode", default="cost", choices=["cost", "gate"],
                    help="cost: executed-cost ratio of the head (paper); gate: per-gate hinge "
                         "(each gate's mean activation, while its density > --budget-target)")
    ap.add_argument("--masked-gn-from", type=float, default=2.0,
                    help="from this fraction of the schedule on, train the depth part with the "
                         "masked-inference GroupNorm statistics (reference 'dense' mode); "
                         ">= 1 = never (official dense formulation throughout)")
    ap.add_argument("--gate-lr-mult", type=float, default=1.0)
    ap.add_argument("--lam-warmup", type=float, default=0.15,
                    help="fraction of training over which lambda ramps linearly from 0")
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-train-images", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)

    cfg = make_config(args.preset, args.seed)
    model = to_trainable(FCOS(cfg))
    init_weights(model, cfg)
    model.train()
    imgs, boxes, labels, _ = load_split(args.data, "train")
    if args.max_train_images:
        imgs, boxes, labels = (imgs[:args.max_train_images], boxes[:args.max_train_images],
                               labels[:args.max_train_images])
    print(f"train images: {len(imgs)}, params: "
          f"{sum(p.numel() for p in model.parameters())}", flush=True)

    decay, no_decay, gate = [], [], []
    for n, p in model.named_parameters():
        if ".gate.gate_conv." in n:
            gate.append(p)
        elif p.dim() <= 1 or "norm" in n or ".convs.1." in n:
            no_decay.append(p)
        else:
            decay.append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd, "mult": 1.0},
                             {"params": no_decay, "weight_decay": 0.0, "mult": 1.0},
                             {"params": gate, "weight_decay": 0.0, "mult": args.gate_lr_mult}],
                            lr=args.lr)
    t0 = time.time()
    last_ckpt = t0
    order = rng.permutation(len(imgs))
    pos = 0
    agg = {}
    stats = {}
    it = 0
    while True:
        elapsed = time.time() - t0
        frac = it / args.iters
        if args.max_minutes > 0:
            frac = max(frac, elapsed / (60 * args.max_minutes))
        if frac >= 1.0:
            break
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        if it < args.warmup:
            lr *= (it + 1) / args.warmup
        for g in opt.param_groups:
            g["lr"] = lr * g["mult"]
        lam = args.lam * min(1.0, frac / args.lam_warmup) if args.lam_warmup > 0 else args.lam
        if pos + args.batch > len(order):
            order = rng.permutation(len(imgs))
            pos = 0
        idx = order[pos:pos + args.batch]
        pos += args.batch
        x, bs, ls = make_batch(imgs, boxes, labels, idx, rng, cfg)
        out = forward_train(model, x, masked_gn=frac >= args.masked_gn_from)
        losses, info = compute_losses(out, bs, ls, cfg, lam, args.budget_target, args.budget_mode)
        total = sum(losses.values())
        opt.zero_grad(set_to_none=True)
        total.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        it += 1
        for k, v in losses.items():
            agg[k] = agg.get(k, 0.0) + float(v)
        for k, v in info.items():
            agg[k] = agg.get(k, 0.0) + float(v)
        agg["gnorm"] = agg.get("gnorm", 0.0) + float(gn)
        agg["n"] = agg.get("n", 0) + 1
        if it % args.log_every == 0:
            n = agg.pop("n")
            stats = {k: v / n for k, v in agg.items()}
            rd = " ".join(f"{d:.2f}" for d in out[4])
            print(f"it {it} t {time.time() - t0:.0f}s lr {lr:.2e} lam {lam:.3f} " +
                  " ".join(f"{k} {v:.4f}" for k, v in stats.items()) +
                  f" | router hard density [{rd}]", flush=True)
            agg = {}
        if time.time() - last_ckpt > 60 * args.ckpt_minutes:
            p = save_checkpoint(args.out, model, it, cfg, args, stats)
            print(f"saved {p}", flush=True)
            last_ckpt = time.time()
    p = save_checkpoint(args.out, model, it, cfg, args, stats)
    print(f"saved {p} (final) after {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
