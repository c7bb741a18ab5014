"""HudState: what the HUD shows this frame, as plain values (built by the app core, drawn by the HUD)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np

from nnviz.app.hud_layout import GalleryGrid


Curve = list[tuple[int, float]]  # (samples seen, value)


def _no_curves() -> tuple[Curve, Curve]:
    return [], []


@dataclass
class TimelineState:
    """The strip along the bottom: the run's loss and accuracy on one axis of samples seen, and the playhead.

    The curves (up to 10,000 points each) are made only when read: the HUD reads them only when
    ``curve_key`` has changed, not every frame.
    """

    end: int = 0  # samples seen at the right end (the latest moment)
    shown: int = 0  # samples seen at the moment on show
    live: bool = True
    caption: str = ""
    curve_key: tuple = ()  # changes whenever the curves do
    make_curves: Callable[[], tuple[Curve, Curve]] = _no_curves  # (loss, accuracy)

    @cached_property
    def _curves(self) -> tuple[Curve, Curve]:
        return self.make_curves()

    @property
    def loss(self) -> Curve:
        return self._curves[0]

    @property
    def accuracy(self) -> Curve:
        return self._curves[1]


@dataclass(frozen=True)
class OutputMark:
    """An output neuron's class label and probability bar, beside its sphere on screen."""

    x: float  # window pixels (y up) of the sphere's right edge
    y: float
    label: str
    probability: float  # 0..1


@dataclass
class ConfusionState:
    """The test set's confusion matrix panel (G): rows the true class, columns the predicted one."""

    rect: tuple[float, float, float, float]  # hud_layout.confusion_rect: window pixels, y up
    labels: list[str]  # the classes' names for the axes, short
    colors: np.ndarray | None  # (classes, classes, 3) uint8 cell colours; None until the first pass ends
    title: str
    footer: str  # the cell under the mouse, or how to read the matrix
    hovered: tuple[int, int] | None = None  # (true, predicted)
    shown: tuple[int, int] | None = None  # the cell of the test digit on show


@dataclass
class GalleryState:
    """The receptive-field gallery (V): the first hidden layer's incoming weights, one tile per neuron."""

    grid: GalleryGrid  # hud_layout.gallery_grid
    tiles: np.ndarray  # (count, rows, cols, 3) uint8 at the input's resolution: neurons first, first + 1, ...
    first: int
    total: int  # neurons in the layer
    title: str
    footer: str
    selected: int | None = None  # the slot of the selected neuron, when on show
    hovered: int | None = None  # the slot under the mouse


@dataclass
class HudState:
    lines: list[str]
    timeline: TimelineState = field(default_factory=TimelineState)
    image: np.ndarray | None = None  # (H, W) uint8: the input on show
    true_text: str = "-"
    predicted_text: str = "-"
    correct: bool | None = None
    selection_lines: list[str] = field(default_factory=list)
    top_classes: str = ""  # "7 91%  1 4%  9 2%"
    drawing: bool = False  # drawing a digit (the button says how to stop)
    outputs: list[OutputMark] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    confusion: ConfusionState | None = None  # shown while not None
    gallery: GalleryState | None = None
