"""``nnviz train``: headless training with a progress bar and per-epoch accuracy."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm

from nnviz import safe_files
from nnviz.arg_types import file_name, history_megabytes, positive_int
from nnviz.commands.builders import build_config, build_trainer, divergence_message
from nnviz.commands.options import add_force_option, check_output
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
    parser.add_argument("--save", type=file_name, metavar="FILE",
                        help="save the trained weights as .npz (Ctrl-C saves what was trained so far)")
    parser.add_argument("--history", type=file_name, metavar="FILE",
                        help="record the run (snapshots to scrub and replay in the window) and save it as .npz")
    parser.add_argument("--history-mb", type=history_megabytes, metavar="MB",
                        help=f"memory the recorded run may take: the snapshots are thinned to fit "
                             f"(default {DEFAULT_CAP_MB})")
    add_force_option(parser, "--save or --history file")


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
    try:
        with threads:
            finished = _train_epochs(trainer, args.epochs)
    except KeyboardInterrupt:
        return _save_interrupted(args, trainer, dataset, history)
    if history is not None:  # a diverged run too: what led up to it is worth looking at
        _save_history(args, history)
    if not finished:
        return 1
    if args.save:
        print(f"saved weights to {_save_weights(args, trainer, dataset)}")
    return 0


def _save_interrupted(args: argparse.Namespace, trainer: Trainer, dataset, history: RunHistory | None) -> int:
    """Ctrl-C while training: keep what was trained, then exit 130 as an interrupted program does.

    A second Ctrl-C while saving stops the save; the file is then not written at all, never half.
    """
    saved = ""
    if args.save and not trainer.diverged:  # the weights first: what the run was for
        saved = f"; saved to {_save_weights(args, trainer, dataset)}"
    if history is not None:
        _save_history(args, history)
    print(f"nnviz: interrupted after {trainer.batches_trained} batches{saved}", file=sys.stderr, flush=True)
    return 130


def _save_weights(args: argparse.Namespace, trainer: Trainer, dataset) -> Path:
    return _save_where_free(args.save, args.force, lambda path: weights_io.save_weights(
        path, trainer.network, trainer.config, samples_seen=trainer.samples_seen, dataset=args.dataset,
        class_names=list(dataset.class_names), test_accuracy=trainer.test_accuracy))


def _save_history(args: argparse.Namespace, history: RunHistory) -> None:
    path = _save_where_free(args.history, args.force, lambda path: run_io.save_run(path, history, dataset=args.dataset))
    print(f"saved run history ({len(history)} snapshots, {path.stat().st_size / 2**20:.1f} MB) to {path}",
          flush=True)


def _save_where_free(path: str, force: bool, save) -> Path:
    """``save(path)``; if something took the name while training (it was free when checked), the next free name.

    Refusing to save at the end would throw the training away; replacing what appeared could lose someone's file.
    """
    try:
        return save(safe_files.output_path(path, force))
    except safe_files.AlreadyExists:
        for candidate in itertools.islice(safe_files.numbered(path), 1, safe_files.MAX_NUMBERED_NAMES):
            try:
                written = save(candidate)
            except safe_files.AlreadyExists:
                continue
            print(f"nnviz: {path} appeared while training; saved to {written} instead", file=sys.stderr, flush=True)
            return written
        raise


def _check_targets(args: argparse.Namespace) -> None:
    for option, path, check in (("--save", args.save, weights_io.check_save_target),
                                ("--history", args.history, run_io.check_save_target)):
        if path is not None:
            check_output(option, path, args.force, check)
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
            print(f"nnviz: {divergence_message(trainer)}", file=sys.stderr, flush=True)
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
