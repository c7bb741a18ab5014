"""What recording a run (RunHistory) costs: training speed, memory, and the time to seek a snapshot.

    python benchmarks/bench_history.py [--data DIR] [--epochs 3] [--rounds 5]

Training: the default network (784-16-16-10, tanh, softmax, Adam, batch 32)
trains --epochs epochs on MNIST from a fresh start, once without a history
and once with one attached (default 256 MB cap), in one process; rounds
alternate which goes first, and the median round counts. The dense first
200 batches are part of every measured run, as they are of every real one.
Since a shared machine makes whole-run rates noisy, the time spent in
recording is also measured directly: one more recorded run with its
snapshot-taking timed, and the not-due check per step timed alone.
Memory: the history's nbytes after each epoch. Seek: for random batch
numbers, index_at + Trainer.restore of the snapshot's state + copying the
parameters a frame draws; and, as the window's viewer does, index_at + copying
the snapshot's parameters alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnviz.data import load_dataset  # noqa: E402
from nnviz.model.config import PRESETS  # noqa: E402
from nnviz.model.history import RunHistory  # noqa: E402
from nnviz.model.trainer import Trainer  # noqa: E402

SEEKS = 500


def train_run(data, epochs: int, record: bool):
    """(samples per second, the history or None, the trainer) for ``epochs`` epochs from a fresh start."""
    trainer = Trainer(PRESETS["default"], data.train_images, data.train_labels, data.test_images, data.test_labels)
    history = RunHistory() if record else None
    start = time.perf_counter()
    if history is not None:
        history.attach(trainer)  # timed: it takes the first snapshot
    per_epoch = []
    for _ in range(epochs):
        trainer.train_epoch()
        per_epoch.append((history.nbytes, len(history)) if history is not None else None)
    seconds = time.perf_counter() - start
    return trainer.samples_seen / seconds, history, trainer, per_epoch


def recording_share(data, epochs: int) -> tuple[float, int, float]:
    """(fraction of a recorded run spent taking snapshots, how many, seconds per not-due step check)."""
    trainer = Trainer(PRESETS["default"], data.train_images, data.train_labels, data.test_images, data.test_labels)
    history = RunHistory()
    record, spent = history._record, [0.0, 0]

    def timed_record(trainer):
        start = time.perf_counter()
        record(trainer)
        spent[0] += time.perf_counter() - start
        spent[1] += 1

    history._record = timed_record
    start = time.perf_counter()
    history.attach(trainer)
    for _ in range(epochs):
        trainer.train_epoch()
    share = spent[0] / (time.perf_counter() - start)
    check = timeit.timeit(lambda: history.after_step(trainer), number=100_000) / 100_000
    empty_call = timeit.timeit(lambda: None, number=100_000) / 100_000  # the lambda's own cost
    return share, spent[1], check - empty_call


def frame_params(network):
    """What a frame copies of the network: its weights and its biases."""
    return network.flat_weights.copy(), network.params[network.num_weights:].copy()


def seek_times(history: RunHistory, trainer: Trainer, rng) -> tuple[list[float], list[float]]:
    last = int(history.batches[-1])
    restore, view = [], []
    for batch in rng.integers(0, last + 1, SEEKS):
        start = time.perf_counter()
        trainer.restore(history.state_at(history.index_at(int(batch))))
        frame_params(trainer.network)
        restore.append(time.perf_counter() - start)
        start = time.perf_counter()
        params = history[history.index_at(int(batch))].params.copy()
        view.append(time.perf_counter() - start)
        del params
    return restore, view


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST directory (default: $NNVIZ_DATA, cache, download)")
    parser.add_argument("--epochs", type=int, default=3, help="per measured run")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = load_dataset("mnist", args.data, progress=False)
    print(f"numpy {np.__version__}; network 784-16-16-10, tanh, softmax, Adam, batch 32; "
          f"{args.epochs} epochs per run, median of {args.rounds} alternating rounds\n")

    plain, recorded = [], []
    for round_number in range(args.rounds):
        for record in ((False, True) if round_number % 2 == 0 else (True, False)):
            rate, history, trainer, per_epoch = train_run(data, args.epochs, record)
            (recorded if record else plain).append(rate)
            if record:
                kept = (history, trainer, per_epoch)
    plain_rate, recorded_rate = statistics.median(plain), statistics.median(recorded)
    print("| run | samples/s (median) | rounds |")
    print("| --- | ---: | --- |")
    print(f"| no history | {plain_rate:,.0f} | {', '.join(f'{r:,.0f}' for r in plain)} |")
    print(f"| history attached | {recorded_rate:,.0f} | {', '.join(f'{r:,.0f}' for r in recorded)} |")
    print(f"\nhistory costs {1 - recorded_rate / plain_rate:.1%} of the training speed "
          f"(with / without: {recorded_rate / plain_rate:.3f})\n")

    share, count, check = recording_share(data, args.epochs)
    print(f"measured directly: taking {count} snapshots is {share:.2%} of a recorded run's time; "
          f"the check on a step with none due takes {check * 1e9:.0f} ns\n")

    history, trainer, per_epoch = kept
    print(f"| after epoch | snapshots | nbytes (MB) | of the {history.cap_bytes / 2**20:g} MB cap |")
    print("| ---: | ---: | ---: | ---: |")
    for epoch, (nbytes, count) in enumerate(per_epoch, 1):
        print(f"| {epoch} | {count} | {nbytes / 2**20:.1f} | {nbytes / history.cap_bytes:.1%} |")

    restore, view = seek_times(history, trainer, np.random.default_rng(0))
    print(f"\nseek ({SEEKS} random batches over {len(history)} snapshots), median:")
    print(f"  index_at + Trainer.restore(state) + the frame's parameter copies: {statistics.median(restore) * 1e6:.0f} µs")
    print(f"  index_at + a copy of the snapshot's parameters (viewing only):    {statistics.median(view) * 1e6:.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
