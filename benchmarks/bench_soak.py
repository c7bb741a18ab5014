"""Soak: the window training at max speed for a long while, its memory sampled: does it stay flat?

    python benchmarks/bench_soak.py --data DIR [--minutes 30] [--warmup-minutes M] [--interval 5]
        [--size 1280x720] [--history-mb MB] [--csv FILE]

Runs `nnviz --speed max --exit-after SECONDS` (under xvfb-run when there is
no DISPLAY) and reads its resident memory (VmRSS in /proc/PID/status) every
--interval seconds, and from its debug state (NNVIZ_DEBUG_STATE) the samples
trained and the run history's size. Prints the memory at the start, after
the warm-up and at the end, and the slope of a least-squares line through
the samples after the warm-up, in MB per hour, with its standard error and
the samples' scatter around the line (a rough noise figure); and the same
for the memory less the run history's snapshots, which grow by design (a
snapshot per 5% more batches, within --history-mb): what is left should
stay flat. The same slopes by kind of mapping (main heap less the run
history, anonymous maps, mapped files) say where growth is. The run history
counts its snapshots and its loss/accuracy points; with a small --history-mb
it fills (its snapshots thinned after a minute, its points at their 10,000
after about a quarter of an hour at full speed) and thins itself from then
on, so the whole RSS should stay flat: with --history-mb the warm-up lasts
until the history is full, unless --warmup-minutes says otherwise.
--minutes 2 is a quick check that it works; a real soak takes 30 minutes or
more.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
#: Of the run, the share that counts as warm-up (data loading, the first epochs, caches filling), at most
#: MAX_WARMUP_MINUTES; --warmup-minutes overrides.
WARMUP_SHARE = 0.25
MAX_WARMUP_MINUTES = 5.0


@dataclass
class Sample:
    seconds: float  # since the app started
    rss_mb: float
    samples_seen: int | None  # None: no debug state yet
    history_mb: float
    history_points: int | None  # the run's loss/accuracy points; None: no debug state yet
    kinds_mb: dict[str, float]  # resident memory by kind of mapping (resident_by_kind)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("NNVIZ_DATA"), help="MNIST folder (default: $NNVIZ_DATA)")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the window trains (default: 30)")
    parser.add_argument("--warmup-minutes", type=float, default=None,
                        help=f"left out of the slope (default: {WARMUP_SHARE * 100:.0f}%% of the run, "
                             f"at most {MAX_WARMUP_MINUTES:g}; with --history-mb, until the history is full)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between memory samples (default: 5)")
    parser.add_argument("--size", default="1280x720", help="window size (default: 1280x720)")
    parser.add_argument("--csv", help="also write every sample to this CSV file, to fit other stretches later")
    parser.add_argument("--history-mb", type=float,
                        help="the window's run history cap (default: the window's): a small one fills within "
                             "minutes, after which all of the RSS should stay flat")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0:
        parser.error("--minutes and --interval must be positive")
    args.until_history_full = args.warmup_minutes is None and bool(args.history_mb)
    if args.warmup_minutes is None:
        args.warmup_minutes = min(WARMUP_SHARE * args.minutes, MAX_WARMUP_MINUTES)
    if not 0 <= args.warmup_minutes < args.minutes:
        parser.error("--warmup-minutes must be at least 0 and less than --minutes")
    return args


def rerun_under_xvfb() -> None:
    """pyglet needs a display: without one, run this very command again inside a virtual one."""
    if os.environ.get("DISPLAY"):
        return
    if not shutil.which("xvfb-run"):
        sys.exit("bench_soak: no DISPLAY and no xvfb-run (Debian package xvfb)")
    os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24",
                           sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])


def rss_mb(pid: int) -> float | None:
    """The process's resident memory, None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def resident_by_kind(pid: int) -> dict[str, float]:
    """Resident MB by kind of mapping (/proc/PID/smaps): the main malloc heap ("heap", where the run
    history's arrays live), anonymous maps (malloc's thread arenas and large blocks, Python's arenas,
    the GL driver's own maps) and mapped files (libraries). Which one grows says where to look."""
    kinds = {"heap": 0, "anonymous": 0, "files": 0}
    kind = "anonymous"
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's first line: range, perms, ..., [name]
            name = fields[5] if len(fields) > 5 else ""
            kind = "heap" if name == "[heap]" else ("files" if name.startswith("/") else "anonymous")
        elif fields[0] == "Rss:":
            kinds[kind] += int(fields[1]) / 1024
    return kinds


def debug_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):  # not written yet, or being replaced
        return None


def soak(args) -> list[Sample]:
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        state_path = Path(tmp) / "state.json"
        env = {**os.environ, "NNVIZ_DEBUG_STATE": str(state_path), "PYTHONFAULTHANDLER": "1",  # a crash's stack
               "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
        command = [sys.executable, "-m", "nnviz", "--speed", "max", "--exit-after", f"{seconds:g}", "--no-vsync",
                   "--seed", "0", "--size", args.size, "--screenshot-dir", tmp, "--stats"]
        if args.data:
            command += ["--data", args.data]
        if args.history_mb:
            command += ["--history-mb", f"{args.history_mb:g}"]
        log = open(Path(tmp) / "app.log", "w+")
        app = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
        start, samples = time.monotonic(), []
        try:
            while app.poll() is None:
                memory = rss_mb(app.pid)
                state = debug_state(state_path) or {}
                if memory is not None:
                    samples.append(Sample(time.monotonic() - start, memory, state.get("samples_seen"),
                                          state.get("history_bytes", 0) / 2**20, state.get("history_points"),
                                          resident_by_kind(app.pid)))
                    if len(samples) % 12 == 1:
                        print(f"  {samples[-1].seconds / 60:5.1f} min: RSS {memory:7.1f} MB, "
                              f"history {samples[-1].history_mb:6.1f} MB", file=sys.stderr, flush=True)
                time.sleep(args.interval)
        finally:
            if app.poll() is None:
                app.terminate()
            app.wait()
            log.seek(0)
            output = log.read()
            log.close()
        if app.returncode != 0:
            sys.exit(f"bench_soak: nnviz exited with {app.returncode}:\n{output}")
        print(f"nnviz: {output.strip().splitlines()[-1] if output.strip() else '(no output)'}")
    return samples


def fit(hours: np.ndarray, megabytes: np.ndarray) -> tuple[float, float, float]:
    """Least-squares slope (MB/h), its standard error, and the residuals' standard deviation (MB)."""
    slope, intercept = np.polyfit(hours, megabytes, 1)
    residuals = megabytes - (slope * hours + intercept)
    scatter = float(np.sqrt(np.sum(residuals ** 2) / max(len(hours) - 2, 1)))
    spread = float(np.sqrt(np.sum((hours - hours.mean()) ** 2)))
    return float(slope), scatter / spread if spread > 0 else math.inf, scatter


def history_full_at(samples: list[Sample]) -> float | None:
    """Seconds into the run when its history was first full: both its bytes and its points had been
    thinned (each dropped between two samples) by then. None when either never was."""
    def first_drop(values) -> float | None:
        known = [(s.seconds, value) for s, value in zip(samples, values) if value is not None]
        return next((now for (_, before), (now, value) in zip(known, known[1:]) if value < before), None)

    drops = (first_drop([s.history_mb if s.samples_seen else None for s in samples]),
             first_drop([s.history_points for s in samples]))
    return None if None in drops else max(drops)


def warmup_seconds(args, samples: list[Sample]) -> float:
    """The warm-up asked for; with --history-mb and none asked for, at least until the history was full."""
    seconds = args.warmup_minutes * 60
    if args.until_history_full:
        full = history_full_at(samples)
        if full is None:
            print("the run history was not full by the end (its points reach their most after about a quarter of "
                  "an hour at full speed): the whole RSS grows with it; read the slope less the history, or run longer")
        else:
            print(f"the run history was full (its snapshots and its points thinned) at {full / 60:.1f} min")
            seconds = max(seconds, full)
    return seconds


def report(args, samples: list[Sample]) -> None:
    warmup = warmup_seconds(args, samples)
    warm = [s for s in samples if s.seconds >= warmup]
    if len(warm) < 3:
        sys.exit(f"bench_soak: only {len(warm)} samples after the warm-up: run longer or sample more often")
    training = [s for s in samples if s.samples_seen]
    first = training[0] if training else samples[0]  # the interpreter's start would say nothing
    settled, last = warm[0], samples[-1]
    cap = f", --history-mb {args.history_mb:g}" if args.history_mb else ""
    print(f"{args.minutes:g} min at max speed, window {args.size}{cap}, a sample every {args.interval:g} s "
          f"({len(samples)} samples, {len(warm)} after a {warmup / 60:.3g} min warm-up)")
    trained = (last.samples_seen or 0) - (settled.samples_seen or 0)
    print(f"trained after the warm-up: {trained:,} samples")
    print(f"RSS: start (training, at {first.seconds:.0f} s) {first.rss_mb:.1f} MB, after warm-up "
          f"{settled.rss_mb:.1f} MB, end {last.rss_mb:.1f} MB")
    print(f"run history (snapshots and points): after warm-up {settled.history_mb:.1f} MB, "
          f"end {last.history_mb:.1f} MB")
    hours = np.array([s.seconds / 3600 for s in warm])
    for title, values in (("RSS", [s.rss_mb for s in warm]),
                          ("RSS less the run history", [s.rss_mb - s.history_mb for s in warm])):
        slope, error, scatter = fit(hours, np.array(values))
        print(f"{title}: slope {slope:+.1f} MB/h (standard error {error:.1f} MB/h), "
              f"scatter around the line {scatter:.2f} MB")
    by_kind = [s for s in warm if s.kinds_mb]
    if len(by_kind) >= 3:
        hours = np.array([s.seconds / 3600 for s in by_kind])
        kinds = (("main heap less the run history", lambda s: s.kinds_mb["heap"] - s.history_mb),
                 ("anonymous maps", lambda s: s.kinds_mb["anonymous"]), ("mapped files", lambda s: s.kinds_mb["files"]))
        print("  by kind: " + ", ".join(f"{title} {fit(hours, np.array([value(s) for s in by_kind]))[0]:+.1f} MB/h"
                                        for title, value in kinds))


def write_csv(path: str, samples: list[Sample]) -> None:
    kinds = sorted({kind for sample in samples for kind in sample.kinds_mb})
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["seconds", "rss_mb", "samples_seen", "history_mb", "history_points",
                         *(f"{kind}_mb" for kind in kinds)])
        for s in samples:
            writer.writerow([f"{s.seconds:.1f}", f"{s.rss_mb:.2f}", s.samples_seen, f"{s.history_mb:.2f}",
                             s.history_points, *(f"{s.kinds_mb.get(kind, 0.0):.2f}" for kind in kinds)])


def main(argv=None) -> None:
    args = parse_args(argv)
    rerun_under_xvfb()
    samples = soak(args)
    if args.csv:
        write_csv(args.csv, samples)
    report(args, samples)


if __name__ == "__main__":
    main()
