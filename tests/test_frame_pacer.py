"""FramePacer: frames due one period apart, a late frame caught up rather than the schedule pushed back."""

from __future__ import annotations

import pytest

from nnviz.app.frame_pacer import MAX_BEHIND_PERIODS, FramePacer

PERIOD = 1 / 30


def test_a_frame_that_ends_early_waits_for_the_next_due_time():
    pacer = FramePacer(30, now=10.0)
    assert pacer.next_delay(10.010) == pytest.approx(PERIOD - 0.010)
    assert pacer.next_delay(10.0 + PERIOD + 0.020) == pytest.approx(PERIOD - 0.020)


def test_after_a_late_frame_the_next_starts_at_once_and_the_schedule_holds():
    pacer = FramePacer(30, now=0.0)
    assert pacer.next_delay(0.045) == 0.0  # the frame took 45 ms: the next (due at 33 ms) starts now
    # ... and the one after is still due two periods from the start, not a period after the late one.
    assert pacer.next_delay(0.050) == pytest.approx(2 * PERIOD - 0.050)


def test_frames_slightly_over_their_period_now_and_then_keep_the_rate_on_average():
    pacer, now, frames = FramePacer(30, now=0.0), 0.0, 0
    while now < 10.0:
        work = 0.036 if frames % 4 == 0 else 0.030  # one frame in four runs 3 ms over
        now += work
        now += pacer.next_delay(now)
        frames += 1
    assert frames / now == pytest.approx(30.0, abs=0.1)


def test_far_behind_the_schedule_restarts_instead_of_rushing_a_burst_of_frames():
    pacer = FramePacer(30, now=0.0)
    stalled = (MAX_BEHIND_PERIODS + 3) * PERIOD  # a stall (a dragged window, a swap that hung)
    assert pacer.next_delay(stalled) == 0.0
    assert pacer.next_delay(stalled + 0.005) == pytest.approx(PERIOD - 0.005)
