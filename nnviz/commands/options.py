"""Options every command takes (model and training, data), and a parser whose errors fit on one line."""

from __future__ import annotations

import argparse
from pathlib import Path

from nnviz import safe_files
from nnviz.arg_types import file_name
from nnviz.data.sources import DATASETS
from nnviz.errors import ConfigError, NnvizError
from nnviz.limits import excerpt
from nnviz.model.activations import ACTIVATIONS
from nnviz.model.config import PRESETS, TrainConfig, check_layers, format_layers
from nnviz.model.network import INITIALIZERS
from nnviz.model.optimizers import OPTIMIZERS
from nnviz.model.outputs import OUTPUTS

DATASET_NAMES = tuple(DATASETS)


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
    # Each option's dest is the TrainConfig field it sets; nnviz.option_names maps them back for messages.
    default = _defaults(subcommand)
    group = parser.add_argument_group("model and training")
    group.add_argument("--preset", choices=sorted(PRESETS), default=default("default"),
                       help="starting hyperparameters; 'textbook' is Nielsen's classic setup (default: default)")
    group.add_argument("--layers", type=parse_layers, metavar="SIZES", default=default(None), help="comma-separated layer sizes (default: 784,16,16,10)")
    group.add_argument("--activation", choices=sorted(ACTIVATIONS), default=default(None),
                       help="every hidden layer's activation")
    group.add_argument("--layer-activations", metavar="NAMES", default=default(None),
                       help="one activation per hidden layer, comma-separated, e.g. relu,tanh "
                            "(default: --activation for all)")
    group.add_argument("--output", choices=sorted(OUTPUTS), default=default(None),
                       help="output layer and cost: softmax (cross-entropy) or sigmoid (quadratic)")
    group.add_argument("--init", choices=sorted(INITIALIZERS), default=default(None), help="weight initialisation")
    group.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=default(None))
    group.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, metavar="RATE", default=default(None))
    group.add_argument("--batch-size", type=int, metavar="N", default=default(None))
    group.add_argument("--momentum", type=float, default=default(None), help="for --optimizer momentum (default 0.9)")
    group.add_argument("--weight-decay", type=float, metavar="L2", default=default(None))
    group.add_argument("--seed", type=int, default=default(None))
    group.add_argument("--load", type=file_name, metavar="FILE", default=default(None), help="start from these weights: nnviz's .npz, a PyTorch state dict (.safetensors, .pt), "
                            ".onnx, or Keras (.keras, .weights.h5); --activation names what a state dict does not say")


def add_data_options(parser: argparse.ArgumentParser, subcommand: bool = False) -> None:
    default = _defaults(subcommand)
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", choices=DATASET_NAMES, default=default("mnist"))
    group.add_argument("--data", type=file_name, metavar="PATH", default=default(None),
                       help="a folder of IDX files (with classes.txt for other classes), Keras's mnist.npz, "
                            "Kaggle's train.csv, or a folder of pictures per class (default: $NNVIZ_DATA, the "
                            "cache, or download)")
    group.add_argument("--no-download", action="store_true", default=default(False),
                       help="never download; fail if the files are missing")
    group.add_argument("--not-a-digit", action="store_true", default=default(False),
                       help="an 11th class, 'not a digit': Fashion-MNIST pictures mixed into MNIST (implied by "
                            "weights saved with that class)")


def parse_names(text: str) -> tuple[str, ...]:
    """--layer-activations' value: "relu,tanh" -> ("relu", "tanh"); "" -> () (every layer --activation)."""
    return tuple(part.strip() for part in text.split(",")) if text.strip() else ()


def parse_layers(text: str) -> tuple[int, ...]:
    """--layers' value: "784,16,10" -> (784, 16, 10), a network within nnviz.limits (config.check_layers).

    The option's type, so a bad value is a usage error before anything is allocated.
    """
    shown = excerpt(text)
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        example = format_layers(TrainConfig().layers)
        raise argparse.ArgumentTypeError(f"{shown!r}: expected comma-separated integers such as {example}") from None
    try:
        check_layers(sizes)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(f"{shown}: {error.problem}") from None
    return sizes


def add_force_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--force", action="store_true", help=f"replace an existing {what} (default: refuse)")


def check_output(option: str, path: str, force: bool, check=safe_files.check_target) -> Path:
    """The file ``option`` names to write, checked before any work: NnvizError naming the option if it cannot be.

    ``check`` gets ``path`` as a safe_files.Replaceable when --force was given, a plain Path otherwise.
    """
    try:
        return Path(check(safe_files.output_path(path, force)))
    except safe_files.AlreadyExists as error:
        raise NnvizError(f"{option} {error} (--force replaces it)") from None
    except NnvizError as error:
        raise NnvizError(f"{option} {error}") from None
