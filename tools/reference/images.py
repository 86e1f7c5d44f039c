"""Deterministic synthetic 'natural-looking' test images and a dependency-free PNG writer.

Images are generated as H x W x 3 uint8 arrays in **RGB** order (the order PNG stores); the
model consumes BGR, so callers flip the channel axis (``rgb[..., ::-1]``)."""
import struct
import zlib

import numpy as np

# id -> (height, width, seed)
IMAGE_SPECS = {
    "gradient-shapes": (256, 320, 11),   # 2x downscale to 128x160 (narrow), no padding
    "wide-scene": (100, 200, 12),        # non-square, capped by max_size, needs padding
    "portrait-blobs": (150, 120, 13),    # portrait, upscaled
    "square-small": (160, 160, 14),      # full-r50-d8 input (-> 128x128)
}


def _grid(h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    return yy / max(h - 1, 1), xx / max(w - 1, 1)


def make_image(h, w, seed):
    rng = np.random.RandomState(seed)
    v, u = _grid(h, w)
    c0, c1 = rng.uniform(20, 235, 3), rng.uniform(20, 235, 3)
    ang = rng.uniform(0, np.pi)
    t = (np.cos(ang) * u + np.sin(ang) * v)
    t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
    img = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    # soft horizon / ground band
    hz = rng.uniform(0.45, 0.75)
    ground = 1.0 / (1.0 + np.exp(-(v - hz) * 40.0))
    img = img * (1 - 0.5 * ground[..., None]) + rng.uniform(40, 160, 3) * 0.5 * ground[..., None]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    n_shapes = rng.randint(5, 9)
    for _ in range(n_shapes):
        kind = rng.randint(0, 3)
        col = rng.uniform(0, 255, 3)
        cy, cx = rng.uniform(0.1, 0.9) * h, rng.uniform(0.1, 0.9) * w
        ry, rx = rng.uniform(0.06, 0.25) * h, rng.uniform(0.06, 0.25) * w
        if kind == 0:    # ellipse, soft edge
            d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
            a = np.clip((1.0 - d) * 4.0, 0, 1)
        elif kind == 1:  # axis-aligned rectangle with shading
            a = ((np.abs(yy - cy) < ry) & (np.abs(xx - cx) < rx)).astype(np.float64)
            col = col[None, None, :] * (0.8 + 0.2 * (yy - cy + ry)[..., None] / (2 * ry))
        else:            # triangle ("tree")
            top = cy - ry
            inside = (yy > top) & (yy < cy + ry) & (np.abs(xx - cx) < (yy - top) / (2 * ry) * rx)
            a = inside.astype(np.float64)
        a = a[..., None]
        img = img * (1 - a) + a * col
    # texture: smooth low-frequency noise + fine grain
    lo = rng.randn(h // 8 + 2, w // 8 + 2)
    gy, gx = yy / 8.0, xx / 8.0
    y0, x0 = np.floor(gy).astype(int), np.floor(gx).astype(int)
    fy, fx = gy - y0, gx - x0
    lo = (lo[y0, x0] * (1 - fy) * (1 - fx) + lo[y0 + 1, x0] * fy * (1 - fx)
          + lo[y0, x0 + 1] * (1 - fy) * fx + lo[y0 + 1, x0 + 1] * fy * fx)
    img += 8.0 * lo[..., None] + rng.randn(h, w, 3) * 0.6
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def get_image(image_id):
    h, w, seed = IMAGE_SPECS[image_id]
    return make_image(h, w, seed)


def calibration_images(h, w, n=2, seed=1000):
    return [make_image(h, w, seed + i) for i in range(n)]


def write_png(path, rgb: np.ndarray):
    """Minimal 8-bit RGB PNG writer (zlib level 9, filter 1 'Sub' on every row) - deterministic."""
    h, w, c = rgb.shape
    assert c == 3 and rgb.dtype == np.uint8
    rows = rgb.reshape(h, w * 3).astype(np.int16)
    sub = rows.copy()
    sub[:, 3:] = rows[:, 3:] - rows[:, :-3]
    sub = (sub & 0xFF).astype(np.uint8)
    raw = b"".join(b"\x01" + sub[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def read_png(path) -> np.ndarray:
    """Reader for 8-bit RGB non-interlaced PNGs using filter types 0 (None) or 1 (Sub)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", None, None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if tag == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif tag == b"IDAT":
            idat += body
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * 3)
    out = raw[:, 1:].astype(np.int64)
    for y in range(h):
        if raw[y, 0] == 1:
            out[y] = (np.cumsum(out[y].reshape(w, 3), axis=0) & 0xFF).reshape(-1)
        else:
            assert raw[y, 0] == 0, "only filter types 0 and 1 supported"
    return out.astype(np.uint8).reshape(h, w, 3)
