"""--stats' figures: frames and samples counted over the window's run (nnviz.commands.window.RunStats)."""

import pytest

from nnviz.commands.window import RunStats


def test_fps_from_the_first_frame_and_samples_from_when_the_data_arrived():
    now = [10.0]
    stats = RunStats(clock=lambda: now[0])
    for samples, loaded in ((0, False), (0, False), (320, True), (640, True), (96, True), (1000, True)):
        stats.count(samples, loaded)  # 96: a reset (R) sent the counter back
        now[0] += 0.5
    # 6 frames, 2.5 s from the first to the last; the data from the third frame on (1.5 s before the last),
    # and 320 + 904 samples trained since: a reset subtracts nothing (its frame's own few go uncounted).
    assert stats.frames == 6
    assert stats.fps == pytest.approx(5 / 2.5)
    assert stats.samples == 320 + 904
    assert stats.samples_per_second == pytest.approx((320 + 904) / 1.5)
    assert stats.line("fast") == "frames 6, fps 2.0, train samples/s 816, quality fast"


def test_no_frames_or_no_data_gives_zeros_not_errors():
    stats = RunStats(clock=lambda: 1.0)
    assert stats.line("high") == "frames 0, fps 0.0, train samples/s 0, quality high"
    stats.count(0, False)
    assert stats.fps == 0.0 and stats.samples_per_second == 0.0
