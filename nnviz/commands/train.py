"""``nnviz train``: headless training with a progress bar and per-epoch accuracy."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm

from nnviz.arg_types import positive_int, positive_number
from nnviz.commands.builders import build_config, build_trainer
from nnviz.errors import NnvizError
from nnviz.model import run_io, weights_io
from nnviz.model.config import describe_activations, format_layers
from nnviz.model.history import DEFAULT_CAP_MB, RunHistory
from nnviz.model.trainer import Trainer

#: Batches trained between progress-bar refreshes.
PROGRESS_CHUNK = 50
#: NumPy's BLAS threads: $NNVIZ_BLAS_THREADS sets them for training, here and in the window (0: BLAS's own
#: default). Unset, `nnviz train` leaves BLAS its default (on 2 idle cores, 2 threads trained 4-12% faster
#: than 1: benchmarks/bench_app.py --parts train) and the window runs nnviz.commands.window.WINDOW_BLAS_THREADS.
BLAS_THREADS_ENV = "NNVIZ_BLAS_THREADS"


def add_train_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=positive_int, default=3)
    parser.add_argument("--save", metavar="FILE", help="save the trained weights as .npz")
    parser.add_argument("--history", metavar="FILE",
                        help="record the run (snapshots to scrub and replay in the window) and save it as .npz")
    parser.add_argument("--history-mb", type=positive_number, metavar="MB",
                        help=f"memory the recorded run may take: the snapshots are thinned to fit "
                             f"(default {DEFAULT_CAP_MB})")


def run_train(args: argparse.Namespace) -> int:
    config, loaded = build_config(args)
    _check_targets(args)  # before training, not after it
    threads = blas_threads(default=0)  # a bad NNVIZ_BLAS_THREADS fails here, before the data loads
    trainer, dataset = build_trainer(args, config, loaded)
    history = _start_history(args, trainer)
    print(
        f"training {format_layers(config.layers)} on {args.dataset}: {describe_activations(config)}/{config.output}, "
        f"{config.optimizer} "
        f"lr {config.learning_rate:g}, batch {config.batch_size}, init {config.init}, seed {config.seed}",
        flush=True,
    )
    with threads:
        finished = _train_epochs(trainer, args.epochs)
    if history is not None:  # a diverged run too: what led up to it is worth looking at
        path = run_io.save_run(args.history, history, dataset=args.dataset)
        print(f"saved run history ({len(history)} snapshots, {path.stat().st_size / 2**20:.1f} MB) to {path}")
    if not finished:
        return 1
    if args.save:
        weights_io.save_weights(args.save, trainer.network, trainer.config, samples_seen=trainer.samples_seen,
                                dataset=args.dataset, class_names=list(dataset.class_names),
                                test_accuracy=trainer.test_accuracy)
        print(f"saved weights to {args.save}")
    return 0


def _check_targets(args: argparse.Namespace) -> None:
    for option, path, check in (("--save", args.save, weights_io.check_save_target),
                                ("--history", args.history, run_io.check_save_target)):
        if path:
            try:
                check(path)
            except NnvizError as error:
                raise NnvizError(f"{option} {error}") from None
    if args.save and args.history and Path(args.save).resolve() == Path(args.history).resolve():
        raise NnvizError(f"--save and --history both name {args.history}: one file would overwrite the other")
    if args.history_mb is not None and not args.history:
        raise NnvizError(f"--history-mb {args.history_mb:g}: only with --history FILE")


def _start_history(args: argparse.Namespace, trainer: Trainer) -> RunHistory | None:
    if not args.history:
        return None
    megabytes = args.history_mb or DEFAULT_CAP_MB
    history = RunHistory(cap_bytes=int(megabytes * 2**20))
    try:
        history.attach(trainer)
    except ValueError as error:  # the cap cannot hold two snapshots of this network
        raise NnvizError(f"--history-mb {megabytes:g}: {error}") from None
    return history


def _train_epochs(trainer: Trainer, epochs: int) -> bool:
    """Train and report each epoch; False if training diverged (reported on stderr)."""
    for epoch in range(1, epochs + 1):
        summary = _train_one_epoch(trainer, epoch, epochs)
        if trainer.diverged:
            # Not an option error (exit code 1, no "error:"), but still a failure: stderr.
            print(f"nnviz: {trainer.diverged}", file=sys.stderr, flush=True)
            return False
        print(
            f"epoch {epoch}/{epochs}: test accuracy {summary.test_accuracy:.2%}, "
            f"loss {summary.loss:.4f}, train accuracy {summary.train_accuracy:.2%}, "
            f"{summary.seconds:.1f} s ({trainer.num_train_samples / summary.seconds:,.0f} samples/s)",
            flush=True,
        )
    return True


def _train_one_epoch(trainer: Trainer, epoch: int, epochs: int):
    start = time.perf_counter()
    with tqdm(total=trainer.batches_per_epoch, desc=f"epoch {epoch}/{epochs}", unit="batch",
              leave=False, disable=None) as bar:
        while trainer.epoch < epoch and not trainer.diverged:
            done = trainer.train_batches(min(PROGRESS_CHUNK, trainer.batches_per_epoch - trainer.batch_in_epoch))
            bar.update(done)
            if done == 0:
                break
    return trainer.last_epoch_summary(time.perf_counter() - start)


def blas_threads(default: int, environ=os.environ):
    """A context in which NumPy's BLAS runs $NNVIZ_BLAS_THREADS threads, else ``default`` (0: BLAS's own choice).

    NnvizError, at once, for a value that is not a whole number of at least 0.
    """
    text = environ.get(BLAS_THREADS_ENV, "").strip()
    try:
        threads = int(text) if text else default
    except ValueError:
        threads = -1
    if threads < 0:
        raise NnvizError(f"{BLAS_THREADS_ENV}={text!r}: expected a number of threads (0: BLAS's own default)")
    return contextlib.nullcontext() if threads == 0 else _blas_limited(threads)


@contextlib.contextmanager
def _blas_limited(threads: int):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):  # on entering, not before
        yield
