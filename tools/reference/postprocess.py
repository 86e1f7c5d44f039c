"""FCOS inference post-processing (cvpods FCOS.inference_single_image + detector_postprocess)."""
import torch


def box_iou_one_to_many(box, boxes):
    """IoU of one box [4] against boxes [N,4] (torchvision nms arithmetic)."""
    xx1 = torch.maximum(box[0], boxes[:, 0])
    yy1 = torch.maximum(box[1], boxes[:, 1])
    xx2 = torch.minimum(box[2], boxes[:, 2])
    yy2 = torch.minimum(box[3], boxes[:, 3])
    w = (xx2 - xx1).clamp(min=0)
    h = (yy2 - yy1).clamp(min=0)
    inter = w * h
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + areas - inter)


def batched_nms(boxes, scores, classes, iou_thresh):
    """Class-aware greedy NMS (same result as torchvision.ops.batched_nms).

    Order: scores descending, ties broken by lower index (stable sort).  A box is suppressed by an
    earlier kept box of the same class with IoU > iou_thresh.  Returns kept indices in score order."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long)
    order = torch.sort(scores, descending=True, stable=True).indices
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    b, c = boxes[order], classes[order]
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(int(order[i]))
        rest = torch.arange(i + 1, len(order))
        if len(rest) == 0:
            break
        same = (c[rest] == c[i]) & ~suppressed[rest]
        iou = box_iou_one_to_many(b[i], b[rest])
        suppressed[rest[same & (iou > iou_thresh)]] = True
    return torch.tensor(keep, dtype=torch.long)


def fcos_inference(logits, bbox_reg, ctrness, cfg, info):
    """Per-image post-processing.  Tensors are the head outputs [1, *, H_l, W_l].

    Returns dict with boxes in the padded/resized input frame ('boxes_input') and in the original
    image ('boxes'), plus scores and classes, and the number of pre-NMS candidates."""
    K = cfg.num_classes
    boxes_all, scores_all, classes_all = [], [], []
    for l, (lg, br, ct) in enumerate(zip(logits, bbox_reg, ctrness)):
        stride = cfg.fpn_strides[l]
        H, W = lg.shape[-2:]
        cls = lg[0].permute(1, 2, 0).reshape(-1).sigmoid()         # index = (y*W + x)*K + k
        reg = br[0].permute(1, 2, 0).reshape(-1, 4)                 # (l, t, r, b)
        ctr = ct[0].permute(1, 2, 0).reshape(-1).sigmoid()
        num_topk = min(cfg.topk_candidates, H * W)                 # official: min(1000, #locations)
        prob, idx = torch.sort(cls, descending=True, stable=True)
        prob, idx = prob[:num_topk], idx[:num_topk]
        keep = prob > cfg.score_thresh
        prob, idx = prob[keep], idx[keep]
        loc = torch.div(idx, K, rounding_mode="floor")
        k = idx % K
        px = (loc % W).to(lg.dtype) * stride
        py = torch.div(loc, W, rounding_mode="floor").to(lg.dtype) * stride
        d = reg[loc]
        boxes = torch.stack([px - d[:, 0], py - d[:, 1], px + d[:, 2], py + d[:, 3]], dim=1)
        scores = torch.sqrt(prob * ctr[loc])
        boxes_all.append(boxes)
        scores_all.append(scores)
        classes_all.append(k)
    boxes = torch.cat(boxes_all)
    scores = torch.cat(scores_all)
    classes = torch.cat(classes_all)
    n_candidates = len(scores)
    keep = batched_nms(boxes, scores, classes, cfg.nms_thresh)[: cfg.max_detections]
    boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
    boxes_input = boxes.clone()
    # detector_postprocess: scale to the original size, clip, drop empty boxes.
    oh, ow = info["original_size"]
    rh, rw = info["resized_size"]
    sx, sy = ow / rw, oh / rh
    out = boxes.clone()
    out[:, 0::2] *= sx
    out[:, 1::2] *= sy
    out[:, 0::2] = out[:, 0::2].clamp(min=0, max=ow)
    out[:, 1::2] = out[:, 1::2].clamp(min=0, max=oh)
    nonempty = ((out[:, 2] - out[:, 0]) > 0) & ((out[:, 3] - out[:, 1]) > 0)
    return {
        "boxes": out[nonempty],
        "scores": scores[nonempty],
        "classes": classes[nonempty].to(torch.int32),
        "boxes_input": boxes_input[nonempty],
        "num_candidates": n_candidates,
        "num_after_nms": int(len(keep)),
    }
