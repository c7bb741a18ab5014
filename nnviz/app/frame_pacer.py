"""When each window frame is due: one period after the one before, late frames caught up.

pyglet's schedule_interval starts the next period from a late frame's start,
so every millisecond a frame runs over is lost for good and a window that
aims at 30 fps shows 28-29. Here a frame is due one period after the previous
one was *due*: after a late frame the next comes at once, and the rate holds
on average. A frame far behind (a stall, a dragged window) restarts the
schedule instead of rushing through a burst of frames.
"""

from __future__ import annotations

#: Behind by more than this many periods: restart the schedule from now.
MAX_BEHIND_PERIODS = 2.0


class FramePacer:
    def __init__(self, fps: float, now: float):
        self.period = 1.0 / fps
        self.due = now  # when the frame being drawn (or the first) was due

    def next_delay(self, now: float) -> float:
        """Seconds from `now` until the next frame is due (0: at once); moves on to that frame."""
        self.due += self.period
        if now - self.due > MAX_BEHIND_PERIODS * self.period:
            self.due = now
        return max(self.due - now, 0.0)
