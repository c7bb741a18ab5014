"""F9: recording what the window shows to an mp4, in real time however slowly frames come."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

#: Recordings play at this rate whatever the window manages: frames are repeated to keep real time.
RECORDING_FPS = 30


class LiveRecording:
    """One recording: frames are added as often as the time since the start asks for."""

    def __init__(self, path: Path, size: tuple[int, int], clock: Callable[[], float]):
        from nnviz.app.recorder import VideoRecorder  # imageio-ffmpeg loads only when someone records

        # The name is a suggestion: one taken meanwhile (or a planted link) moves it on to path-2, ...
        self.video = VideoRecorder(path, size, RECORDING_FPS, next_free_name=True)
        self._clock = clock
        self._started = clock()
        self._written = 0

    @property
    def size(self) -> tuple[int, int]:
        return self.video.size

    def add(self, image: np.ndarray) -> None:
        """This frame, repeated up to now: a slow window still gives a real-time video (NnvizError on failure)."""
        due = int((self._clock() - self._started) * RECORDING_FPS) + 1
        while self._written < due:
            self.video.add(image)
            self._written += 1

    def close(self) -> str:
        """Finish the file; what to tell the user."""
        frames = self.video.close()
        return f"recorded {frames / RECORDING_FPS:.1f} s to {self.video.path}"
