"""Dynamic resolution: the 3-D scene's scale follows what frames cost, so the frame rate holds.

Drawing on a software rasteriser costs roughly in proportion to the pixels
drawn. When drawing takes more than its share of the frame the scene is drawn
smaller (down to the profile's minimum) and scaled up; when there is room it
grows back. The HUD and text are always drawn at the window's resolution.
"""

from __future__ import annotations

#: Drawing may take this share of the frame period; the rest trains (smooth mode) and keeps headroom.
DRAW_SHARE = 0.5
#: Grow back only below this share: a gap between the two thresholds keeps the scale from flickering.
GROW_SHARE = 0.3
#: Scales are multiples of this: each change re-allocates the scene's target, so few distinct sizes.
STEP = 1.0 / 16.0
#: Frames to wait after a change before judging again (the smoothed cost must catch up).
SETTLE_FRAMES = 8
SMOOTHING = 0.2


class ResolutionScaler:
    def __init__(self, frame_period: float, min_scale: float = 0.5, enabled: bool = True):
        self.frame_period = frame_period
        self.min_scale = min_scale
        self.enabled = enabled
        self.scale = 1.0
        self._cost = None  # smoothed drawing cost, seconds
        self._wait = 0

    def record(self, draw_seconds: float) -> None:
        """What drawing the last frame cost (at the current scale)."""
        if not self.enabled:
            return
        self._cost = draw_seconds if self._cost is None else self._cost + SMOOTHING * (draw_seconds - self._cost)
        if self._wait > 0:
            self._wait -= 1
            return
        share = self._cost / self.frame_period
        if share > DRAW_SHARE and self.scale > self.min_scale:
            # Cost ~ pixels ~ scale^2: aim at the share allowed, one step at least.
            wanted = self.scale * (DRAW_SHARE / share) ** 0.5
            self._set(min(wanted, self.scale - STEP))
        elif share < GROW_SHARE and self.scale < 1.0:
            self._set(self.scale + STEP)

    def _set(self, scale: float) -> None:
        scale = min(max(round(scale / STEP) * STEP, self.min_scale), 1.0)
        if scale != self.scale:
            self.scale = scale
            self._wait = SETTLE_FRAMES
            self._cost = None
