"""Reading and writing RGB images as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# pyglet bundles pypng, a pure-Python encoder that needs no display, so PNG
# output adds no dependency (about 0.1 s for 1280x720).
from pyglet.extlibs import png

from nnviz import safe_files
from nnviz.errors import NnvizError


def save_png(path, rgb: np.ndarray, *, replace: bool = False) -> Path:
    """Write an (H, W, 3) uint8 image, row 0 at the top, atomically (nnviz.safe_files).

    An existing file at ``path`` is replaced only if ``replace``; otherwise NnvizError (safe_files.AlreadyExists).
    """
    return safe_files.write_file(path, _png_writer(rgb), replace=replace)


def save_new_png(path, rgb: np.ndarray) -> Path:
    """Write the image under ``path`` or, if anything is there (a planted symbolic link too), path-2, ...

    Returns the name it took: for screenshots, whose name is only a suggestion.
    """
    return safe_files.write_new_file(path, _png_writer(rgb))


def _png_writer(rgb: np.ndarray):
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {rgb.shape}")
    height, width, _ = rgb.shape

    def write(stream) -> None:
        png.Writer(width=width, height=height, greyscale=False, bitdepth=8).write(stream, rgb.reshape(height, width * 3))

    return write


def load_png(path) -> np.ndarray:
    """An (H, W, 3) uint8 image, row 0 at the top (alpha, if any, dropped)."""
    try:
        width, height, rows, _ = png.Reader(filename=str(path)).asRGB8()
        return np.vstack([np.asarray(row, np.uint8) for row in rows]).reshape(height, width, 3)
    except (OSError, png.Error) as error:
        raise NnvizError(f"cannot read image {path}: {error}") from error
