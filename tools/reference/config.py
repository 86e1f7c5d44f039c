"""Model / test configurations for the offline reference.

Every hyper-parameter that changes the computation lives here so that the fixture
manifest can record it verbatim (``ModelConfig.to_dict``)."""
from dataclasses import dataclass, field, asdict
from typing import List, Optional


@dataclass
class ModelConfig:
    name: str
    # --- backbone (ResNet, bottleneck blocks, STRIDE_IN_1X1, FrozenBN) ---
    depth_blocks: List[int] = field(default_factory=lambda: [3, 4, 6, 3])
    stem_out_channels: int = 64
    res2_out_channels: int = 256
    width_per_group: int = 64          # bottleneck width at res2 (num_groups = 1)
    stride_in_1x1: bool = True
    frozen_bn_eps: float = 1e-5
    # --- FPN ---
    fpn_channels: int = 256            # also the head width C
    # --- head ---
    num_routers: int = 8               # D = NUM_CONVS / 2 routers per tower (fcos: 2*D convs)
    num_classes: int = 80
    gn_groups: int = 32
    gn_eps: float = 1e-5
    gate_activation: str = "GeReTanH"  # GeReTanH | ReTanH | Sigmoid
    gate_tau: float = 1.5
    # dynamic | fixed (all gates == 1, gate params unused) | fcos (the FCOS baseline head,
    # cvpods FCOSHead: NUM_CONVS x (conv 3x3 + GroupNorm + ReLU) per tower)
    head_mode: str = "dynamic"
    fpn_strides: List[int] = field(default_factory=lambda: [8, 16, 32, 64, 128])
    # --- test-time parameters ---
    score_thresh: float = 0.05
    topk_candidates: int = 1000
    nms_thresh: float = 0.6
    max_detections: int = 100
    # --- pre-processing ---
    pixel_mean: List[float] = field(default_factory=lambda: [103.530, 116.280, 123.675])
    pixel_std: List[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    input_format: str = "BGR"
    size_divisibility: int = 32
    min_size: int = 800
    max_size: int = 1333
    # --- synthetic weights ---
    seed: int = 0
    # --- fixtures ---
    images: List[str] = field(default_factory=list)   # ids from images.IMAGE_SPECS
    checkpoint_from: Optional[str] = None             # reuse another config's checkpoint
    commit: bool = True

    def to_dict(self):
        d = asdict(self)
        d["res_out_channels"] = [self.res2_out_channels * 2 ** i for i in range(4)]
        d["bottleneck_channels"] = [self.width_per_group * 2 ** i for i in range(4)]
        d["num_convs"] = 2 * self.num_routers
        return d


def _narrow(**kw):
    base = dict(stem_out_channels=8, res2_out_channels=16, width_per_group=4,
                fpn_channels=32, num_classes=8, min_size=128, max_size=160)
    base.update(kw)
    return ModelConfig(**base)


CONFIGS = {
    "narrow-d4": _narrow(name="narrow-d4", num_routers=4, seed=4,
                         images=["gradient-shapes", "portrait-blobs"]),
    "narrow-d8": _narrow(name="narrow-d8", num_routers=8, seed=16, min_size=96, max_size=128,
                         images=["wide-scene", "portrait-blobs"]),
    # Fixed (static) head: same architecture and weights as narrow-d4, every gate treated as 1.
    "narrow-d4-fixed": _narrow(name="narrow-d4-fixed", num_routers=4, seed=4, head_mode="fixed",
                               checkpoint_from="narrow-d4", images=["wide-scene"]),
    # FCOS baseline head (the zoo's "FCOS D2": NUM_CONVS = 4 conv + GN + ReLU per tower).
    # ResNet-14 ([1, 1, 1, 1] blocks) keeps the committed checkpoint small.
    "narrow-fcos": _narrow(name="narrow-fcos", num_routers=2, seed=2, head_mode="fcos",
                           depth_blocks=[1, 1, 1, 1], min_size=96, max_size=128,
                           images=["wide-scene"]),
    # Real ResNet-50 / C=256 / D8 layout, small input; not committed (checkpoint ~ 200 MB).
    "full-r50-d8": ModelConfig(name="full-r50-d8", num_routers=8, seed=50, min_size=128,
                               max_size=128, images=["square-small"], commit=False),
    # The zoo's FCOS R50 baseline at full width (ResNet-50, FPN 256, 4 convs per tower, 80
    # classes); not committed either.
    "full-r50-fcos": ModelConfig(name="full-r50-fcos", num_routers=2, seed=51, head_mode="fcos",
                                 min_size=128, max_size=128, images=["square-small"], commit=False),
}
