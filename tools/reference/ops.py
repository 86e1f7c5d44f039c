"""Primitive operations shared by the masked (official) and dense formulations."""
import math

import torch
import torch.nn.functional as F


def gate_activation_fn(name, tau=1.5):
    """Gate activations exactly as cvpods ``SpatialGate``."""
    if name == "GeReTanH":
        ttau = math.tanh(tau)
        return lambda x: ((torch.tanh(x - tau) + ttau) / (1 + ttau)).clamp(min=0)
    if name == "ReTanH":
        return lambda x: torch.tanh(x).clamp(min=0)
    if name == "Sigmoid":
        return torch.sigmoid
    raise ValueError(f"unknown gate activation {name}")


def masked_conv2d(features, mask, weight, bias=None, post=None):
    """Official cvpods ``MaskedConv2dFunction`` (3x3, stride 1, padding 1, batch 1).

    features: [1, C, H, W]; mask: [H, W] (active where > 0).
    Active pixels are listed in row-major order (torch.nonzero), their 3x3 neighbourhoods
    gathered (zero padding) into data_col [C*9, N] ordered (c, ky, kx) to match
    ``weight.view(O, -1)``, multiplied, post-processed on the compacted [1, O, N] tensor
    (GroupNorm statistics therefore cover the active pixels only), then scattered into zeros.
    """
    assert features.dim() == 4 and features.size(0) == 1
    out_c, in_c, kh, kw = weight.shape
    assert (kh, kw) == (3, 3)
    _, _, H, W = features.shape
    output = features.new_zeros(1, out_c, H, W)
    inds = torch.nonzero(mask > 0, as_tuple=False)
    n = inds.size(0)
    if n == 0:
        return output
    hs, ws = inds[:, 0], inds[:, 1]
    xp = F.pad(features[0], (1, 1, 1, 1))
    cols = [xp[:, hs + ky, ws + kx] for ky in range(3) for kx in range(3)]  # 9 x [C, N]
    data_col = torch.stack(cols, dim=1).reshape(in_c * 9, n)
    res = torch.mm(weight.reshape(out_c, -1), data_col)
    if bias is not None:
        res = res + bias[:, None]
    if post is not None:
        res = res.unsqueeze(0)
        for f in (post if isinstance(post, (list, tuple)) else [post]):
            res = f(res)
        res = res.squeeze(0)
    output[0][:, hs, ws] = res
    return output


def masked_group_norm(x, mask, num_groups, weight, bias, eps):
    """GroupNorm whose statistics use only pixels where mask == 1 (dense formulation).

    x: [B, C, H, W]; mask: [B, 1, H, W] with values in {0, 1}. Output is zero outside the mask.
    Biased variance, like torch.nn.GroupNorm. An empty mask gives zeros (no NaN)."""
    B, C, H, W = x.shape
    G = num_groups
    xg = x.reshape(B, G, C // G, H * W)
    m = mask.reshape(B, 1, 1, H * W).to(x.dtype)
    cnt = (m.sum(dim=(2, 3), keepdim=True) * (C // G)).clamp(min=1.0)
    mean = (xg * m).sum(dim=(2, 3), keepdim=True) / cnt
    var = (((xg - mean) ** 2) * m).sum(dim=(2, 3), keepdim=True) / cnt
    y = ((xg - mean) / torch.sqrt(var + eps)).reshape(B, C, H, W)
    y = y * weight.view(1, C, 1, 1) + bias.view(1, C, 1, 1)
    return y * mask.to(x.dtype)


def compact_group_norm(gn):
    """Post-function applying GroupNorm module ``gn`` to a compacted [1, C, N] tensor.

    Same kernel as nn.GroupNorm (aten group_norm) but without the python-side
    ``_verify_batch_size`` check, which rejects a group holding a single value (C/G == 1 and
    N == 1); such a group normalises to 0 (output = bias)."""
    return lambda x: torch.group_norm(x, gn.num_groups, gn.weight, gn.bias, gn.eps, False)


def resize_align_corners(x, size):
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=True)
