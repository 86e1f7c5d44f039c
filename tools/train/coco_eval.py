"""COCO bbox evaluation, a line-by-line re-implementation of pycocotools ``COCOeval``
(iouType 'bbox'; pycocotools itself is not installed here).  numpy only.

Definition followed exactly (pycocotools 2.0):
* per (image, category): detections sorted by score descending (stable ``mergesort``), cut to
  ``maxDets[-1]`` (= 100); GT sorted so that ignored ones (iscrowd, or area outside the range)
  come last; IoU of [x, y, w, h] boxes = inter / (area_d + area_g - inter) (crowd GT:
  inter / area_d);
* greedy matching per IoU threshold (0.50:0.05:0.95 from ``np.linspace``): each detection in
  score order takes the unmatched GT with the highest IoU >= threshold (ties: the later GT);
  a non-ignored match is preferred - once one is found, ignored GTs are not considered;
  a detection matched to an ignored GT is ignored, an unmatched detection whose area is
  outside the range is ignored;
* accumulate per category / area range / maxDet: detections of all images concatenated
  (each image's list cut to maxDet), sorted by score (mergesort), cumulative TP / FP,
  recall = tp / #non-ignored GT, precision = tp / (tp + fp + eps), monotone envelope from the
  right, sampled at 101 recall thresholds (``np.searchsorted(rc, recThrs, 'left')``, 0 beyond);
  categories without non-ignored GT keep -1 and are left out of the mean;
* summary: mean of precision entries > -1 (-1 if none): AP, AP50, AP75, APs, APm, APl with
  maxDets 100 and area ranges all [0, 1e10], small [0, 32^2], medium [32^2, 96^2],
  large [96^2, 1e10]; AR@1/10/100 as well.
"""
import json

import numpy as np

AREA_RNG = {"all": [0 ** 2, 1e5 ** 2], "small": [0 ** 2, 32 ** 2],
            "medium": [32 ** 2, 96 ** 2], "large": [96 ** 2, 1e5 ** 2]}
AREA_NAMES = ["all", "small", "medium", "large"]
IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = [1, 10, 100]


def bbox_iou(d, g, iscrowd):
    """d: [D,4], g: [G,4] in [x,y,w,h]; maskApi.c bbIou."""
    ious = np.zeros((len(d), len(g)))
    for j in range(len(g)):
        gx, gy, gw, gh = g[j]
        ga = gw * gh
        for i in range(len(d)):
            dx, dy, dw, dh = d[i]
            da = dw * dh
            w = min(dx + dw, gx + gw) - max(dx, gx)
            if w <= 0:
                continue
            h = min(dy + dh, gy + gh) - max(dy, gy)
            if h <= 0:
                continue
            inter = w * h
            u = da if iscrowd[j] else da + ga - inter
            ious[i, j] = inter / u
    return ious


def evaluate_img(gts, dts, a_rng, max_det):
    if len(gts) == 0 and len(dts) == 0:
        return None
    for g in gts:
        # pycocotools _prepare: gt['ignore'] = iscrowd (an 'ignore' field is overwritten)
        g["_ignore"] = 1 if (g.get("iscrowd", 0) or g["area"] < a_rng[0]
                             or g["area"] > a_rng[1]) else 0
    gtind = np.argsort([g["_ignore"] for g in gts], kind="mergesort")
    gt = [gts[i] for i in gtind]
    dtind = np.argsort([-d["score"] for d in dts], kind="mergesort")
    dt = [dts[i] for i in dtind[0:max_det]]
    iscrowd = [int(o.get("iscrowd", 0)) for o in gt]
    ious = bbox_iou(np.array([d["bbox"] for d in dt]).reshape(-1, 4),
                    np.array([g["bbox"] for g in gt]).reshape(-1, 4), iscrowd)
    T, G, D = len(IOU_THRS), len(gt), len(dt)
    gtm = np.zeros((T, G))
    dtm = np.zeros((T, D))
    gt_ig = np.array([g["_ignore"] for g in gt])
    dt_ig = np.zeros((T, D))
    if G > 0 and D > 0:
        for tind, t in enumerate(IOU_THRS):
            for dind, d in enumerate(dt):
                iou = min([t, 1 - 1e-10])
                m = -1
                for gind, g in enumerate(gt):
                    if gtm[tind, gind] > 0 and not iscrowd[gind]:
                        continue
                    if m > -1 and gt_ig[m] == 0 and gt_ig[gind] == 1:
                        break
                    if ious[dind, gind] < iou:
                        continue
                    iou = ious[dind, gind]
                    m = gind
                if m == -1:
                    continue
                dt_ig[tind, dind] = gt_ig[m]
                dtm[tind, dind] = gt[m]["id"]
                gtm[tind, m] = d["id"]
    a = np.array([d["area"] < a_rng[0] or d["area"] > a_rng[1] for d in dt]).reshape((1, len(dt)))
    dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(a, T, 0)))
    return {"dtMatches": dtm, "dtScores": [d["score"] for d in dt], "gtIgnore": gt_ig,
            "dtIgnore": dt_ig}


def coco_evaluate(gt_json, results):
    """gt_json: COCO dict; results: list of {image_id, category_id, bbox, score}.

    Returns dict with 'precision' [T,R,K,A,M], 'recall' [T,K,A,M] and 'stats' (12 numbers in
    pycocotools order) and named entries."""
    img_ids = sorted(im["id"] for im in gt_json["images"])
    cat_ids = sorted(c["id"] for c in gt_json["categories"])
    gts, dts = {}, {}
    for a in gt_json["annotations"]:
        gts.setdefault((a["image_id"], a["category_id"]), []).append(dict(a))
    for i, r in enumerate(results):
        d = dict(r)
        d["area"] = r["bbox"][2] * r["bbox"][3]
        d["id"] = i + 1
        d["iscrowd"] = 0
        dts.setdefault((r["image_id"], r["category_id"]), []).append(d)
    max_det = MAX_DETS[-1]
    area_rngs = [AREA_RNG[n] for n in AREA_NAMES]
    evals = {}
    for k in cat_ids:
        for ai, ar in enumerate(area_rngs):
            for i in img_ids:
                evals[(k, ai, i)] = evaluate_img(gts.get((i, k), []), dts.get((i, k), []), ar,
                                                 max_det)
    T, R, K, A, M = len(IOU_THRS), len(REC_THRS), len(cat_ids), len(area_rngs), len(MAX_DETS)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    for k, cat in enumerate(cat_ids):
        for a in range(A):
            E = [evals[(cat, a, i)] for i in img_ids]
            E = [e for e in E if e is not None]
            if len(E) == 0:
                continue
            for m, md in enumerate(MAX_DETS):
                dt_scores = np.concatenate([e["dtScores"][0:md] for e in E])
                inds = np.argsort(-dt_scores, kind="mergesort")
                dtm = np.concatenate([e["dtMatches"][:, 0:md] for e in E], axis=1)[:, inds]
                dt_ig = np.concatenate([e["dtIgnore"][:, 0:md] for e in E], axis=1)[:, inds]
                gt_ig = np.concatenate([e["gtIgnore"] for e in E])
                npig = np.count_nonzero(gt_ig == 0)
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
                fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                    tp = np.array(tp)
                    fp = np.array(fp)
                    nd = len(tp)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    q = np.zeros((R,))
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    pr = pr.tolist()
                    q = q.tolist()
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    inds_r = np.searchsorted(rc, REC_THRS, side="left")
                    try:
                        for ri, pi in enumerate(inds_r):
                            q[ri] = pr[pi]
                    except IndexError:
                        pass
                    precision[t, :, k, a, m] = np.array(q)

    def summ(ap, iou_thr=None, area="all", max_dets=100):
        aind = AREA_NAMES.index(area)
        mind = MAX_DETS.index(max_dets)
        if ap:
            s = precision
            if iou_thr is not None:
                s = s[np.where(iou_thr == IOU_THRS)[0]]
            s = s[:, :, :, aind, mind]
        else:
            s = recall
            if iou_thr is not None:
                s = s[np.where(iou_thr == IOU_THRS)[0]]
            s = s[:, :, aind, mind]
        return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))

    stats = [summ(1), summ(1, .5), summ(1, .75), summ(1, area="small"), summ(1, area="medium"),
             summ(1, area="large"), summ(0, max_dets=1), summ(0, max_dets=10), summ(0),
             summ(0, area="small"), summ(0, area="medium"), summ(0, area="large")]
    names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
             "ARl"]
    per_cat = {}
    for k, cat in enumerate(cat_ids):
        s = precision[:, :, k, 0, -1]
        per_cat[cat] = -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))
    return {"stats": stats, "named": dict(zip(names, stats)), "per_category_AP": per_cat,
            "precision": precision, "recall": recall}


def main():
    import argparse
    ap = argparse.ArgumentParser(description="COCO bbox mAP of a results file")
    ap.add_argument("gt")
    ap.add_argument("results")
    a = ap.parse_args()
    with open(a.gt) as f:
        gt = json.load(f)
    with open(a.results) as f:
        res = json.load(f)
    r = coco_evaluate(gt, res)
    for k, v in r["named"].items():
        print(f"{k:6s} {v:.6f}")


if __name__ == "__main__":
    main()
