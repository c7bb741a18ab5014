"""What the analysis panels show, as plain values: the confusion matrix (G) and the receptive-field gallery (V).

Pure functions of the session's numbers, plus GalleryTiles, which keeps the
tile images between frames (colouring a few dozen 28x28 images costs
milliseconds: they are remade a few times a second at most while training).
No drawing here: the HUD draws what these return, where nnviz/app/hud_layout.py says.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np

from nnviz.app.confusion import Confusion
from nnviz.app.hud_layout import GalleryGrid
from nnviz.app.hud_state import ConfusionState, GalleryState
from nnviz.data.mixing import NOT_A_DIGIT
from nnviz.engine import colormaps, rules

#: Row shares are coloured on a log scale: a 1 % confusion already shows, 100 % is the map's end.
SHARE_CONTRAST = 99.0
#: A cell no test digit falls in: darker than the map's darkest colour, so "none" reads apart from "few".
EMPTY_CELL = (16, 20, 36)
#: Gallery tiles are remade at most this often while the weights change (at once when the view changes).
TILE_REFRESH_SECONDS = 0.25
#: Gallery colours come from a table of this many steps across -1..1 weight scales (finer than 8-bit colour).
HEATMAP_STEPS = 2048


# ------------------------------------------------------------------ confusion matrix
#: Axis labels for classes whose names are long, so digits keep theirs beside them.
SHORT_NAMES = {NOT_A_DIGIT: "✗"}


def axis_labels(class_names) -> list[str]:
    """The classes' names where all are short (digits), else their numbers (the footer names them in full)."""
    names = [SHORT_NAMES.get(str(name), str(name)) for name in class_names]
    return names if all(len(name) <= 2 for name in names) else [str(i) for i in range(len(names))]


def row_shares(counts: np.ndarray) -> np.ndarray:
    """Each cell's share of its row: of the test digits of that true class, how many got this answer."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def confusion_colors(counts: np.ndarray) -> np.ndarray:
    """(classes, classes, 3) uint8: each cell's row share on the sequential activation map (log scale).

    The diagonal, where most of each row falls once the network learns, is the bright line; empty
    cells are EMPTY_CELL.
    """
    shares = row_shares(counts)
    positions = np.log1p(SHARE_CONTRAST * shares) / math.log1p(SHARE_CONTRAST)
    colours = np.round(colormaps.sample(colormaps.ACTIVATION_COLORMAP, positions) * 255).astype(np.uint8)
    colours[np.asarray(counts) == 0] = EMPTY_CELL
    return colours


def fitted(variants: list[str], chars: int) -> str:
    """The first (longest) wording that fits in `chars` characters, else the last one cut to fit."""
    for text in variants:
        if len(text) <= chars:
            return text
    return variants[-1][:max(chars - 1, 0)] + "…"


def confusion_state(result: Confusion | None, progress: float | None, class_names, rect,
                    hovered: tuple[int, int] | None, loaded: bool, chars: int = 40,
                    shown: tuple[int, int] | None = None) -> ConfusionState:
    """The panel's contents: colours, title (the moment the matrix belongs to) and footer (the cell pointed at).

    chars: about how many characters fit across the panel (hud_layout.panel_chars).
    """
    labels = axis_labels(class_names)
    if result is None:
        waiting = "waiting for the test set" if not loaded else f"computing {progress or 0:.0%}"
        return ConfusionState(rect, labels, None, fitted(["test-set confusion", "confusion"], chars),
                              fitted([waiting], chars))
    live, batches = result.moment
    when = f"batch {batches:,}"
    title = fitted([f"test-set confusion · live, {when}", "test-set confusion · live", "confusion · live",
                    "live"] if live else [f"test-set confusion · {when}", f"confusion · {when}", f"at {when}"], chars)
    footer = fitted(["↓ true  → predicted", "↓true →predicted"], chars)
    if hovered is not None:
        true, predicted = hovered
        count = int(result.counts[true, predicted])
        share = f"{row_shares(result.counts)[true, predicted]:.1%}"
        name, short = class_names[true], labels[true]
        footer = fitted([f"{name} right: {count} of {int(result.counts[true].sum())} ({share})",
                         f"{name} right: {count} ({share})", f"{short} right: {count} ({share})",
                         f"{short}: {count}"] if true == predicted else
                        [f"{name} as {class_names[predicted]}: {count} ({share})",
                         f"{short} as {labels[predicted]}: {count} ({share})", f"{short}→{labels[predicted]}: {count}"],
                        chars)
    return ConfusionState(rect, labels, confusion_colors(result.counts), title, footer, hovered, shown)


# ------------------------------------------------------------------ receptive-field gallery
def tile_images(weights: np.ndarray, image_shape: tuple[int, int], colormap: str) -> np.ndarray:
    """(neurons, rows, cols, 3) uint8: each column of `weights` (inputs x neurons) as an image, coloured as the
    input grid shows a selected neuron's weights (each at its own robust scale)."""
    weights = np.asarray(weights, dtype=np.float32)
    count = weights.shape[1]
    if count == 0:
        return np.zeros((0, *image_shape, 3), np.uint8)
    scales = np.array([max(rules.robust_scale(weights[:, k]), 1e-12) for k in range(count)], np.float32)
    # Each weight at its neuron's scale, -1..1, looked up in a fine table of heatmap_colors: a few dozen
    # tiles in a millisecond instead of ten.
    steps = len(_heatmap_table(colormap)) - 1
    positions = np.clip((weights / scales).T, -1.0, 1.0)  # neuron by neuron
    indices = np.rint((positions + 1.0) * (steps / 2)).astype(np.intp)
    return _heatmap_table(colormap)[indices].reshape(count, *image_shape, 3)


@functools.lru_cache(maxsize=None)
def _heatmap_table(colormap: str, steps: int = HEATMAP_STEPS) -> np.ndarray:
    """(steps + 1, 3) uint8: heatmap_colors of values -1 .. 1 at scale 1."""
    colours = rules.heatmap_colors(np.linspace(-1.0, 1.0, steps + 1), colormap, scale=1.0)
    table = np.round(colours * 255).astype(np.uint8)
    table.flags.writeable = False
    return table


class GalleryTiles:
    """The page of tile images on show, kept while nothing it shows changes.

    Remade at once when the page, the colour map or the layer changes, and at
    most every `refresh_seconds` while the weights change (training, replay).
    """

    def __init__(self, clock: Callable[[], float], refresh_seconds: float = TILE_REFRESH_SECONDS):
        self._clock = clock
        self.refresh_seconds = refresh_seconds
        self._key = None
        self._weights: np.ndarray | None = None
        self._tiles: np.ndarray | None = None
        self._made_at = -math.inf
        self.builds = 0  # how many times the images were made (for tests)

    def tiles(self, weights: np.ndarray, first: int, count: int, image_shape: tuple[int, int],
              colormap: str) -> np.ndarray:
        """Tiles for neurons first .. first + count - 1 of `weights` (inputs x neurons, the first weight matrix)."""
        page = weights[:, first:first + count]
        key = (first, count, tuple(image_shape), colormap, weights.shape)
        now = self._clock()
        if self._tiles is not None and key == self._key and (
                now - self._made_at < self.refresh_seconds or np.array_equal(page, self._weights)):
            return self._tiles
        self._key, self._weights, self._made_at = key, page.copy(), now
        self._tiles = tile_images(page, image_shape, colormap)
        self.builds += 1
        return self._tiles


def gallery_state(tiles: np.ndarray, grid: GalleryGrid, first: int, total: int, selected: int | None,
                  hovered: int | None, chars: int = 40) -> GalleryState:
    """The panel's contents; `selected` and `hovered` are neuron indices of the layer (None: none); chars:
    about how many characters fit across the panel."""
    last = first + len(tiles) - 1
    shown = f"{first}–{last}" if len(tiles) > 1 else f"{first}"
    scrolls = total > grid.page
    if hovered is not None:
        footer = fitted([f"neuron {hovered} (selected)", f"{hovered} (selected)", f"{hovered}"] if hovered == selected
                        else [f"neuron {hovered}: click selects", f"neuron {hovered}", f"{hovered}"], chars)
    elif scrolls:
        footer = fitted([f"neurons {shown} of {total} · wheel scrolls", f"neurons {shown} of {total}",
                         f"{shown} of {total}", shown], chars)
    else:
        footer = fitted([f"neurons {shown} · click selects", "click selects", shown], chars)

    def slot(neuron: int | None) -> int | None:
        return neuron - first if neuron is not None and first <= neuron <= last else None

    title = fitted(["receptive fields · layer 1", "receptive fields", "layer 1"], chars)
    return GalleryState(grid, tiles, first, total, title, footer, slot(selected), slot(hovered))
