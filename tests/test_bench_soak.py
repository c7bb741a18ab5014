"""bench_soak's warm-up: with a capped run history, the slope is fitted only once the history is full."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_soak", REPO / "benchmarks" / "bench_soak.py")
bench_soak = importlib.util.module_from_spec(_spec)
sys.modules["bench_soak"] = bench_soak  # dataclasses look their module up there
_spec.loader.exec_module(bench_soak)


def _samples(history_mb, points, started=1):
    return [bench_soak.Sample(5.0 * i, 300.0, 1000 * i if i >= started else None, mb, count, {})
            for i, (mb, count) in enumerate(zip(history_mb, points))]


def test_the_history_is_full_once_both_its_snapshots_and_its_points_were_thinned():
    # Bytes first drop between 15 s and 20 s (snapshots thinned), points between 30 s and 35 s.
    samples = _samples([0, 10, 20, 30, 29, 30, 31, 31.5, 30.5], [None, 5, 10, 15, 20, 25, 30, 22, 26])
    assert bench_soak.history_full_at(samples) == 35.0
    # The other way round: the later of the two still counts.
    samples = _samples([0, 10, 20, 30, 31, 32, 33, 28, 29], [None, 5, 10, 8, 9, 10, 11, 12, 13])
    assert bench_soak.history_full_at(samples) == 35.0


def test_a_history_still_filling_is_never_full_and_the_start_does_not_count_as_thinning():
    growing = _samples([0, 10, 20, 30, 40, 50], [None, 5, 10, 15, 20, 25])
    assert bench_soak.history_full_at(growing) is None
    points_not_yet = _samples([0, 10, 20, 15, 20, 25], [None, 5, 10, 15, 20, 25])
    assert bench_soak.history_full_at(points_not_yet) is None
    # Before training, the debug state may say 0 MB and then a leftover figure: not a thinning.
    before_training = _samples([3, 0, 10, 20, 19, 20], [None, 0, 5, 3, 4, 6], started=2)
    assert bench_soak.history_full_at(before_training) == 20.0
