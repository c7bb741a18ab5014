"""Any picture of a digit as an MNIST-like 28x28 input: your own photo, scan or drawing.

MNIST's digits were made from black-and-white scans by fitting each digit's
bounding box into 20x20 pixels, aspect ratio kept, with anti-aliasing (hence
the grey levels), then placing it in a 28x28 field so that its centre of mass
sits at the centre. :func:`normalize_digit` does the same to ink in [0, 1];
:func:`load_digit_image` first decodes a PNG or JPEG (Pillow), finds which of
dark-on-light or light-on-dark it is and turns it into such ink.

    from nnviz.data.digits import load_digit_image
    image = load_digit_image("seven.jpg")   # (28, 28) uint8, white ink on black
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from nnviz.errors import NnvizError

FIELD = 28  # MNIST's image side
BOX = 20  # the side the digit's longer side is scaled to
#: Ink at or below this counts as background when finding the bounding box.
INK_THRESHOLD = 0.05
#: Images over this many pixels (from the header) are refused before decoding.
MAX_PIXELS = 50_000_000
#: Decoded images larger than this on their longer side are reduced first (speed and memory).
WORKING_SIDE = 2048
#: Grey-level contrast (0-1) between ink and background below which an image has no ink.
MIN_CONTRAST = 0.1
#: Ink weaker than this, relative to the strongest ink, is paper texture or compression noise: zeroed.
NOISE_FLOOR = 0.1
#: Formats read (Pillow's names); others are refused without trying their decoders.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")


def normalize_digit(ink: np.ndarray) -> np.ndarray:
    """Ink (H, W) in [0, 1] (1 = ink), any size -> an MNIST-like (28, 28) uint8 image.

    Crop to the ink's bounding box, resample (anti-aliased bilinear) so the
    longer side is 20 pixels with the aspect ratio kept, then shift (by whole
    pixels) so the centre of mass is at row 14, column 14 (pixel indices, as in
    MNIST), clipping what would leave the field. The strongest ink is made 255,
    as in MNIST, where thin strokes scaled down would otherwise fade. No ink:
    all zeros.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or 0 in ink.shape:
        raise ValueError(f"expected a non-empty 2-D array of ink, got shape {ink.shape}")
    ink = np.clip(np.nan_to_num(ink, nan=0.0), 0.0, 1.0)
    field = np.zeros((FIELD, FIELD), np.float32)
    mask = ink > INK_THRESHOLD
    if not mask.any():
        return field.astype(np.uint8)
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    patch = _resize_to_box(crop)
    peak = patch.max()
    if peak <= 0.0:
        return field.astype(np.uint8)
    patch /= peak

    total = patch.sum(dtype=np.float64)
    centre_row = (patch.sum(axis=1, dtype=np.float64) @ np.arange(patch.shape[0])) / total
    centre_column = (patch.sum(axis=0, dtype=np.float64) @ np.arange(patch.shape[1])) / total
    top = int(np.round(FIELD / 2 - centre_row))
    left = int(np.round(FIELD / 2 - centre_column))
    _paste(field, patch, top, left)
    return np.round(np.clip(field, 0.0, 1.0) * 255.0).astype(np.uint8)


def _resize_to_box(crop: np.ndarray) -> np.ndarray:
    """The crop scaled so its longer side is BOX, aspect kept (at least one pixel across)."""
    from PIL import Image

    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, int(round(width * scale))), max(1, int(round(height * scale))))  # Pillow: (width, height)
    # Pillow's bilinear filter widens with the reduction factor, so shrinking
    # averages every source pixel (anti-aliased) rather than sampling.
    resized = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32), mode="F").resize(
        size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _paste(field: np.ndarray, patch: np.ndarray, top: int, left: int) -> None:
    """Write ``patch`` into ``field`` with its corner at (top, left), dropping what falls outside."""
    rows, columns = field.shape
    source_top, source_left = max(0, -top), max(0, -left)
    bottom, right = min(rows, top + patch.shape[0]), min(columns, left + patch.shape[1])
    if bottom <= max(top, 0) or right <= max(left, 0):
        return
    field[max(top, 0):bottom, max(left, 0):right] = patch[source_top:source_top + bottom - max(top, 0),
                                                          source_left:source_left + right - max(left, 0)]


def load_digit_image(path: str | os.PathLike) -> np.ndarray:
    """A picture of one digit (PNG or JPEG; also BMP, GIF, WebP) -> (28, 28) uint8, MNIST-like.

    Any size and mode: colour is turned to grey, transparency composited on
    white. Dark ink on light paper and light ink on a dark ground are both
    read: the background is the border's median grey and the ink is what
    departs furthest from it. Raises NnvizError naming the file if it cannot
    be read, is empty, is not an image, is over MAX_PIXELS (checked from the
    header, before decoding) or has no ink.
    """
    return normalize_digit(ink_from_grey(read_grey(path), path))


def read_grey(path: str | os.PathLike) -> np.ndarray:
    """The image at ``path`` as grey levels in [0, 1], (H, W) float32, reduced to WORKING_SIDE at most."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    too_large = f"{path}: is too large (over {MAX_PIXELS // 1_000_000} megapixels); scale it down first"
    # Pillow's own guard, for this and any other opening of an image: over the
    # cap it warns (ignored here: the header check below refuses), over twice it refuses.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        if path.is_file() and path.stat().st_size == 0:
            raise NnvizError(f"{path}: is empty (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=FORMATS)  # reads the header only
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise NnvizError(f"{too_large} ({width}x{height})")
            image.draft("L", (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode in grey, at a fraction of a huge size
            image.load()
            return _to_grey(ImageOps.exif_transpose(image))  # phone photos: upright
    except Image.DecompressionBombError:
        raise NnvizError(too_large) from None
    except UnidentifiedImageError:
        raise NnvizError(f"{path}: not an image (expected PNG or JPEG)") from None
    except IsADirectoryError:
        raise NnvizError(f"{path}: is a directory, not an image") from None
    except OSError as error:
        if error.errno is not None:  # missing, no permission, ...: the file system's reason
            raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
        raise NnvizError(f"{path}: cannot decode: {error}") from None  # truncated or corrupt data
    except (SyntaxError, ValueError, EOFError) as error:
        raise NnvizError(f"{path}: cannot decode: {error or type(error).__name__}") from None


def _to_grey(image) -> np.ndarray:
    from PIL import Image

    if max(image.size) > 2 * WORKING_SIDE and image.mode in ("L", "LA", "RGB", "RGBA", "P", "1"):
        image = image.convert("RGBA" if _has_alpha(image) else "L").reduce(-(-max(image.size) // WORKING_SIDE))
    if image.mode.startswith("I") or image.mode == "F":  # 16- and 32-bit grey: scale by the format's range
        grey = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
        return _reduced(np.clip(grey / np.float32(top), 0.0, 1.0))
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    grey = np.asarray(image.convert("L"), dtype=np.float32) / np.float32(255.0)
    return _reduced(grey)


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _reduced(grey: np.ndarray) -> np.ndarray:
    """Block-averaged down to WORKING_SIDE at most on the longer side."""
    factor = -(-max(grey.shape) // WORKING_SIDE)
    if factor <= 1:
        return grey
    rows, columns = (grey.shape[0] // factor) * factor, (grey.shape[1] // factor) * factor
    return grey[:rows, :columns].reshape(rows // factor, factor, columns // factor, factor).mean(axis=(1, 3))


def ink_from_grey(grey: np.ndarray, path: str | os.PathLike = "image") -> np.ndarray:
    """Grey levels (H, W) in [0, 1] -> ink in [0, 1], whichever the polarity.

    The background is the median of the border pixels; the ink is the
    direction (darker or lighter) that departs furthest from it, stretched so
    the strongest ink is 1; ink under NOISE_FLOOR (paper texture, JPEG
    noise) is dropped. NnvizError naming ``path`` if nothing departs
    from the background by MIN_CONTRAST.
    """
    grey = np.asarray(grey, dtype=np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    background = float(np.median(border))
    darker, lighter = background - float(grey.min()), float(grey.max()) - background
    contrast = max(darker, lighter)
    if contrast < MIN_CONTRAST:
        raise NnvizError(f"{path}: no digit found: the image is all one colour")
    ink = (background - grey) if darker >= lighter else (grey - background)
    ink *= np.float32(1.0 / contrast)
    # Zeroed, not subtracted: lowering all the ink would thin the strokes (and cost accuracy).
    ink[ink < NOISE_FLOOR] = 0.0
    return np.clip(ink, 0.0, 1.0)
