"""Self-checks for the offline reference (not part of CI).

    /usr/bin/python3 -m unittest tools.reference.test_reference -v
"""
import copy
import dataclasses
import json
import os
import unittest

import numpy as np
import torch

from .config import CONFIGS, ModelConfig
from .images import read_png
from .make_fixtures import DEFAULT_OUT, compare
from .model import LEVEL_NAMES, build_model
from .ops import masked_conv2d
from .postprocess import fcos_inference
from .preprocess import preprocess, resized_size

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", DEFAULT_OUT)


def expected_keys(cfg: ModelConfig):
    """Checkpoint names exactly as listed in spec section 6."""
    keys = []
    bn = ["weight", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var"]
    keys += [f"backbone.bottom_up.stem.conv1.{s}" for s in bn]
    for si, n in enumerate(cfg.depth_blocks):
        for b in range(n):
            convs = ["conv1", "conv2", "conv3"] + (["shortcut"] if b == 0 else [])
            keys += [f"backbone.bottom_up.res{si + 2}.{b}.{c}.{s}" for c in convs for s in bn]
    for l in (3, 4, 5):
        for k in ("fpn_lateral", "fpn_output"):
            keys += [f"backbone.{k}{l}.weight", f"backbone.{k}{l}.bias"]
    keys += [f"backbone.top_block.p{l}.{s}" for l in (6, 7) for s in ("weight", "bias")]
    for t in ("cls_subnet", "bbox_subnet"):
        for i in range(cfg.num_routers):
            p = f"head.{t}.{i}"
            keys += [f"{p}.scale_weight", f"{p}.output_weight"]
            for s in (0, 1):
                keys += [f"{p}.dynamic_convs.{s}.convs.{j}.{w}" for j in (0, 1)
                         for w in ("weight", "bias")]
                keys += [f"{p}.dynamic_convs.{s}.gate.gate_conv.{w}" for w in ("weight", "bias")]
            keys += [f"{p}.depth_module.bottleneck.conv{j}.{w}" for j in (1, 2)
                     for w in ("weight", "norm.weight", "norm.bias")]
            keys += [f"{p}.depth_module.gate.gate_conv.{w}" for w in ("weight", "bias")]
    for k in ("cls_score", "bbox_pred", "centerness"):
        keys += [f"head.{k}.weight", f"head.{k}.bias"]
    keys += [f"head.scales.{l}.scale" for l in range(5)]
    return keys


def cfg_from_manifest(man):
    names = {f.name for f in dataclasses.fields(ModelConfig)}
    return ModelConfig(**{k: v for k, v in man["config"].items() if k in names})


def load_blob(folder, entry):
    with open(os.path.join(folder, entry["file"]), "rb") as f:
        f.seek(entry["offset"])
        buf = f.read(entry["nbytes"])
    dt = "<f4" if entry["dtype"] == "float32" else "<i4"
    return torch.from_numpy(np.frombuffer(buf, dtype=dt).reshape(entry["shape"]).copy())


def committed_configs():
    return [n for n, c in CONFIGS.items() if c.commit
            and os.path.exists(os.path.join(ROOT, n, "manifest.json"))]


class TestNames(unittest.TestCase):
    def test_state_dict_names_match_spec(self):
        for name in ("narrow-d4", "narrow-d8", "full-r50-d8"):
            cfg = CONFIGS[name]
            sd = build_model(cfg).state_dict()
            self.assertEqual(sorted(sd.keys()), sorted(expected_keys(cfg)), name)
            self.assertFalse(any("num_batches_tracked" in k for k in sd))
            C = cfg.fpn_channels
            self.assertEqual(tuple(sd["head.cls_subnet.0.dynamic_convs.0.convs.0.weight"].shape),
                             (C, 1, 3, 3))
            self.assertEqual(tuple(sd["head.cls_subnet.0.depth_module.gate.gate_conv.weight"].shape),
                             (1, C, 3, 3))
            self.assertEqual(tuple(sd["head.cls_score.weight"].shape), (cfg.num_classes, C, 3, 3))
            self.assertEqual(tuple(sd["head.cls_subnet.0.scale_weight"].shape), (1,))
        full = build_model(CONFIGS["full-r50-d8"]).state_dict()
        self.assertEqual(tuple(full["backbone.top_block.p6.weight"].shape), (256, 2048, 3, 3))
        self.assertEqual(tuple(full["backbone.bottom_up.res3.0.conv1.weight"].shape),
                         (128, 256, 1, 1))

    def test_fcos_and_fix_head_names(self):
        """cvpods FCOSHead (nn.Sequential of conv, GroupNorm, ReLU x NUM_CONVS) and FCOSFixHead
        (ScaleConv2d: convs.<s>.{0,1}, output_weight, depth_module.bottleneck) names."""
        from .zoo_checkpoints import Detector
        cfg = CONFIGS["narrow-fcos"]
        head = {k for k in build_model(cfg).state_dict() if k.startswith("head.")}
        want = {f"head.{t}.{3 * k + j}.{w}" for t in ("cls_subnet", "bbox_subnet")
                for k in range(2 * cfg.num_routers) for j in (0, 1) for w in ("weight", "bias")}
        want |= {f"head.{p}.{w}" for p in ("cls_score", "bbox_pred", "centerness") for w in ("weight", "bias")}
        want |= {f"head.scales.{l}.scale" for l in range(5)}
        self.assertEqual(head, want)
        fix = dataclasses.replace(CONFIGS["narrow-d4"], num_routers=2)
        head = {k for k in Detector(fix, "fix").state_dict() if k.startswith("head.cls_subnet.1.")}
        p = "head.cls_subnet.1"
        self.assertEqual(head, {f"{p}.output_weight"}
                         | {f"{p}.convs.{s}.{j}.{w}" for s in (0, 1) for j in (0, 1) for w in ("weight", "bias")}
                         | {f"{p}.depth_module.bottleneck.conv{j}.{w}" for j in (1, 2)
                            for w in ("weight", "norm.weight", "norm.bias")})

    def test_p6_quirk(self):
        cfg = dataclasses.replace(CONFIGS["narrow-d4"], res2_out_channels=4, width_per_group=4)
        m = build_model(cfg)  # C5 has 32 channels == FPN width -> P6 reads P5
        self.assertTrue(m.backbone.top_block.use_P5)
        self.assertFalse(build_model(CONFIGS["narrow-d4"]).backbone.top_block.use_P5)


class TestOps(unittest.TestCase):
    def test_masked_conv_empty_and_full(self):
        torch.manual_seed(0)
        x = torch.randn(1, 32, 5, 7)
        w = torch.randn(32, 32, 3, 3)
        out = masked_conv2d(x, torch.zeros(5, 7), w, None, None)
        self.assertTrue(torch.equal(out, torch.zeros_like(out)))
        out = masked_conv2d(x, torch.ones(5, 7), w, None, None)
        ref = torch.nn.functional.conv2d(x, w, None, padding=1)
        self.assertLess(float((out - ref).abs().max()), 1e-4)

    def test_resize_rule(self):
        self.assertEqual(resized_size(256, 320, 128, 160), (128, 160))
        self.assertEqual(resized_size(100, 200, 128, 160), (80, 160))
        self.assertEqual(resized_size(150, 120, 128, 160), (160, 128))
        self.assertEqual(resized_size(480, 640, 800, 1333), (800, 1067))


class TestDensityExtremes(unittest.TestCase):
    """0 % and 100 % gate density: masked == dense, no NaN."""

    def _run(self, bias):
        cfg = CONFIGS["narrow-d4"]
        torch.manual_seed(1)
        m = build_model(cfg)
        from .weights import init_weights
        init_weights(m, 123)
        for t in ("cls_subnet", "bbox_subnet"):
            for r in getattr(m.head, t):
                for gc in [dc.gate.gate_conv for dc in r.dynamic_convs] + \
                        [r.depth_module.gate.gate_conv]:
                    gc.weight.mul_(1e-3)
                    gc.bias.fill_(bias)
        x = torch.randn(1, 3, 64, 96) * 50
        ra, rb = {}, {}
        m(x, "masked", rec=ra)
        m(x, "dense", rec=rb)
        for k in ra:
            self.assertFalse(torch.isnan(ra[k]).any(), k)
        c = compare(ra, rb)
        self.assertLess(c["max_rel_diff_family"], 1e-4, c)
        return m, x, ra

    def test_zero_density(self):
        m, x, ra = self._run(-50.0)
        for k, v in ra.items():
            if ".depth.mask" in k or k.endswith(tuple(f".gate.{l}" for l in LEVEL_NAMES)):
                self.assertEqual(float(v.abs().max()), 0.0, k)
        # no path active: out = relu(x * output_weight) for the first router
        r = m.head.cls_subnet[0]
        fpn = ra["fpn.p3"]
        ref = torch.relu(fpn * r.output_weight)
        self.assertLess(float((ra["cls_subnet.0.out.p3"] - ref).abs().max()), 1e-5)

    def test_full_density(self):
        _, _, ra = self._run(50.0)
        for k, v in ra.items():
            if ".depth.mask" in k:
                self.assertEqual(float(v.min()), 1.0, k)


class TestFixtures(unittest.TestCase):
    def test_fixtures(self):
        cfgs = committed_configs()
        self.assertTrue(cfgs, "no committed fixtures found - run make_fixtures first")
        outputs = {}
        for name in cfgs:
            folder = os.path.join(ROOT, name)
            with open(os.path.join(folder, "manifest.json")) as f:
                man = json.load(f)
            cfg = cfg_from_manifest(man)
            ckpt = torch.load(os.path.join(folder, man["checkpoint"]["file"]), map_location="cpu")
            self.assertEqual(set(ckpt.keys()), {"model", "iteration"})
            model = build_model(cfg)
            model.load_state_dict(ckpt["model"])
            m64 = copy.deepcopy(model).double()
            mode = man["execution_mode"]
            for img in man["images"]:
                with self.subTest(config=name, image=img["id"]):
                    rgb = read_png(os.path.join(folder, img["png"]))
                    x, info = preprocess(rgb[..., ::-1], cfg)
                    for k in ("original_size", "resized_size", "padded_size"):
                        self.assertEqual(list(info[k]), img[k])
                    golden = {e["name"]: load_blob(folder, e) for e in img["tensors"]}
                    self.assertTrue(torch.equal(golden["input"], x), "input differs from the pre-processing")
                    rec = {}
                    outs = m64(x.double(), mode, rec=rec)
                    rec.pop("input")
                    gold = {k: golden[k] for k in rec}
                    c = compare(gold, rec)
                    self.assertLess(c["max_rel_diff_family"], 1e-5, c)
                    if mode == "masked":
                        rd = {}
                        m64(x.double(), "dense", rec=rd)
                        c = compare(rec, rd)
                        self.assertLess(c["max_rel_diff"], 1e-5, ("f64 masked vs dense", c))
                        r32m, r32d = {}, {}
                        model(x, "masked", rec=r32m)
                        model(x, "dense", rec=r32d)
                        c = compare(r32m, r32d)
                        self.assertLess(c["max_rel_diff_family"], 1e-3, ("f32 masked vs dense", c))
                    dets = fcos_inference(*outs, cfg, info)
                    self.assertEqual(len(dets["scores"]), golden["detections.scores"].shape[0])
                    self.assertTrue(torch.equal(dets["classes"], golden["detections.classes"]))
                    bd = (dets["boxes"].float() - golden["detections.boxes"]).abs()
                    self.assertLess(float(bd.max()) if bd.numel() else 0.0, 1e-3)
                    outputs[(name, img["id"])] = {k: v for k, v in golden.items()
                                                  if k.startswith("head.")}
        # the fixed (static) head must differ from the dynamic head on the same weights/image
        for (name, iid), v in outputs.items():
            base = CONFIGS[name].checkpoint_from
            if CONFIGS[name].head_mode == "fixed" and base:
                cfg = CONFIGS[base]
                folder = os.path.join(ROOT, base)
                model = build_model(cfg)
                model.load_state_dict(torch.load(os.path.join(folder, "checkpoint.pth"))["model"])
                x, _ = preprocess(read_png(os.path.join(ROOT, name, f"{iid}.png"))[..., ::-1], cfg)
                rec = {}
                model(x, "masked", rec=rec)
                diff = max(float((rec[k] - v[k]).abs().max() / v[k].abs().max()) for k in v)
                self.assertGreater(diff, 1e-2, "fixed head unexpectedly equals the dynamic head")


if __name__ == "__main__":
    unittest.main()
