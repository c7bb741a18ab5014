"""Trainer throughput beside PyTorch eager on the CPU, measured side by side.

    python benchmarks/bench_trainer.py [--data DIR] [--seconds 2] [--rounds 3]

Both train 784-16-16-10 (tanh, softmax + cross-entropy, Adam) on the same
MNIST images, drawn uint8 and converted to float per batch. Rounds alternate
between the two so machine noise hits both alike; the median round counts.
Each measurement runs in a fresh process: in one process, the BLAS threads
NumPy leaves spinning starve PyTorch's (and the reverse), which measured
PyTorch 10-300x slower than it is. PyTorch is optional
(pip install torch==2.13.0); without it only nnviz runs.

Both use the same number of threads, --threads (default 1): threadpoolctl
limits NumPy's BLAS (and any OpenMP pool) in the nnviz worker, and
torch.set_num_threads (with threadpoolctl for the libraries it loads) in the
PyTorch one. Left to their defaults, on 2 shared cores each library's idea
of how many threads to run, and how long they spin, swung the ratio between
4x and 600x from run to run. --threads 0 leaves both at their defaults.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnviz.data import load_dataset  # noqa: E402
from nnviz.model.config import PRESETS  # noqa: E402
from nnviz.model.trainer import Trainer  # noqa: E402

BATCH_SIZES = (1, 10, 32, 100, 256)
LAYERS = (784, 16, 16, 10)


def nnviz_rate(images, labels, batch_size, seconds):
    trainer = Trainer(PRESETS["default"].replace(layers=LAYERS, batch_size=batch_size), images, labels)
    trainer.train_batches(20)  # warm-up: buffers allocated
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        done += trainer.train_batches(50)
    return done * batch_size / (time.perf_counter() - start)


def torch_rate(torch, images, labels, batch_size, seconds):
    config = PRESETS["default"]
    torch.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all = torch.from_numpy(images.reshape(len(images), -1))
    y_all = torch.from_numpy(labels.astype(np.int64))
    order = torch.randperm(len(images))
    position = 0

    def step():
        nonlocal position
        if position + batch_size > len(order):
            position = 0
        idx = order[position : position + batch_size]
        position += batch_size
        x = x_all[idx].float().mul_(1.0 / 255.0)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y_all[idx])
        loss.backward()
        optimizer.step()

    for _ in range(20):
        step()
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            step()
        done += 50
    return done * batch_size / (time.perf_counter() - start)


#: What each worker's thread pools ran with, as it reported them (engine -> text).
POOLS: dict[str, str] = {}


def measure_in_subprocess(engine: str, batch_size: int, seconds: float, data: str | None, threads: int) -> float:
    command = [sys.executable, __file__, "--worker", engine, "--batch", str(batch_size), "--seconds", str(seconds),
               "--threads", str(threads)]
    if data:
        command += ["--data", data]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    pools, rate = result.stdout.strip().splitlines()[-2:]
    POOLS[engine] = pools
    return float(rate)


def pin_threads(threads: int, torch=None) -> str:
    """Limit this process to ``threads`` compute threads (0: leave the defaults); say what each library runs."""
    from threadpoolctl import threadpool_info, threadpool_limits

    if threads:
        if torch is not None:
            torch.set_num_threads(threads)
        threadpool_limits(limits=threads)  # NumPy's OpenBLAS, and what torch loaded (OpenMP, MKL)
        pools = [(pool["internal_api"], pool["num_threads"]) for pool in threadpool_info()]
        if any(count != threads for _, count in pools) or (torch is not None and torch.get_num_threads() != threads):
            raise RuntimeError(f"could not pin {threads} threads: {pools}")
    pools = [f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()]
    if torch is not None:
        pools.append(f"torch {torch.get_num_threads()}")
    return ", ".join(pools)


def worker(args) -> int:
    data = load_dataset("mnist", args.data, progress=False)
    if args.worker == "torch":
        import torch

        pools = pin_threads(args.threads, torch)
        rate = torch_rate(torch, np.array(data.train_images), data.train_labels, args.batch, args.seconds)
    else:
        pools = pin_threads(args.threads)
        rate = nnviz_rate(data.train_images, data.train_labels, args.batch, args.seconds)
    print(f"{pools}\n{rate}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST directory (default: $NNVIZ_DATA, cache, download)")
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)), help="comma-separated")
    parser.add_argument("--threads", type=int, default=1,
                        help="compute threads for each library, pinned the same for both (0: their defaults)")
    parser.add_argument("--worker", choices=("nnviz", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    load_dataset("mnist", args.data)  # download once, before the workers
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install torch==2.13.0): measuring nnviz alone.")
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ""))
    if args.threads:
        print(f"threads pinned to {args.threads} for both: threadpoolctl limits NumPy's BLAS, "
              f"torch.set_num_threads({args.threads}) PyTorch's")
    else:
        print("threads: each library's default (--threads 0), not pinned")
    print(f"network {'-'.join(map(str, LAYERS))}, tanh, softmax/cross-entropy, Adam; "
          f"median of {args.rounds} alternating rounds of {args.seconds:g} s, each in a fresh process\n")
    print("| batch | nnviz samples/s | PyTorch eager samples/s | nnviz / PyTorch |")
    print("| ---: | ---: | ---: | ---: |")
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(measure_in_subprocess("nnviz", batch_size, args.seconds, args.data, args.threads))
            if torch:
                theirs.append(measure_in_subprocess("torch", batch_size, args.seconds, args.data, args.threads))
        ours_median = statistics.median(ours)
        if torch:
            theirs_median = statistics.median(theirs)
            print(f"| {batch_size} | {ours_median:,.0f} | {theirs_median:,.0f} | {ours_median / theirs_median:.1f}x |",
                  flush=True)
        else:
            print(f"| {batch_size} | {ours_median:,.0f} | - | - |", flush=True)
    print("\nthread pools as the workers ran them: " + "; ".join(f"{engine}: {pools}" for engine, pools in POOLS.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
