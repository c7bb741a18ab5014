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
#: The same for a paced frame (see FrameBudget.start_frame): everything the frame itself does is measured
#: then, and only the event loop's own work between frames is left.
PACED_HEADROOM = 0.03
SMOOTHING = 0.1


class FrameBudget:
    """Training time per frame = frame period - measured drawing cost - headroom.

    The drawing cost (uploads, draw calls, HUD, buffer swap) is an exponential
    moving average, so one slow frame does not make training stutter.

    A window paces its frames: it says when each begins (start_frame) and how long
    the frame took after its training until it was on screen (record_finish).
    Training then runs until that long before the frame's deadline, whatever came
    before it in this frame (events, the scene, waits for the rasteriser). Without
    pacing (offscreen hosts), training gets the period less the drawing thread's
    measured CPU time.
    """

    def __init__(self, target_fps: float = 60.0):
        self.target_fps = target_fps
        self.draw_seconds = 0.0  # wall clock, waiting for the rasteriser or GPU included
        self.cpu_seconds = 0.0  # of it, the app thread's own work
        self.finish_seconds: float | None = None  # paced: smoothed time from a frame's training to its swap
        self._frame_start: float | None = None

    @property
    def frame_period(self) -> float:
        return 1.0 / self.target_fps

    def record_draw(self, seconds: float, cpu_seconds: float | None = None) -> None:
        """A frame's drawing: wall-clock seconds, and of them the app thread's CPU time (None: all)."""
        cpu = seconds if cpu_seconds is None else min(cpu_seconds, seconds)
        self.draw_seconds += SMOOTHING * (seconds - self.draw_seconds)
        self.cpu_seconds += SMOOTHING * (cpu - self.cpu_seconds)

    def start_frame(self, now: float) -> None:
        """A paced frame begins (the event loop starts frames on schedule when they keep to it)."""
        self._frame_start = now

    def record_finish(self, seconds: float) -> None:
        """A paced frame's time from the end of its training to its swap's end (overlays, the swap's wait,
        training in that wait): the next frame's training stops that long before its deadline."""
        seconds = max(seconds, 0.0)
        previous = self.finish_seconds
        self.finish_seconds = seconds if previous is None else previous + SMOOTHING * (seconds - previous)

    def training_seconds(self, max_speed: bool, now: float | None = None) -> float:
        """`now`: the time in a paced frame (see start_frame); None for the unpaced rule."""
        if max_speed:
            return max(MAX_SPEED_BUDGET, MAX_SPEED_DRAW_RATIO * self.draw_seconds)
        # The share of the whole drawing time keeps training going when frames are slow whatever happens.
        floor = max(MIN_SHARE_OF_DRAW * self.draw_seconds, MIN_BUDGET)
        if now is not None and self._frame_start is not None and self.finish_seconds is not None:
            deadline = self._frame_start + self.frame_period * (1.0 - PACED_HEADROOM)
            return max(deadline - now - self.finish_seconds, floor)
        # Training runs while the rasteriser (or GPU) works: what the thread's own drawing work leaves of
        # the frame is its to use.
        return max(self.frame_period * (1.0 - HEADROOM) - self.cpu_seconds, floor)
