"""Training throughput inside the running visualizer beside the headless trainer, in one run.

    xvfb-run -a python benchmarks/bench_app.py --data DIR [--seconds 8] [--size 1280x720]

Starts the real window (smooth mode at the default 60 fps target, then max
speed), reads samples trained from its debug state over a fixed interval, and
times the headless Trainer (same network, data and hyperparameters, test-set
evaluations included as in the app) between the two. Needs a display.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnviz.data import load_dataset  # noqa: E402
from nnviz.model.config import PRESETS  # noqa: E402
from nnviz.model.trainer import Trainer  # noqa: E402
from nnviz.testing.window_driver import App  # noqa: E402


def app_rate(data_dir: str, seconds: float, size: str, *mode: str) -> tuple[float, float]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST directory")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    data = load_dataset("mnist", args.data)

    smooth, smooth_fps = app_rate(args.data, args.seconds, args.size)
    headless_1 = headless_rate(data, args.seconds)
    maximum, max_fps = app_rate(args.data, args.seconds, args.size, "--speed", "max")
    headless_2 = headless_rate(data, args.seconds)
    headless = (headless_1 + headless_2) / 2

    print(f"window {args.size}, default network and hyperparameters, {args.seconds:g} s per measurement\n")
    print("| run | samples/s | frames/s | share of headless |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| headless trainer (mean of 2 runs: {headless_1:,.0f}, {headless_2:,.0f}) | {headless:,.0f} | - | 100% |")
    print(f"| window, smooth (60 fps target) | {smooth:,.0f} | {smooth_fps:.1f} | {smooth / headless:.0%} |")
    print(f"| window, max speed | {maximum:,.0f} | {max_fps:.1f} | {maximum / headless:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
