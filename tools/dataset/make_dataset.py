"""Deterministic synthetic shapes detection dataset (COCO format).

Six object classes of varied shape (circle, square, triangle, cross, ring, bar), each object
with its own random colour (colour is *not* a class cue), sizes log-uniform in [10, 80] px
(8x scale range) plus 12 % uniform in [80, 112] px (COCO "large" objects), partly overlapping, on textured / cluttered backgrounds (gradients, stripes,
checker patches, low-frequency + grain noise, distractor clutter: thin lines, small
irregular blobs, arcs). Images are H x W = 160 x 160 RGB PNGs.

    /usr/bin/python3 -m tools.dataset.make_dataset --out /tmp/dh-dataset --train 3000 --val 200

Writes ``<out>/{train,val}/<id>.png`` and ``<out>/annotations/instances_{train,val}.json``.
Everything is a pure function of ``--seed`` (default 2024): image i of split s uses its own
RandomState(seed * 1_000_003 + split_offset + i), so the output does not depend on how many
other images are generated.  Bounding boxes are the tight box of the rendered (anti-aliased,
coverage > 0.5) object mask *before* occlusion by later objects (amodal box, as the object is
at most partly covered: an object is rejected if it would hide > 35 % of an earlier one).
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tools.reference.images import write_png  # noqa: E402

CLASSES = ["circle", "square", "triangle", "cross", "ring", "bar"]
H = W = 160
MIN_SIZE, MAX_SIZE, LARGE_MAX = 10.0, 80.0, 112.0
SS = 4  # supersampling factor per axis for anti-aliased coverage
SPLIT_OFFSET = {"train": 0, "val": 500_000, "test": 900_000}


# ----------------------------------------------------------------------------- shapes
def _inside(kind, u, v, p):
    """Inside test on normalised coords (u, v) (object frame, centred, units of half-size)."""
    if kind == "circle":
        return u * u + v * v <= 1.0
    if kind == "square":
        return (np.abs(u) <= 1.0) & (np.abs(v) <= 1.0)
    if kind == "triangle":
        # isosceles triangle, apex up (v = -1), base at v = +1, full width at the base
        return (v <= 1.0) & (v >= -1.0) & (np.abs(u) <= (v + 1.0) / 2.0)
    if kind == "cross":
        t = p["arm"]
        return ((np.abs(u) <= t) & (np.abs(v) <= 1.0)) | ((np.abs(v) <= t) & (np.abs(u) <= 1.0))
    if kind == "ring":
        r2 = u * u + v * v
        return (r2 <= 1.0) & (r2 >= p["inner"] ** 2)
    if kind == "bar":
        return (np.abs(u) <= 1.0) & (np.abs(v) <= 1.0)
    raise ValueError(kind)


def render_object(rng, kind, size):
    """Returns (half_w, half_h, params) for an object whose longer side is ``size`` px."""
    p = {}
    if kind == "circle":
        a = rng.uniform(0.8, 1.0)  # slight ellipse
        hw, hh = (size / 2, size / 2 * a) if rng.rand() < 0.5 else (size / 2 * a, size / 2)
    elif kind == "square":
        a = rng.uniform(0.8, 1.0)
        hw, hh = (size / 2, size / 2 * a) if rng.rand() < 0.5 else (size / 2 * a, size / 2)
    elif kind == "triangle":
        hw, hh = size / 2, size / 2 * rng.uniform(0.8, 1.0)
    elif kind == "cross":
        hw = hh = size / 2
        p["arm"] = rng.uniform(0.22, 0.35)
    elif kind == "ring":
        hw = hh = size / 2
        p["inner"] = rng.uniform(0.45, 0.7)
    elif kind == "bar":
        a = rng.uniform(0.2, 0.4)  # aspect 2.5 .. 5
        t = max(size / 2 * a, 4.5)  # at least 9 px thick: a stride-8 grid point always inside
        hw, hh = (size / 2, t) if rng.rand() < 0.5 else (t, size / 2)
    else:
        raise ValueError(kind)
    return hw, hh, p


def coverage(kind, cx, cy, hw, hh, p):
    """Anti-aliased coverage map [H, W] in [0, 1] (SS x SS supersampling)."""
    x0, x1 = max(int(np.floor(cx - hw)) - 1, 0), min(int(np.ceil(cx + hw)) + 1, W)
    y0, y1 = max(int(np.floor(cy - hh)) - 1, 0), min(int(np.ceil(cy + hh)) + 1, H)
    cov = np.zeros((H, W))
    if x1 <= x0 or y1 <= y0:
        return cov
    off = (np.arange(SS) + 0.5) / SS
    ys = (np.arange(y0, y1)[:, None] + off[None, :]).reshape(-1)
    xs = (np.arange(x0, x1)[:, None] + off[None, :]).reshape(-1)
    u = (xs[None, :] - cx) / hw
    v = (ys[:, None] - cy) / hh
    ins = _inside(kind, u, v, p).astype(np.float64)
    ins = ins.reshape(y1 - y0, SS, x1 - x0, SS).mean(axis=(1, 3))
    cov[y0:y1, x0:x1] = ins
    return cov


# ----------------------------------------------------------------------------- backgrounds
def _lowfreq(rng, cell):
    lo = rng.randn(H // cell + 2, W // cell + 2)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    gy, gx = yy / cell, xx / cell
    y0, x0 = np.floor(gy).astype(int), np.floor(gx).astype(int)
    fy, fx = gy - y0, gx - x0
    return (lo[y0, x0] * (1 - fy) * (1 - fx) + lo[y0 + 1, x0] * fy * (1 - fx)
            + lo[y0, x0 + 1] * (1 - fy) * fx + lo[y0 + 1, x0 + 1] * fy * fx)


def background(rng):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    ang = rng.uniform(0, 2 * np.pi)
    t = np.cos(ang) * xx / W + np.sin(ang) * yy / H
    t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    style = rng.randint(0, 4)
    if style == 0:  # stripes
        period = rng.uniform(4, 24)
        a = rng.uniform(0, np.pi)
        s = np.sin(2 * np.pi * (np.cos(a) * xx + np.sin(a) * yy) / period)
        img += rng.uniform(10, 45) * s[..., None] * rng.uniform(0.3, 1.0, 3)
    elif style == 1:  # checker patch region
        cell = rng.randint(4, 16)
        chk = ((xx // cell + yy // cell) % 2) * 2 - 1
        m = _lowfreq(rng, 40) > 0
        img += (rng.uniform(10, 40) * chk * m)[..., None]
    elif style == 2:  # blotchy texture
        img += rng.uniform(20, 50) * _lowfreq(rng, rng.randint(6, 20))[..., None] * \
            rng.uniform(0.3, 1.0, 3)
    # style 3: plain gradient
    img += rng.uniform(3, 12) * _lowfreq(rng, 8)[..., None]
    return img


def clutter(rng, img):
    """Distractors that are not objects: thin lines, small blobs, arcs."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    for _ in range(rng.randint(2, 9)):
        col = rng.uniform(0, 255, 3)
        kind = rng.randint(0, 3)
        if kind == 0:  # thin line segment
            x0, y0 = rng.uniform(0, W), rng.uniform(0, H)
            a = rng.uniform(0, np.pi)
            ln = rng.uniform(15, 80)
            dx, dy = np.cos(a), np.sin(a)
            t = np.clip((xx - x0) * dx + (yy - y0) * dy, 0, ln)
            d = np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy))
            alpha = np.clip(rng.uniform(0.6, 1.8) - d, 0, 1)
        elif kind == 1:  # small irregular blob (< 7 px)
            cx, cy = rng.uniform(0, W), rng.uniform(0, H)
            r = rng.uniform(1.5, 3.5)
            ang = np.arctan2(yy - cy, xx - cx)
            rr = r * (1 + 0.35 * np.sin(3 * ang + rng.uniform(0, 6)))
            alpha = np.clip(rr - np.hypot(xx - cx, yy - cy) + 0.5, 0, 1)
        else:  # thin open arc
            cx, cy = rng.uniform(0, W), rng.uniform(0, H)
            r = rng.uniform(8, 30)
            a0 = rng.uniform(0, 2 * np.pi)
            span = rng.uniform(0.5, 2.5)
            ang = np.mod(np.arctan2(yy - cy, xx - cx) - a0, 2 * np.pi)
            d = np.abs(np.hypot(xx - cx, yy - cy) - r)
            alpha = np.clip(1.2 - d, 0, 1) * (ang < span)
        a = (alpha * rng.uniform(0.5, 1.0))[..., None]
        img = img * (1 - a) + a * col
    return img


# ----------------------------------------------------------------------------- images
def make_sample(seed):
    rng = np.random.RandomState(seed)
    img = clutter(rng, background(rng))
    n_obj = rng.randint(1, 9)
    objects = []  # (cls, bbox [x,y,w,h], mask)
    occupancy = np.zeros((len(CLASSES) * 0 + 1, H, W))[0]
    tries = 0
    while len(objects) < n_obj and tries < 60:
        tries += 1
        cls = rng.randint(0, len(CLASSES))
        if rng.rand() < 0.12:  # some large objects (COCO "large": area >= 96^2)
            size = float(rng.uniform(MAX_SIZE, LARGE_MAX))
        else:
            size = float(np.exp(rng.uniform(np.log(MIN_SIZE), np.log(MAX_SIZE))))
        hw, hh, p = render_object(rng, CLASSES[cls], size)
        cx = rng.uniform(hw * 0.9, W - hw * 0.9)
        cy = rng.uniform(hh * 0.9, H - hh * 0.9)
        cov = coverage(CLASSES[cls], cx, cy, hw, hh, p)
        m = cov > 0.5
        if m.sum() < 12:
            continue
        ys, xs = np.nonzero(m)
        bx0, by0, bx1, by1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        if min(bx1 - bx0, by1 - by0) < 3:
            continue
        # reject if it would hide > 35 % of an earlier object's visible pixels
        ok = True
        for o in objects:
            vis = o["visible"]
            if (vis & m).sum() > 0.35 * max(vis.sum(), 1):
                ok = False
                break
        if not ok:
            continue
        for o in objects:
            o["visible"] &= ~m
        col = rng.uniform(0, 255, 3)
        # shading so the fill is not flat
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
        shade = 1.0 + rng.uniform(-0.25, 0.25) * ((xx - cx) / max(hw, 1)) \
            + rng.uniform(-0.25, 0.25) * ((yy - cy) / max(hh, 1))
        fill = np.clip(col[None, None, :] * shade[..., None], 0, 255)
        a = cov[..., None]
        img = img * (1 - a) + a * fill
        objects.append({"cls": cls, "bbox": [float(bx0), float(by0), float(bx1 - bx0),
                                             float(by1 - by0)], "visible": m.copy()})
    img = img + rng.randn(H, W, 3) * rng.uniform(1.0, 5.0)  # sensor grain
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return img, [(o["cls"], o["bbox"]) for o in objects]


def build_split(out, split, n, seed):
    os.makedirs(os.path.join(out, split), exist_ok=True)
    images, anns = [], []
    aid = 1
    for i in range(n):
        img, objs = make_sample(seed * 1_000_003 + SPLIT_OFFSET[split] + i)
        fname = f"{split}/{i:06d}.png"
        write_png(os.path.join(out, fname), img)
        iid = i + 1
        images.append({"id": iid, "file_name": fname, "height": H, "width": W})
        for cls, bb in objs:
            anns.append({"id": aid, "image_id": iid, "category_id": cls + 1, "bbox": bb,
                         "area": bb[2] * bb[3], "iscrowd": 0})
            aid += 1
        if (i + 1) % 500 == 0:
            print(f"{split}: {i + 1}/{n}", flush=True)
    coco = {"info": {"description": "dynamic-head synthetic shapes", "seed": seed},
            "images": images, "annotations": anns,
            "categories": [{"id": k + 1, "name": c, "supercategory": "shape"}
                           for k, c in enumerate(CLASSES)]}
    os.makedirs(os.path.join(out, "annotations"), exist_ok=True)
    with open(os.path.join(out, "annotations", f"instances_{split}.json"), "w") as f:
        json.dump(coco, f)
    return coco


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/dh-dataset")
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--val", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--samples", default=None,
                    help="copy the first N val images here (e.g. demo/samples)")
    ap.add_argument("--num-samples", type=int, default=6)
    a = ap.parse_args()
    for split, n in (("val", a.val), ("train", a.train)):
        if n > 0:
            coco = build_split(a.out, split, n, a.seed)
            areas = np.array([x["area"] for x in coco["annotations"]])
            print(f"{split}: {n} images, {len(areas)} objects, small/medium/large = "
                  f"{(areas < 32 ** 2).sum()}/{((areas >= 32 ** 2) & (areas < 96 ** 2)).sum()}/"
                  f"{(areas >= 96 ** 2).sum()}")
    if a.samples:
        # copy the first N val images and their ground truth (COCO subset, file names relative
        # to the samples folder)
        os.makedirs(a.samples, exist_ok=True)
        with open(os.path.join(a.out, "annotations", "instances_val.json")) as f:
            val = json.load(f)
        imgs = []
        for im in val["images"][:a.num_samples]:
            name = "shapes-val-" + os.path.basename(im["file_name"])
            shutil.copyfile(os.path.join(a.out, im["file_name"]), os.path.join(a.samples, name))
            imgs.append(dict(im, file_name=name))
        ids = {im["id"] for im in imgs}
        sub = {"info": val["info"], "images": imgs,
               "annotations": [x for x in val["annotations"] if x["image_id"] in ids],
               "categories": val["categories"]}
        with open(os.path.join(a.samples, "shapes-val-annotations.json"), "w") as f:
            json.dump(sub, f, indent=1)


if __name__ == "__main__":
    main()
