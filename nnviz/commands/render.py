"""``nnviz render``: one frame of the network, offscreen, into a PNG file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from nnviz.arg_types import file_name, size_type
from nnviz.commands.builders import (build_config, check_drawable, check_fits_dataset, class_names,
                                     divergence_message, load_training_data, trainer_for)
from nnviz.commands.options import add_force_option, check_output
from nnviz.data.digits import load_digit_image
from nnviz.data.loader import dataset_spec
from nnviz.errors import NnvizError


def add_render_options(parser: argparse.ArgumentParser) -> None:
    # Camera and colormap names are checked in run_render, so building the
    # parser (for every command) does not import the engine.
    group = parser.add_argument_group("image")
    group.add_argument("--out", type=file_name, required=True, metavar="FILE", help="PNG file to write")
    group.add_argument("--size", type=size_type(minimum=1), default=(1280, 720), metavar="WxH",
                       help="default: 1280x720")
    group.add_argument("--camera", default="default", help="default, front, side, top or input")
    group.add_argument("--steps", type=int, default=0, metavar="N", help="train N mini-batches before rendering")
    group.add_argument("--sample", type=int, default=None, metavar="I",
                       help="index of the test-set image shown (default: 0)")
    group.add_argument("--digit", type=file_name, metavar="IMAGE",
                       help="show your own picture of a digit (PNG or JPEG), made MNIST-like as 'nnviz predict' does, "
                            "instead of a test-set image")
    group.add_argument("--colormap", default=None, help="weight colours, e.g. coolwarm or a colour-blind-safe one")
    group.add_argument("--threshold", type=float, default=None, metavar="W",
                       help="hide weights with |w| below W (default: automatic)")
    group.add_argument("--samples", type=int, default=4, metavar="N", help="multisampling (0 turns it off)")
    group.add_argument("--history", type=file_name, metavar="RUN", help="draw a moment of a recorded run (nnviz train --history)")
    group.add_argument("--at", type=int, default=None, metavar="BATCH",
                       help="with --history: the last snapshot at or before this batch (default: the last)")
    add_force_option(parser, "--out file")


def run_render(args: argparse.Namespace) -> int:
    from nnviz.engine.camera import PRESET_NAMES
    from nnviz.engine.colormaps import COLORMAP_NAMES
    from nnviz.app.frames import follow_network, network_frame
    from nnviz.engine.offscreen import render_network_image
    from nnviz.engine.style import RenderStyle
    from nnviz.engine.image_io import save_png

    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise NnvizError(f"--out {args.out}: the image must be a .png file")
    check_output("--out", args.out, args.force)
    if args.camera not in PRESET_NAMES:
        raise NnvizError(f"--camera {args.camera}: not one of {', '.join(PRESET_NAMES)}")
    if args.colormap is not None and args.colormap not in COLORMAP_NAMES:
        raise NnvizError(f"--colormap {args.colormap}: not one of {', '.join(COLORMAP_NAMES)}")
    if args.steps < 0:
        raise NnvizError(f"--steps {args.steps}: must be 0 or more")
    if args.samples < 0 or args.samples & (args.samples - 1):
        raise NnvizError(f"--samples {args.samples}: must be 0 or a power of two (2, 4, 8, ...)")
    if args.at is not None and not args.history:
        raise NnvizError("--at needs --history RUN")
    if args.at is not None and args.at < 0:
        raise NnvizError(f"--at {args.at}: must be 0 or more")
    if args.digit is not None and args.sample is not None:
        raise NnvizError(f"--digit {args.digit} and --sample {args.sample}: choose one image to show, not both")
    sample = 0 if args.sample is None else args.sample
    digit = _load_digit(args.digit) if args.digit is not None else None  # before loading data and training
    if args.history:
        run, loaded = _load_run(args), None
        config = run.config
        check_fits_dataset(config, args.dataset, args.history, class_names(args))
    else:
        run = None
        config, loaded = build_config(args)
    check_drawable(config.layers)
    dataset = _load_data(args, loaded, digit is not None)
    trainer = trainer_for(config, dataset, loaded)
    moment = ""
    if run is not None:
        snapshot = run[run.index_at(args.at) if args.at is not None else len(run) - 1]
        trainer.network.params[...] = snapshot.params
        moment = f" at batch {snapshot.batches} of {args.history}"
    if dataset is not None and not 0 <= sample < len(dataset.test_labels):
        raise NnvizError(f"--sample {sample}: must be between 0 and {len(dataset.test_labels) - 1}")
    trainer.train_batches(args.steps)
    if trainer.diverged:
        raise NnvizError(divergence_message(trainer))

    names = class_names(args, loaded)
    if digit is not None:  # the picture's class is unknown
        image, label, shown = digit, None, args.digit
    elif dataset is None:
        image, label, shown = np.zeros(dataset_spec(args.dataset).image_shape, np.uint8), None, "a blank input"
    else:
        image, label = dataset.test_images[sample], int(dataset.test_labels[sample])
        shown = f"test image {sample}, a {names[label]}"
    frame = network_frame(trainer.network, image, label, samples_seen=trainer.samples_seen)
    style = follow_network(RenderStyle(colormap=args.colormap or COLORMAP_NAMES[0], threshold=args.threshold or 0.0),
                           trainer.network)
    rgb = render_network_image(frame, style, width=args.size[0], height=args.size[1], camera=args.camera,
                               samples=args.samples, input_shape=image.shape)
    save_png(out, rgb, replace=args.force)
    print(f"wrote {out} ({args.size[0]}x{args.size[1]}){moment}: showing {shown}, "
          f"predicted {names[frame.predicted_class]}")
    return 0


def _load_data(args: argparse.Namespace, loaded, have_digit: bool):
    """The dataset; None, said on stderr, when it cannot be had and nothing asked needs it (offline, say).

    The network can be drawn without it, on the --digit picture or a blank input; --steps and --sample cannot.
    """
    try:
        return load_training_data(args, loaded, progress=True)
    except NnvizError as error:
        needs = "--steps" if args.steps else "--sample" if args.sample is not None else None
        if needs:
            raise NnvizError(f"{needs} needs the dataset: {error}") from None
        instead = f"--digit {args.digit}" if have_digit else "a blank input"
        print(f"nnviz: no dataset ({error}); drawing the network on {instead}", file=sys.stderr, flush=True)
        return None


def _load_digit(path: str):
    try:
        return load_digit_image(path)
    except NnvizError as error:  # it names the file; say which option gave it
        raise NnvizError(f"--digit {error}") from None


def _load_run(args: argparse.Namespace):
    """The recorded run --history names; it decides the network, so --load and --layers cannot also."""
    from nnviz.model.run_io import load_run

    for option, given in (("--load", args.load), ("--layers", args.layers), ("--steps", args.steps)):
        if given:
            raise NnvizError(f"{option} cannot be combined with --history: the run file holds the network")
    return load_run(args.history)
