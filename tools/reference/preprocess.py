"""Pre-processing as the official cvpods test pipeline: BGR uint8 -> ResizeShortestEdge with
Pillow BILINEAR on the uint8 image -> float -> normalise -> pad to a multiple of 32."""
import math

import numpy as np
import torch
from PIL import Image


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


def resize_uint8(image_u8: np.ndarray, nh, nw):
    """cvpods ResizeTransform.apply_image: Pillow BILINEAR on the uint8 array (a 3-channel array
    is mode "RGB" to Pillow whatever its channel order; each channel is resampled alone)."""
    if image_u8.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {image_u8.dtype}")
    return np.asarray(Image.fromarray(np.ascontiguousarray(image_u8)).resize((nw, nh), Image.BILINEAR))


def preprocess(image_bgr_u8: np.ndarray, cfg):
    """image: HxWx3 uint8 array in BGR order.

    Returns (padded [1,3,Hp,Wp] float32 tensor, info dict)."""
    h, w = image_bgr_u8.shape[:2]
    nh, nw = resized_size(h, w, cfg.min_size, cfg.max_size)
    img = np.ascontiguousarray(image_bgr_u8)
    if (nh, nw) != (h, w):
        img = resize_uint8(img, nh, nw)
    x = torch.from_numpy(img.astype(np.float32))
    x = x.permute(2, 0, 1).unsqueeze(0).contiguous()  # [1,3,H,W], BGR
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
