"""Reference-image comparison for rendered frames, in the manner of pygfx's and vispy's image tests.

A frame is compared with tests/reference_images/NAME.png with a tolerance that
absorbs rasteriser rounding (llvmpipe versions, BLAS noise in trained weights)
but not a changed colour, a missing ring or a moved sphere. On a mismatch the
actual image and an amplified difference image are written to
out/reference-failures/ and the assertion says where. `pytest
--regen-references` rewrites the references from the current code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnviz.engine.image_io import load_png, save_png

REFERENCE_DIR = Path(__file__).resolve().parent / "reference_images"
FAILURE_DIR = Path(__file__).resolve().parent.parent / "out" / "reference-failures"
#: A pixel counts as different when any channel differs by more than this (0-255).
PIXEL_TOLERANCE = 24
#: Share of the image allowed to differ, and the largest mean difference per channel.
MAX_DIFFERENT_FRACTION = 0.004
MAX_MEAN_DIFFERENCE = 1.0


def compare(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(fraction of pixels beyond PIXEL_TOLERANCE, mean absolute difference per channel)."""
    difference = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    return float((difference.max(axis=2) > PIXEL_TOLERANCE).mean()), float(difference.mean())


def assert_image_matches(name: str, actual: np.ndarray, regenerate: bool) -> None:
    path = REFERENCE_DIR / f"{name}.png"
    if regenerate:
        REFERENCE_DIR.mkdir(exist_ok=True)
        save_png(path, actual, replace=True)
        return
    assert path.exists(), f"no reference image {path}: run pytest --regen-references and look at it"
    expected = load_png(path)
    assert actual.shape == expected.shape, f"{name}: image is {actual.shape}, reference {expected.shape}"
    fraction, mean = compare(actual, expected)
    if fraction > MAX_DIFFERENT_FRACTION or mean > MAX_MEAN_DIFFERENCE:
        FAILURE_DIR.mkdir(parents=True, exist_ok=True)
        save_png(FAILURE_DIR / f"{name}-actual.png", actual, replace=True)
        difference = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
        save_png(FAILURE_DIR / f"{name}-diff.png", np.clip(difference * 4, 0, 255).astype(np.uint8), replace=True)
        raise AssertionError(
            f"{name}: {fraction:.2%} of pixels differ by more than {PIXEL_TOLERANCE} (allowed "
            f"{MAX_DIFFERENT_FRACTION:.2%}), mean difference {mean:.2f} (allowed {MAX_MEAN_DIFFERENCE}); "
            f"see {FAILURE_DIR}/{name}-actual.png and -diff.png"
        )
