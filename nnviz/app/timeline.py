"""Time travel over a run's history: which snapshot is on show, stepping, scrubbing, replay.

The Timeline knows nothing of drawing: it holds the position (None = live,
else a snapshot index of the RunHistory) and the replay clock. The app core
maps keys and drags to it, and builds frames from the snapshot it names.
"""

from __future__ import annotations

import math

import numpy as np

from nnviz.model.history import RunHistory

#: Replay speeds, in snapshots per second (snapshots are dense early, so early training plays slowly).
REPLAY_SPEEDS = (5.0, 15.0, 30.0, 60.0, 120.0)
DEFAULT_SPEED_LEVEL = 1
BAR_MARGIN = 12
BAR_HEIGHT = 64
CAPTION_HEIGHT = 18  # the caption line under the strip
COMPACT_HEIGHT = 600  # a window less tall gets a strip half as high


class Timeline:
    def __init__(self, history: RunHistory):
        self.history = history
        self.position: int | None = None  # None: live
        self.replaying = False
        self.speed_level = DEFAULT_SPEED_LEVEL
        self._replay_debt = 0.0  # fractional snapshots owed by the replay clock

    @property
    def live(self) -> bool:
        return self.position is None

    @property
    def speed(self) -> float:
        return REPLAY_SPEEDS[self.speed_level]

    def follow(self, history: RunHistory) -> None:
        """A new run began (reset, load): show it live."""
        self.history = history
        self.position = None
        self.replaying = False

    def shown_samples(self, live_samples: int) -> int:
        return live_samples if self.live else int(self.history[self.position].samples_seen)

    # ------------------------------------------------------------ moving
    def step(self, count: int) -> bool:
        """Move by `count` snapshots (negative: back); stepping past the last one returns to live."""
        if not len(self.history):
            return False
        last = len(self.history) - 1
        current = last + 1 if self.live else self.position
        target = current + count
        self.position = None if target > last else max(target, 0)
        return True

    def to_start(self) -> None:
        if len(self.history):
            self.position = 0

    def to_live(self) -> None:
        self.position = None
        self.replaying = False

    def scrub(self, fraction: float, live_samples: int) -> None:
        """Show the last snapshot at or before `fraction` of the timeline's axis; the right end is live."""
        if not len(self.history):
            return
        samples = samples_at_fraction(fraction, live_samples)
        if fraction >= 1.0 or samples >= live_samples:
            self.position = None
            return
        taken = np.fromiter((snapshot.samples_seen for snapshot in self.history), np.int64, len(self.history))
        self.position = max(int(np.searchsorted(taken, samples, side="right")) - 1, 0)

    # ------------------------------------------------------------ replay
    def toggle_replay(self) -> bool:
        """Start (from the start when live) or stop playing the recorded run; returns whether it plays."""
        if self.replaying:
            self.replaying = False
            return False
        if not len(self.history):
            return False
        if self.live or self.position >= len(self.history) - 1:
            self.position = 0
        self.replaying = True
        self._replay_debt = 0.0
        return True

    def cycle_speed(self) -> float:
        self.speed_level = (self.speed_level + 1) % len(REPLAY_SPEEDS)
        return self.speed

    def advance(self, seconds: float) -> bool:
        """Move the replay on by `seconds` of wall time; returns False when it reached the end (and stopped)."""
        if not self.replaying or self.live:
            return self.replaying
        self._replay_debt += seconds * self.speed
        steps = int(self._replay_debt)
        self._replay_debt -= steps
        last = len(self.history) - 1
        self.position = min(self.position + steps, last)
        if self.position >= last:
            self.replaying = False
        return self.replaying


def axis_fraction(samples: float, live_samples: int) -> float:
    """Where a moment (samples seen) sits on the timeline, 0..1: a square-root axis, so the first seconds
    of training, when the network changes most, take a fair share of the width however long the run is."""
    if live_samples <= 0:
        return 0.0
    return math.sqrt(min(max(samples, 0.0), live_samples) / live_samples)


def samples_at_fraction(fraction: float, live_samples: int) -> float:
    """The inverse of axis_fraction."""
    fraction = min(max(fraction, 0.0), 1.0)
    return fraction * fraction * live_samples


def bar_rect(width: int, height: int) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the timeline strip in window pixels (y up): along the bottom edge."""
    margin = BAR_MARGIN
    bar_height = BAR_HEIGHT if height >= COMPACT_HEIGHT else BAR_HEIGHT // 2
    return margin, margin + CAPTION_HEIGHT, max(width - 2 * margin, 1), bar_height
