"""Command line: ``nnviz`` (window), ``nnviz train`` (headless), ``nnviz render`` (PNG), ``nnviz video`` (mp4),
``nnviz predict`` (your own images), ``nnviz edit`` (a saved network's architecture), ``nnviz export``
(weights for PyTorch or ONNX).

Builds the parser from nnviz.commands, runs the command asked for, and turns
its errors into one line on stderr and an exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys

from nnviz.commands.edit import add_edit_options, run_edit
from nnviz.commands.export import add_export_options, run_export
from nnviz.commands.options import OneLineErrorParser, add_data_options, add_model_options
from nnviz.commands.predict import add_predict_options, run_predict
from nnviz.commands.render import add_render_options, run_render
from nnviz.commands.train import add_train_options, run_train
from nnviz.commands.video import add_video_options, run_video
from nnviz.commands.window import add_app_options, run_app
from nnviz.errors import ConfigError, NnvizError
from nnviz.option_names import for_command_line
from nnviz.safe_files import os_error

#: Subcommand (None: none given) -> the function that runs it.
RUN = {"train": run_train, "render": run_render, "video": run_video, "predict": run_predict, "edit": run_edit,
       "export": run_export,
       None: run_app}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="nnviz",
        description="Watch a neural network learn handwritten digits, in real-time 3-D.",
    )
    add_model_options(parser)
    add_data_options(parser)
    add_app_options(parser)  # the window's own options
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)

    train = commands.add_parser("train", help="train headless (no display needed)",
                                description="Train the network headless and print test accuracy per epoch.")
    add_model_options(train, subcommand=True)
    add_data_options(train, subcommand=True)
    add_train_options(train)

    render = commands.add_parser("render", help="render one frame to a PNG, no display needed",
                                 description="Render the network offscreen (EGL) into a PNG file.")
    add_model_options(render, subcommand=True)
    add_data_options(render, subcommand=True)
    add_render_options(render)

    video = commands.add_parser("video", help="replay a recorded run into an .mp4, no display needed",
                                description="Replay a run recorded with 'nnviz train --history' offscreen "
                                            "into an H.264 .mp4, HUD and timeline included.")
    add_data_options(video, subcommand=True)
    add_video_options(video)

    predict = commands.add_parser(
        "predict", help="classify your own pictures of digits with saved weights",
        description="Classify pictures of digits (PNG or JPEG, any size, dark on light or light on dark) with "
                    "weights saved by 'nnviz train --save'. Each picture is made MNIST-like first: cropped to "
                    "the ink, scaled so its longer side is 20 pixels, centred by centre of mass in 28x28. "
                    "Prints the class and the top 3 probabilities; for a network with sigmoid outputs the "
                    "'probabilities' are the outputs divided by their sum. Exit status 2 if any picture "
                    "could not be read (the others are still classified). With --csv, every row of a Kaggle "
                    "digit-recognizer CSV instead, printed as a submission (ImageId,Label).")
    add_predict_options(predict)

    edit = commands.add_parser(
        "edit", help="change a saved network's shape: add or remove neurons and layers",
        description="Edit the architecture of weights saved by 'nnviz train --save' and write the result to a "
                    "new file; what the network learned is kept (adding neurons or a ReLU layer leaves its "
                    "outputs unchanged). The edits run in the order given; each prints what it did. "
                    "Continue with 'nnviz train --load OUT.npz'.")
    add_edit_options(edit)

    export = commands.add_parser(
        "export", help="write saved weights for PyTorch (.safetensors) or ONNX (.onnx)",
        description="Write weights for other frameworks: a .safetensors file holding the state dict of "
                    "nn.Sequential(Linear, activation, ..., Linear) (keys 0.weight, 0.bias, 2.weight, ...), or an "
                    ".onnx model from 'input' [batch, 784] to 'output', the network's probabilities.")
    add_export_options(export)
    return parser


class Terminated(BaseException):
    """SIGTERM arrived (``kill``, a session ending): unwind as an exception does, so every ``finally`` and
    atexit cleanup runs (temporary files, unfinished downloads), which the default action would skip."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


@contextlib.contextmanager
def _terminate_by_unwinding():
    """SIGTERM raises Terminated while a command runs; a handler someone else installed is left alone."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated) \
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else None
    except ValueError:  # not the main thread: signals cannot be handled here at all
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with _terminate_by_unwinding():
            return RUN[args.command](args)
    except ConfigError as error:  # the model names the field; the user typed the option
        return _fail(for_command_line(error))
    except NnvizError as error:
        return _fail(error)
    except BrokenPipeError:  # the reader went away (`nnviz predict ... | head`)
        _stop_writing_to_stdout()
        return 128 + signal.SIGPIPE  # as a process the signal ended: quietly, for the reader chose to stop
    except OSError as error:  # the last resort: the commands check the paths they know of where they use them
        return _fail(os_error(error))
    except KeyboardInterrupt:
        print("nnviz: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("nnviz: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM


def _stop_writing_to_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered would raise the same error again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _fail(error: NnvizError) -> int:
    print(f"nnviz: error: {error}", file=sys.stderr)
    return error.exit_code
