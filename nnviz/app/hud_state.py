"""HudState: what the HUD shows this frame, as plain values (built by the app core, drawn by the HUD)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class HudState:
    lines: list[str]
    loss_history: list[float] = field(default_factory=list)
    accuracy_history: list[float] = field(default_factory=list)
    image: np.ndarray | None = None  # (H, W) uint8: the input on show
    true_text: str = "-"
    predicted_text: str = "-"
    correct: bool | None = None
    selection_lines: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
