"""Dynamic resolution: the 3-D scene's scale follows what frames cost in pixels, so the frame rate holds.

On a software rasteriser the pixels are filled by its own threads while the
app's thread trains; time the app's thread then spends *waiting* for them
(wall-clock drawing time minus this thread's CPU time) means there are more
pixels than the frame has room for. Then the scene is drawn smaller (down to
the profile's minimum) and scaled up; when the waiting stops it grows back,
slowly, so the scale settles instead of flickering. The HUD and text are
always drawn at the window's resolution. Work on this thread (uploads, vertex
processing, the HUD) does not shrink with the resolution and is not counted.
"""

from __future__ import annotations

#: Waiting for the rasteriser longer than this share of the frame period: draw smaller.
SHRINK_WAIT_SHARE = 0.15
#: Waiting less than this share: there is room to grow.
GROW_WAIT_SHARE = 0.03
#: Scales are multiples of this: each change re-allocates the scene's target, so few distinct sizes.
STEP = 1.0 / 16.0
#: Frames to wait after a change before judging again (the smoothed wait must catch up); growing waits
#: longer, so that a scale just too large for the frame is not tried again and again.
SETTLE_FRAMES = 8
GROW_SETTLE_FRAMES = 45
SMOOTHING = 0.2


class ResolutionScaler:
    def __init__(self, frame_period: float, min_scale: float = 0.5, enabled: bool = True):
        self.frame_period = frame_period
        self.min_scale = min_scale
        self.enabled = enabled
        self.scale = 1.0
        self._wait = None  # smoothed waiting for the rasteriser, seconds
        self._hold = 0
        self._calm = 0  # frames in a row with room to grow

    @property
    def waiting(self) -> float | None:
        """The smoothed time a frame waits for the rasteriser (None right after a change of scale)."""
        return self._wait

    def record(self, cpu_seconds: float, wait_seconds: float) -> None:
        """One frame's drawing: this thread's CPU time, and the time it waited for the rasteriser."""
        if not self.enabled:
            return
        wait = max(wait_seconds, 0.0)
        self._wait = wait if self._wait is None else self._wait + SMOOTHING * (wait - self._wait)
        if self._hold > 0:
            self._hold -= 1
            return
        share = self._wait / self.frame_period
        if share > SHRINK_WAIT_SHARE and self.scale > self.min_scale:
            # Pixels ~ scale^2, and the waiting is the part of the pixels' time beyond the frame: aim at
            # the scale whose pixels take that much less, one step at least.
            wanted = self.scale * (1.0 - min(share, 0.75)) ** 0.5
            self._set(min(wanted, self.scale - STEP), SETTLE_FRAMES)
        elif share < GROW_WAIT_SHARE and self.scale < 1.0:
            self._calm += 1
            if self._calm >= GROW_SETTLE_FRAMES:
                self._set(self.scale + STEP, SETTLE_FRAMES)
        else:
            self._calm = 0

    def _set(self, scale: float, hold: int) -> None:
        scale = min(max(round(scale / STEP) * STEP, self.min_scale), 1.0)
        self._calm = 0
        if scale != self.scale:
            self.scale = scale
            self._hold = hold
            self._wait = None
