"""HudState: what the HUD shows this frame, as plain values (built by the app core, drawn by the HUD)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class TimelineState:
    """The strip along the bottom: the run's loss and accuracy on one axis of samples seen, and the playhead."""

    end: int = 0  # samples seen at the right end (the latest moment)
    shown: int = 0  # samples seen at the moment on show
    live: bool = True
    loss: list[tuple[int, float]] = field(default_factory=list)  # (samples seen, value)
    accuracy: list[tuple[int, float]] = field(default_factory=list)
    caption: str = ""


@dataclass(frozen=True)
class OutputMark:
    """An output neuron's class label and probability bar, beside its sphere on screen."""

    x: float  # window pixels (y up) of the sphere's right edge
    y: float
    label: str
    probability: float  # 0..1


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
