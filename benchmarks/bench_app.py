"""Training inside the running visualizer beside the headless trainer, in one run.

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/bench_app.py --data DIR [--seconds 8] [--size 1280x720]
        [--parts throughput,threads,train,frames] [--blas-threads 1,2] [--rounds 3]

throughput: starts the real window (smooth mode at the driver's 30 fps
target, then max speed), reads samples trained from its debug state over a
fixed interval, and times the headless Trainer (same network, data and
hyperparameters, test-set evaluations included) between the two.

threads: the window with NumPy's BLAS limited to each count in
--blas-threads (NNVIZ_BLAS_THREADS), alternating, --rounds times each, every
run a fresh `nnviz --exit-after SECONDS --stats` (smooth, the quality
profile's frame rate, 1280x720 unless --size): its frames/s and training
samples/s, side by side, and the load average before and after.

train: headless `nnviz train --epochs 1` with the same BLAS thread counts,
alternating, --rounds times each: the samples/s it prints (test-set
evaluations included, as ever headless).

frames: no window. A TrainingSession's train_frame, as the window calls it
once a frame, with the test accuracy of each history point evaluated inline
(inside the step that records the point, as before) and a slice per frame
(nnviz.app.confusion.AccuracyTracker), alternating in blocks: the frame's
training cost, median, 90th and 99th percentile and the worst.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnviz.data import load_dataset  # noqa: E402
from nnviz.model.config import PRESETS  # noqa: E402
from nnviz.model.trainer import Trainer  # noqa: E402

STATS_LINE = re.compile(r"^frames (\d+), fps ([\d.]+), train samples/s (\d+), quality (\w+)$")


def app_rate(data_dir: str, seconds: float, size: str, *mode: str) -> tuple[float, float]:
    from nnviz.testing.window_driver import App

    with tempfile.TemporaryDirectory() as tmp:
        app = App(Path(tmp), "--data", data_dir, "--size", size, *mode)
        try:
            app.wait_for(lambda s: s["data_loaded"] and s["batches_trained"] > 0, what="training")
            time.sleep(2.0)  # warm-up: frame budget settles
            first, start = app.state(), time.perf_counter()
            time.sleep(seconds)
            last, elapsed = app.state(), time.perf_counter() - start
        finally:
            app.close()
    samples = last["samples_seen"] - first["samples_seen"]
    frames = last["frames"] - first["frames"]
    return samples / elapsed, frames / elapsed


def headless_rate(data, seconds: float) -> float:
    trainer = Trainer(PRESETS["default"], data.train_images, data.train_labels, data.test_images, data.test_labels)
    trainer.train_batches(20)
    start, seen = time.perf_counter(), trainer.samples_seen
    while time.perf_counter() - start < seconds:
        trainer.train_batches(50)
    return (trainer.samples_seen - seen) / (time.perf_counter() - start)


def throughput(args, data) -> None:
    smooth, smooth_fps = app_rate(args.data, args.seconds, args.size)
    headless_1 = headless_rate(data, args.seconds)
    maximum, max_fps = app_rate(args.data, args.seconds, args.size, "--speed", "max")
    headless_2 = headless_rate(data, args.seconds)
    headless = (headless_1 + headless_2) / 2

    print(f"window {args.size}, default network and hyperparameters, {args.seconds:g} s per measurement\n")
    print("| run | samples/s | frames/s | share of headless |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| headless trainer (mean of 2 runs: {headless_1:,.0f}, {headless_2:,.0f}) | {headless:,.0f} | - | 100% |")
    print(f"| window, smooth (30 fps target) | {smooth:,.0f} | {smooth_fps:.1f} | {smooth / headless:.0%} |")
    print(f"| window, max speed | {maximum:,.0f} | {max_fps:.1f} | {maximum / headless:.0%} |\n", flush=True)


# ------------------------------------------------------------------ BLAS threads in the window
def window_stats(data_dir: str, seconds: float, size: str, blas_threads: str,
                 *options: str) -> tuple[int, float, float, str]:
    """One `nnviz --exit-after --stats` run: (frames, fps, samples/s, quality)."""
    env = {**os.environ, "NNVIZ_BLAS_THREADS": blas_threads}
    env.pop("NNVIZ_DEBUG_STATE", None)
    command = [sys.executable, "-m", "nnviz", "--data", data_dir, "--size", size, "--no-vsync", "--seed", "0",
               "--exit-after", f"{seconds:g}", "--stats", *options]
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp, timeout=seconds + 120)
    lines = result.stdout.strip().splitlines()
    match = STATS_LINE.match(lines[-1]) if result.returncode == 0 and lines else None
    if match is None:
        raise RuntimeError(f"nnviz exited {result.returncode}: {result.stdout}{result.stderr}")
    return int(match[1]), float(match[2]), float(match[3]), match[4]


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def threads(args) -> None:
    counts = args.blas_threads.split(",")
    results: dict[str, list[tuple[int, float, float, str]]] = {n: [] for n in counts}
    load_before = load_average()
    for round_ in range(args.rounds):
        for n in counts if round_ % 2 == 0 else counts[::-1]:  # ABBA: drifts in the machine's load hit both
            results[n].append(window_stats(args.data, args.seconds, args.size, n))
            frames, fps, rate, quality = results[n][-1]
            print(f"  round {round_ + 1}, {n} BLAS threads: {frames} frames, {fps:.1f} fps, {rate:,.0f} samples/s, "
                  f"quality {quality}", file=sys.stderr, flush=True)
    print(f"window {args.size}, smooth, NNVIZ_BLAS_THREADS alternating, {args.rounds} runs of "
          f"`nnviz --exit-after {args.seconds:g} --stats` each; load average (1, 5, 15 min) {load_before} "
          f"before, {load_average()} after, {os.cpu_count()} cores\n")
    print("| BLAS threads | fps (median) | fps (each run) | training samples/s (median) | samples/s (each run) |")
    print("| ---: | ---: | --- | ---: | --- |")
    for n in counts:
        fps = [r[1] for r in results[n]]
        rates = [r[2] for r in results[n]]
        print(f"| {n} | {statistics.median(fps):.1f} | {', '.join(f'{v:.1f}' for v in fps)} | "
              f"{statistics.median(rates):,.0f} | {', '.join(f'{v:,.0f}' for v in rates)} |")
    print(flush=True)


def train_rate(data_dir: str, blas_threads: str) -> float:
    env = {**os.environ, "NNVIZ_BLAS_THREADS": blas_threads}
    result = subprocess.run([sys.executable, "-m", "nnviz", "train", "--epochs", "1", "--data", data_dir],
                            capture_output=True, text=True, env=env, timeout=600, check=True)
    match = re.search(r"\(([\d,]+) samples/s\)", result.stdout)
    return float(match[1].replace(",", ""))


def headless_threads(args) -> None:
    counts = args.blas_threads.split(",")
    rates: dict[str, list[float]] = {n: [] for n in counts}
    load_before = load_average()
    for round_ in range(args.rounds):
        for n in counts if round_ % 2 == 0 else counts[::-1]:
            rates[n].append(train_rate(args.data, n))
    print(f"headless `nnviz train --epochs 1`, default network, NNVIZ_BLAS_THREADS alternating, {args.rounds} runs "
          f"each; load average {load_before} before, {load_average()} after\n")
    print("| BLAS threads | samples/s (median) | samples/s (each run) |")
    print("| ---: | ---: | --- |")
    for n in counts:
        print(f"| {n} | {statistics.median(rates[n]):,.0f} | {', '.join(f'{v:,.0f}' for v in rates[n])} |")
    print(flush=True)


# ------------------------------------------------------------------ evaluation per frame
def frame_costs(data, deferred: bool, frames: int, budget: float) -> list[float]:
    from nnviz.app.session import TrainingSession

    session = TrainingSession(PRESETS["default"], load_data=lambda progress: data)
    session.start_loading()
    session.wait_for_data(60)
    if not deferred:
        session.trainer.deferred_test = None  # as before: each point evaluates the test set inside its step
    costs = []
    for _ in range(frames):
        start = time.perf_counter()
        session.train_frame(budget)
        costs.append(time.perf_counter() - start)
    return costs


def frame_table(args, data) -> None:
    from threadpoolctl import threadpool_info

    from nnviz.commands.train import blas_threads

    budget, frames, blocks = 0.01, 200, 3
    costs: dict[bool, list[float]] = {False: [], True: []}
    from nnviz.commands.window import WINDOW_BLAS_THREADS

    with blas_threads(default=WINDOW_BLAS_THREADS):  # as the window runs them
        blas = ", ".join(str(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas")
        for _ in range(blocks):
            for deferred in (False, True):
                costs[deferred] += frame_costs(data, deferred, frames, budget)
    print(f"train_frame({budget * 1000:g} ms) as the window calls it, default network, real data: {blocks} blocks of "
          f"{frames} frames each, alternating; a history point every 10,000 samples; BLAS threads "
          f"{blas} (as the window); load average {load_average()}\n")
    print("| test accuracy of history points | median ms | 90th percentile ms | 99th percentile ms | worst ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for deferred, title in ((False, "evaluated inline (before)"), (True, "a slice per frame (AccuracyTracker)")):
        ms = np.array(costs[deferred]) * 1000
        print(f"| {title} | {np.median(ms):.1f} | {np.percentile(ms, 90):.1f} | {np.percentile(ms, 99):.1f} | "
              f"{ms.max():.1f} |")
    print(flush=True)


#: (label, window size, options) of the quality comparison, run in turn, round after round.
QUALITY_RUNS = (
    ("784-16-16-10, --quality high", "1280x720", ("--quality", "high")),
    ("784-16-16-10, --quality fast", "1280x720", ("--quality", "fast")),
    ("784-128-128-10, --quality high", "1280x720", ("--quality", "high", "--layers", "784,128,128,10")),
    ("784-128-128-10, --quality fast", "1280x720", ("--quality", "fast", "--layers", "784,128,128,10")),
    ("784-16-16-10, --quality high", "1920x1080", ("--quality", "high")),
    ("784-16-16-10, --quality fast", "1920x1080", ("--quality", "fast")),
)


def quality(args, data) -> None:
    """The window in smooth mode under each quality profile, beside the headless trainer, in one run."""
    headless = []
    results: dict[int, list[tuple[int, float, float, str]]] = {i: [] for i in range(len(QUALITY_RUNS))}
    load_before = load_average()
    for round_ in range(args.rounds):
        order = range(len(QUALITY_RUNS)) if round_ % 2 == 0 else reversed(range(len(QUALITY_RUNS)))
        for index in order:
            label, size, options = QUALITY_RUNS[index]
            results[index].append(window_stats(args.data, args.seconds, size, "1", *options))
            print(f"  round {round_ + 1}, {label} at {size}: {results[index][-1]}", file=sys.stderr, flush=True)
        headless.append(headless_rate(data, 5.0))
    base = statistics.median(headless)
    print(f"window, smooth mode, {args.rounds} rounds of `nnviz --exit-after {args.seconds:g} --stats` per row "
          f"(rows in turn, reversed every other round); headless trainer (784-16-16-10, default threads) "
          f"{base:,.0f} samples/s (median of {len(headless)}); load average {load_before} before, "
          f"{load_average()} after, {os.cpu_count()} cores\n")
    print("| window | size | fps (median) | training samples/s (median) | of headless |")
    print("| --- | --- | ---: | ---: | ---: |")
    for index, (label, size, _) in enumerate(QUALITY_RUNS):
        fps = statistics.median(r[1] for r in results[index])
        rate = statistics.median(r[2] for r in results[index])
        print(f"| {label} | {size} | {fps:.1f} | {rate:,.0f} | {rate / base:.0%} |")
    print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST directory")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--parts", default="throughput,threads,train,frames,quality", help="comma-separated")
    parser.add_argument("--blas-threads", default="1,2", help="threads, train: the counts compared, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="threads, train: runs per count")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    data = load_dataset("mnist", args.data, progress=False)
    if "throughput" in parts:
        throughput(args, data)
    if "threads" in parts:
        threads(args)
    if "train" in parts:
        headless_threads(args)
    if "frames" in parts:
        frame_table(args, data)
    if "quality" in parts:
        quality(args, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
