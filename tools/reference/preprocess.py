"""Pre-processing: BGR float -> resize shortest edge -> normalise -> pad to a multiple of 32."""
import math

import numpy as np
import torch
import torch.nn.functional as F


def resized_size(h, w, min_size, max_size):
    """Detectron2 ResizeShortestEdge.get_output_shape (python floats = IEEE double)."""
    scale = min_size * 1.0 / min(h, w)
    if h < w:
        newh, neww = min_size, scale * w
    else:
        newh, neww = scale * h, min_size
    if max(newh, neww) > max_size:
        scale = max_size * 1.0 / max(newh, neww)
        newh = newh * scale
        neww = neww * scale
    return int(newh + 0.5), int(neww + 0.5)


def preprocess(image_bgr_u8: np.ndarray, cfg):
    """image: HxWx3 uint8 (or float) array in BGR order, values 0..255.

    Returns (padded [1,3,Hp,Wp] float32 tensor, info dict)."""
    h, w = image_bgr_u8.shape[:2]
    nh, nw = resized_size(h, w, cfg.min_size, cfg.max_size)
    x = torch.from_numpy(np.ascontiguousarray(image_bgr_u8, dtype=np.float32))
    x = x.permute(2, 0, 1).unsqueeze(0).contiguous()  # [1,3,H,W], BGR
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False, antialias=False)
    mean = torch.tensor(cfg.pixel_mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(cfg.pixel_std, dtype=torch.float32).view(1, 3, 1, 1)
    x = (x - mean) / std
    d = cfg.size_divisibility
    ph, pw = int(math.ceil(nh / d) * d), int(math.ceil(nw / d) * d)
    padded = x.new_zeros(1, 3, ph, pw)
    padded[:, :, :nh, :nw] = x
    info = {
        "original_size": [h, w],
        "resized_size": [nh, nw],
        "padded_size": [ph, pw],
        "scale_y": nh / h,
        "scale_x": nw / w,
    }
    return padded, info
