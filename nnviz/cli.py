"""Command line: ``nnviz`` (window), ``nnviz train`` (headless), ``nnviz render`` (PNG)."""

from __future__ import annotations

import argparse
import sys

from nnviz.arg_types import positive_int
from nnviz.errors import NnvizError
from nnviz.model.activations import ACTIVATIONS
from nnviz.model.config import PRESETS, format_layers, parse_layers, validate
from nnviz.model.network import INITIALIZERS
from nnviz.model.optimizers import OPTIMIZERS
from nnviz.model.outputs import OUTPUTS

DATASET_NAMES = ("mnist", "fashion")


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad option gets one line (and exit code 2), not the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _defaults(subcommand: bool):
    """Options shared by ``nnviz`` and its subcommands: only the top level sets defaults.

    A subcommand's default would overwrite what was given before the
    subcommand (``nnviz --lr 0.5 train``), so there they are SUPPRESSed.
    """
    return (lambda value: argparse.SUPPRESS) if subcommand else (lambda value: value)


def add_model_options(parser: argparse.ArgumentParser, subcommand: bool = False) -> None:
    default = _defaults(subcommand)
    group = parser.add_argument_group("model and training")
    group.add_argument("--preset", choices=sorted(PRESETS), default=default("default"),
                       help="starting hyperparameters; 'textbook' is Nielsen's classic setup (default: default)")
    group.add_argument("--layers", metavar="SIZES", default=default(None), help="comma-separated layer sizes (default: 784,16,16,10)")
    group.add_argument("--activation", choices=sorted(ACTIVATIONS), default=default(None), help="hidden-layer activation")
    group.add_argument("--output", choices=sorted(OUTPUTS), default=default(None),
                       help="output layer and cost: softmax (cross-entropy) or sigmoid (quadratic)")
    group.add_argument("--init", choices=sorted(INITIALIZERS), default=default(None), help="weight initialisation")
    group.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=default(None))
    group.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, metavar="RATE", default=default(None))
    group.add_argument("--batch-size", type=int, metavar="N", default=default(None))
    group.add_argument("--momentum", type=float, default=default(None), help="for --optimizer momentum (default 0.9)")
    group.add_argument("--weight-decay", type=float, metavar="L2", default=default(None))
    group.add_argument("--seed", type=int, default=default(None))
    group.add_argument("--load", metavar="FILE", default=default(None), help="start from weights saved as .npz")


def add_data_options(parser: argparse.ArgumentParser, subcommand: bool = False) -> None:
    default = _defaults(subcommand)
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", choices=DATASET_NAMES, default=default("mnist"))
    group.add_argument("--data", metavar="DIR", default=default(None),
                       help="directory holding the IDX files (default: $NNVIZ_DATA, the cache, or download)")
    group.add_argument("--no-download", action="store_true", default=default(False),
                       help="never download; fail if the files are missing")


_CONFIG_OPTIONS = ("activation", "output", "init", "optimizer", "learning_rate", "batch_size", "momentum",
                   "weight_decay", "seed")


def build_config(args: argparse.Namespace):
    """The TrainConfig the options ask for, and the loaded weights if --load was given."""
    from nnviz.model.weights_io import load_weights

    loaded = load_weights(args.load) if args.load else None
    config = loaded.config if loaded else PRESETS[args.preset]
    changes = {name: getattr(args, name) for name in _CONFIG_OPTIONS if getattr(args, name) is not None}
    if args.layers is not None:
        layers = parse_layers(args.layers)
        if loaded and layers != loaded.config.layers:
            raise NnvizError(
                f"--layers {format_layers(layers)} does not match {args.load}, "
                f"which holds {format_layers(loaded.config.layers)}"
            )
        changes["layers"] = layers
    if loaded and "output" in changes and changes["output"] != loaded.config.output:
        raise NnvizError(f"--output {changes['output']} does not match {args.load}, trained with {loaded.config.output}")
    return validate(config.replace(**changes)), loaded


def build_trainer(args: argparse.Namespace, config, loaded):
    """The dataset the options name, and a trainer on it starting from --load's weights if given."""
    from nnviz.data import load_dataset
    from nnviz.model.trainer import Trainer

    dataset = load_dataset(args.dataset, args.data, download=not args.no_download)
    trainer = Trainer(config, dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels)
    if loaded:
        trainer.load_parameters(loaded.flat_parameters())
    return trainer, dataset


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="nnviz",
        description="Watch a neural network learn handwritten digits, in real-time 3-D.",
    )
    from nnviz.app.options import add_app_options  # the window's own options

    add_model_options(parser)
    add_data_options(parser)
    add_app_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)

    train = commands.add_parser("train", help="train headless (no display needed)",
                                description="Train the network headless and print test accuracy per epoch.")
    add_model_options(train, subcommand=True)
    add_data_options(train, subcommand=True)
    train.add_argument("--epochs", type=positive_int, default=3)
    train.add_argument("--save", metavar="FILE", help="save the trained weights as .npz")

    render = commands.add_parser("render", help="render one frame to a PNG, no display needed",
                                 description="Render the network offscreen (EGL) into a PNG file.")
    add_model_options(render, subcommand=True)
    add_data_options(render, subcommand=True)
    from nnviz.app.render_command import add_render_options

    add_render_options(render)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            from nnviz.train_command import run_train

            return run_train(args)
        if args.command == "render":
            from nnviz.app.render_command import run_render

            return run_render(args)
        from nnviz.app.launch import run_app

        return run_app(args)
    except NnvizError as error:
        print(f"nnviz: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("nnviz: interrupted", file=sys.stderr)
        return 130
