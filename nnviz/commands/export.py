"""``nnviz export``: saved weights in a format other frameworks load: PyTorch (``.safetensors``) or ONNX.

The ``.safetensors`` file is the state dict of ``nn.Sequential(Linear, act,
Linear, act, ..., Linear)`` (keys ``0.weight, 0.bias, 2.weight, ...``,
float32, (out, in)); the ``.onnx`` file takes ``input`` [batch, 784] and
gives ``output``, the network's probabilities (softmax or sigmoid).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nnviz import safe_files
from nnviz.arg_types import file_name
from nnviz.commands.options import add_force_option, check_output
from nnviz.errors import NnvizError
from nnviz.model import interchange
from nnviz.model.activations import ACTIVATIONS
from nnviz.model.config import describe_activations, format_layers
from nnviz.model.outputs import OUTPUTS
from nnviz.model.weights_io import load_weights


def add_export_options(parser: argparse.ArgumentParser) -> None:
    # --load, --activation and --output also work before the subcommand: SUPPRESS keeps those values.
    parser.add_argument("--load", type=file_name, metavar="FILE", default=argparse.SUPPRESS,
                        help="the weights to export: .npz from 'nnviz train --save', or any file --load reads "
                             "(required)")
    parser.add_argument("--out", type=file_name, metavar="FILE",
                        help=f"the file to write; its extension chooses the format: "
                             f"{', '.join(interchange.writable_suffixes())} (required)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default=argparse.SUPPRESS,
                        help="the hidden layers' activation, for a --load file that does not say (a PyTorch "
                             "state dict)")
    parser.add_argument("--output", choices=sorted(OUTPUTS), default=argparse.SUPPRESS,
                        help="the output layer, for a --load file that does not say (default: softmax)")
    add_force_option(parser, "--out file")


def run_export(args: argparse.Namespace) -> int:
    if not args.load:
        raise NnvizError("export needs --load FILE: the weights to export (from 'nnviz train --save')")
    if not args.out:
        raise NnvizError(f"export needs --out FILE: a new {' or '.join(interchange.writable_suffixes())} file")
    if Path(args.out).suffix.lower() not in interchange.writable_suffixes():
        raise NnvizError(f"--out {args.out}: nnviz exports {', '.join(interchange.writable_suffixes())}; "
                         "the extension chooses the format")
    if Path(args.out).resolve() == Path(args.load).resolve():
        raise NnvizError(f"--out {args.out}: the same file as --load; export under a new name")
    check_output("--out", args.out, args.force)
    loaded = load_weights(args.load, args.activation, args.output)
    path = interchange.save_any(safe_files.output_path(args.out, args.force), loaded)
    config = loaded.config
    print(f"exported {format_layers(config.layers)} ({describe_activations(config)}/{config.output}) to {path}")
    return 0
