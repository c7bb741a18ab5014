"""``nnviz train``: headless training with a progress bar and per-epoch accuracy."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from nnviz.arg_types import positive_int
from nnviz.commands.builders import build_config, build_trainer
from nnviz.errors import NnvizError
from nnviz.model.config import format_layers
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import check_save_target, save_weights

#: Batches trained between progress-bar refreshes.
PROGRESS_CHUNK = 50


def add_train_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=positive_int, default=3)
    parser.add_argument("--save", metavar="FILE", help="save the trained weights as .npz")


def run_train(args: argparse.Namespace) -> int:
    config, loaded = build_config(args)
    if args.save:
        try:  # before training, not after it
            check_save_target(args.save)
        except NnvizError as error:
            raise NnvizError(f"--save {error}") from None
    trainer, _ = build_trainer(args, config, loaded)
    print(
        f"training {format_layers(config.layers)} on {args.dataset}: {config.activation}/{config.output}, {config.optimizer} "
        f"lr {config.learning_rate:g}, batch {config.batch_size}, init {config.init}, seed {config.seed}",
        flush=True,
    )
    for epoch in range(1, args.epochs + 1):
        summary = _train_one_epoch(trainer, epoch, args.epochs)
        if trainer.diverged:
            # Not an option error (exit code 1, no "error:"), but still a failure: stderr.
            print(f"nnviz: {trainer.diverged}", file=sys.stderr, flush=True)
            return 1
        print(
            f"epoch {epoch}/{args.epochs}: test accuracy {summary.test_accuracy:.2%}, "
            f"loss {summary.loss:.4f}, train accuracy {summary.train_accuracy:.2%}, "
            f"{summary.seconds:.1f} s ({trainer.num_train_samples / summary.seconds:,.0f} samples/s)",
            flush=True,
        )
    if args.save:
        save_weights(args.save, trainer.network, trainer.config, samples_seen=trainer.samples_seen,
                     dataset=args.dataset, test_accuracy=trainer.test_accuracy)
        print(f"saved weights to {args.save}")
    return 0


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
