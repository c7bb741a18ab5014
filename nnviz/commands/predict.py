"""``nnviz predict``: what a saved network says about your own pictures of digits."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from nnviz.arg_types import file_name
from nnviz.commands import builders
from nnviz.commands.builders import check_fits_dataset
from nnviz.commands.options import DATASET_NAMES
from nnviz.data.digits import load_digit_image
from nnviz.errors import NnvizError
from nnviz.model.config import network_for
from nnviz.model.network import Network
from nnviz.model.weights_io import load_weights

#: Classes listed after the prediction.
TOP = 3


def add_predict_options(parser: argparse.ArgumentParser) -> None:
    # --dataset and --load also work before the subcommand (nnviz --load w.npz predict ...),
    # so here they only override: SUPPRESS keeps the top level's value.
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="PNG or JPEG pictures of one digit each, any size, dark on light or light on dark")
    parser.add_argument("--load", type=file_name, metavar="FILE", default=argparse.SUPPRESS,
                        help="the weights to use, saved by 'nnviz train --save' (required)")
    parser.add_argument("--dataset", choices=DATASET_NAMES, default=argparse.SUPPRESS,
                        help="what the network was trained on: names its classes (default: mnist); "
                             "no data files are needed")
    parser.add_argument("--json", action="store_true",
                        help='one JSON object per image instead: {"image", "class", "name", '
                             '"top": [{"class", "name", "probability"}, ...]}')


def run_predict(args: argparse.Namespace) -> int:
    if not args.load:
        raise NnvizError("predict needs --load FILE: the weights to predict with (from 'nnviz train --save')")
    loaded = load_weights(args.load)
    class_names = builders.class_names(args, loaded)
    check_fits_dataset(loaded.config, args.dataset, args.load, class_names)
    config = loaded.config
    network = network_for(config)
    network.params[...] = loaded.flat_parameters()

    failed = False
    for path in args.images:
        try:
            image = load_digit_image(path)
        except NnvizError as error:
            print(f"nnviz: error: {error}", file=sys.stderr, flush=True)
            failed = True
            continue
        probabilities = class_probabilities(network, image)
        print(_format(path, probabilities, class_names, as_json=args.json), flush=True)
    return NnvizError.exit_code if failed else 0


def class_probabilities(network: Network, image: np.ndarray) -> np.ndarray:
    """The network's output for a (28, 28) uint8 image, as probabilities summing to 1.

    Softmax outputs are that already; sigmoid outputs (each in (0, 1), trained
    one against the rest) are divided by their sum.
    """
    outputs = network.forward(image.reshape(-1).astype(np.float32) / np.float32(255.0))[-1].astype(np.float64)
    total = outputs.sum()
    return outputs / total if total > 0 else np.full_like(outputs, 1.0 / len(outputs))


def _format(path: str, probabilities: np.ndarray, class_names, as_json: bool) -> str:
    order = np.argsort(-probabilities, kind="stable")[:TOP]
    best = int(order[0])
    if as_json:
        top = [{"class": int(k), "name": class_names[k], "probability": round(float(probabilities[k]), 6)}
               for k in order]
        return json.dumps({"image": path, "class": best, "name": class_names[best], "top": top})
    listed = ", ".join(f"{class_names[k]} {probabilities[k]:.1%}" for k in order)
    return f"{path}: {class_names[best]} ({listed})"
