"""``nnviz predict``: what a saved network says about your own pictures of digits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from nnviz.arg_types import file_name
from nnviz.commands import builders
from nnviz.commands.builders import check_fits_dataset
from nnviz.commands.options import DATASET_NAMES
from nnviz.data import csv_digits
from nnviz.data.digits import load_digit_image
from nnviz.errors import NnvizError
from nnviz.model.config import network_for
from nnviz.model.network import Network, pixel_input
from nnviz.model.weights_io import load_weights

#: Classes listed after the prediction.
TOP = 3
#: Kaggle's submission header: ImageId counts the rows from 1, Label is the class predicted.
SUBMISSION_HEADER = "ImageId,Label"


def add_predict_options(parser: argparse.ArgumentParser) -> None:
    # --dataset and --load also work before the subcommand (nnviz --load w.npz predict ...),
    # so here they only override: SUPPRESS keeps the top level's value.
    parser.add_argument("images", nargs="*", metavar="IMAGE",
                        help="PNG or JPEG pictures of one digit each, any size, dark on light or light on dark")
    parser.add_argument("--csv", type=file_name, metavar="FILE",
                        help="instead of pictures, every row of a Kaggle digit recognizer CSV (test.csv: "
                             "pixel0,...,pixel783; a label column is ignored), written to stdout as Kaggle's "
                             "submission: ImageId,Label")
    parser.add_argument("--load", type=file_name, metavar="FILE", default=argparse.SUPPRESS,
                        help="the weights to use, saved by 'nnviz train --save' (required)")
    parser.add_argument("--dataset", choices=DATASET_NAMES, default=argparse.SUPPRESS,
                        help="what the network was trained on: names its classes (default: mnist); "
                             "no data files are needed")
    parser.add_argument("--json", action="store_true",
                        help='one JSON object per image instead: {"image", "class", "name", '
                             '"top": [{"class", "name", "probability"}, ...]}; with --csv, "image_id" '
                             '(the ImageId) in place of "image"')


def run_predict(args: argparse.Namespace) -> int:
    if not args.load:
        raise NnvizError("predict needs --load FILE: the weights to predict with (from 'nnviz train --save')")
    _check_one_kind_of_input(args)
    loaded = load_weights(args.load)
    class_names = builders.class_names(args, loaded)
    check_fits_dataset(loaded.config, args.dataset, args.load, class_names)
    config = loaded.config
    network = network_for(config)
    network.params[...] = loaded.flat_parameters()
    if args.csv is not None:
        _check_csv_fits(network, args.load)
        _predict_csv(network, Path(args.csv), class_names, as_json=args.json)
        return 0

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


def _check_one_kind_of_input(args: argparse.Namespace) -> None:
    if args.images and args.csv is not None:
        raise NnvizError("predict takes pictures (IMAGE ...) or --csv FILE, not both")
    if not args.images and args.csv is None:
        raise NnvizError("predict needs pictures (IMAGE ...) or --csv FILE to classify")


def class_probabilities(network: Network, image: np.ndarray) -> np.ndarray:
    """The network's output for a (28, 28) uint8 image, as probabilities summing to 1.

    Softmax outputs are that already; sigmoid outputs (each in (0, 1), trained
    one against the rest) are divided by their sum.
    """
    return _as_probabilities(network.forward(network_input(network, image.reshape(-1)))[-1])


def network_input(network: Network, pixels: np.ndarray) -> np.ndarray:
    """uint8 ``pixels`` scaled to [0, 1] exactly as training scales them (network.pixel_input)."""
    return pixel_input(pixels, network.dtype)


def _as_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Output rows (or one output) divided by their sums; a row summing to 0 becomes uniform."""
    outputs = outputs.astype(np.float64)
    totals = outputs.sum(axis=-1, keepdims=True)
    uniform = np.full_like(outputs, 1.0 / outputs.shape[-1])
    return np.divide(outputs, totals, out=uniform, where=totals > 0)


def _check_csv_fits(network: Network, weights_file: str) -> None:
    inputs = network.layer_sizes[0]
    if inputs != csv_digits.PIXELS:
        raise NnvizError(f"{weights_file}: the network takes {inputs:,} inputs; a digit CSV row has "
                         f"{csv_digits.PIXELS} pixels")


def _predict_csv(network: Network, path: Path, class_names, as_json: bool) -> None:
    """Print every row's prediction, a chunk of rows at a time: Kaggle's submission, or JSON lines."""
    image_id = 1  # Kaggle counts ImageId from 1
    for pixels in csv_digits.pictures_to_predict(path, _tell):
        if image_id == 1 and not as_json:
            print(SUBMISSION_HEADER)
        outputs = network.forward(network_input(network, pixels))[-1]
        ids = range(image_id, image_id + len(pixels))
        if as_json:
            lines = [_format_json({"image_id": i}, p, class_names) for i, p in zip(ids, _as_probabilities(outputs))]
        else:
            lines = [f"{i},{best}" for i, best in zip(ids, outputs.argmax(axis=1))]
        print("\n".join(lines), flush=True)
        image_id += len(pixels)


def _format(path: str, probabilities: np.ndarray, class_names, as_json: bool) -> str:
    if as_json:
        return _format_json({"image": path}, probabilities, class_names)
    order = np.argsort(-probabilities, kind="stable")[:TOP]
    best = int(order[0])
    listed = ", ".join(f"{class_names[k]} {probabilities[k]:.1%}" for k in order)
    return f"{path}: {class_names[best]} ({listed})"


def _format_json(which: dict, probabilities: np.ndarray, class_names) -> str:
    """``which`` (the picture's name or id), the class and the TOP classes with their probabilities, as JSON."""
    order = np.argsort(-probabilities, kind="stable")[:TOP]
    best = int(order[0])
    top = [{"class": int(k), "name": class_names[k], "probability": round(float(probabilities[k]), 6)}
           for k in order]
    return json.dumps({**which, "class": best, "name": class_names[best], "top": top})


def _tell(message: str) -> None:
    print(f"nnviz: {message}", file=sys.stderr, flush=True)
