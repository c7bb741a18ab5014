"""How long each frame may train so the frame rate holds."""

from __future__ import annotations

#: Never starve training entirely, even when drawing alone misses the target
#: (a software renderer): it keeps at least this share of the drawing time.
MIN_BUDGET = 0.001
MIN_SHARE_OF_DRAW = 0.25
#: In "max speed" mode a frame trains at least this long (about 10 fps on a
#: GPU) and at least MAX_SPEED_DRAW_RATIO times what drawing costs, so drawing
#: takes at most 1/(1+ratio) = 14% of the time even on a software renderer.
MAX_SPEED_BUDGET = 0.1
MAX_SPEED_DRAW_RATIO = 6.0
#: Fraction of the frame left free for the event loop, vsync jitter and the OS.
HEADROOM = 0.15
SMOOTHING = 0.1


class FrameBudget:
    """Training time per frame = frame period - measured drawing cost - headroom.

    The drawing cost (uploads, draw calls, HUD, buffer swap) is an exponential
    moving average, so one slow frame does not make training stutter.
    """

    def __init__(self, target_fps: float = 60.0):
        self.target_fps = target_fps
        self.draw_seconds = 0.0  # wall clock, waiting for the rasteriser or GPU included
        self.cpu_seconds = 0.0  # of it, the app thread's own work

    @property
    def frame_period(self) -> float:
        return 1.0 / self.target_fps

    def record_draw(self, seconds: float, cpu_seconds: float | None = None) -> None:
        """A frame's drawing: wall-clock seconds, and of them the app thread's CPU time (None: all)."""
        cpu = seconds if cpu_seconds is None else min(cpu_seconds, seconds)
        self.draw_seconds += SMOOTHING * (seconds - self.draw_seconds)
        self.cpu_seconds += SMOOTHING * (cpu - self.cpu_seconds)

    def training_seconds(self, max_speed: bool) -> float:
        if max_speed:
            return max(MAX_SPEED_BUDGET, MAX_SPEED_DRAW_RATIO * self.draw_seconds)
        # Training runs while the rasteriser (or GPU) works: what the thread's own drawing work leaves of
        # the frame is its to use; the share of the whole drawing time keeps it going when frames are slow.
        spare = self.frame_period * (1.0 - HEADROOM) - self.cpu_seconds
        return max(spare, MIN_SHARE_OF_DRAW * self.draw_seconds, MIN_BUDGET)
