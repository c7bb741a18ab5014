"""The app core on the session's EGL context, with a small synthetic dataset: no window, no display.

Import `make_core` (and the gl fixtures it needs) into a test module.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.app.core import AppCore
from nnviz.app.session import TrainingSession
from nnviz.model.config import TrainConfig
from synthetic_data import synthetic_dataset


class Clock:
    """A clock that moves only when a test sets ``now``."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frames(core: AppCore, count: int = 2) -> None:
    """Draw ``count`` frames (what the window's frame loop does, without training)."""
    for _ in range(count):
        core.render()


def click(core: AppCore, widget: str, fraction: float = 0.5, button: str = "left") -> None:
    """Press and release on a panel widget (at `fraction` of its width), a frame for each as a window gives."""
    frames(core, 1)  # lay the panel out so its widgets have places
    x0, y0, x1, y1 = core.panel.widget_rects[widget]
    x, y = x0 + (x1 - x0) * fraction, (y0 + y1) / 2
    core.mouse_motion(x, y, 0, 0)
    core.mouse_press(x, y, button)
    frames(core, 1)
    core.mouse_release(x, y, button)
    frames(core, 2)


class RecordingHost:
    """Stands in for the window: remembers what the core asked of it."""

    def __init__(self):
        self.closed = False
        self.mouse_captured = False

    def set_mouse_captured(self, captured: bool) -> None:
        self.mouse_captured = captured

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def make_core(gl_ctx, tmp_path):
    cores = []

    def make(config: TrainConfig | None = None, size=(320, 180), paused=True, samples=4, quality="high",
             **options) -> AppCore:
        dataset = synthetic_dataset()
        session = TrainingSession(config or TrainConfig(), load_data=lambda progress: dataset, input_shape=(28, 28))
        session.start_loading()
        session.wait_for_data(10)
        if paused:
            session.toggle_pause()
        core = AppCore(session, gl_ctx, window_size=size, screenshot_dir=tmp_path, samples=samples, quality=quality,
                       host=RecordingHost(), **options)
        cores.append(core)
        return core

    yield make
    for core in cores:
        core.release()


def screen_point(core: AppCore, layer: int, index: int) -> tuple[float, float]:
    """Window coordinates (y up) of a neuron's centre."""
    width, height = core.window_size
    point = core.layout.positions[core.layout.neuron_index(layer, index)]
    x, y = core.rig.camera.project(point[None], width, height)[0]
    return float(x), float(y)


def pixel(image: np.ndarray, core: AppCore, x: float, y: float) -> np.ndarray:
    """The colour (0-1) at window point (x, y) of an image read from the core's target."""
    height = image.shape[0]
    return image[int(height - y), int(x)].astype(np.float64) / 255.0


def digits_dataset(seed: int = 0, name: str = "mnist"):
    """synthetic_dataset as a nnviz.data.loader.Dataset (what the "not a digit" mixing takes)."""
    from pathlib import Path

    from nnviz.data.loader import Dataset

    data = synthetic_dataset(seed=seed)
    return Dataset(name=name, class_names=data.class_names, train_images=data.train_images,
                   train_labels=data.train_labels, test_images=data.test_images, test_labels=data.test_labels,
                   source=Path("."))


def loaded_session(config: TrainConfig | None = None, *, not_a_digit: bool = False, **options) -> TrainingSession:
    """A TrainingSession with the synthetic digits loaded (no window, no GL); with not_a_digit, a synthetic
    "not a digit" source (other synthetic pictures) it can add the 11th class from."""
    digits = digits_dataset(0, "mnist")
    if not_a_digit:
        others = digits_dataset(1, "fashion")
        options.setdefault("load_not_a_digit", lambda: others)
    session = TrainingSession(config or TrainConfig(), load_data=lambda progress: digits, input_shape=(28, 28),
                              **options)
    session.start_loading()
    session.wait_for_data(10)
    return session
