"""``nnviz edit``: change a saved network's shape (nnviz.model.surgery) and save it as a new weight file.

The edits run in the order given on the command line: every edit option
appends to one list. Layers count as the HUD names them (hidden layers from
1), neurons from 0. Weight files hold no optimiser state, so only the
parameters and the config are edited; training on from the new file starts
a fresh optimiser, as any --load does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nnviz import safe_files
from nnviz.arg_types import file_name
from nnviz.commands.options import add_force_option, check_output
from nnviz.errors import ConfigError, NnvizError
from nnviz.model import surgery
from nnviz.model.config import describe_activations, format_layers, network_for
from nnviz.model.weights_io import check_save_target, load_weights, save_weights

#: What a weight file's JSON says about the network it was saved from, no longer true of the edited one.
_STALE_EXTRAS = ("format", "version", "test_accuracy")


class _InOrder(argparse.Action):
    """Append (option, value) to one shared list, so the edits keep the command line's order."""

    def __call__(self, parser, namespace, values, option_string=None):
        edits = list(getattr(namespace, self.dest, None) or [])
        edits.append((option_string, values))
        setattr(namespace, self.dest, edits)


def _numbers(text: str, separator: str) -> list[int]:
    return [int(part) for part in text.split(separator)]


def _add_neurons(text: str):
    layer, count = _numbers(text, ":")
    return surgery.add_neurons, (layer, count), True


def _remove_neurons(text: str):
    layer, neurons = text.split(":")
    return surgery.remove_neurons, (int(layer), _numbers(neurons, ",")), False


def _insert_layer(text: str):
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(text)
    position, size = int(parts[0]), int(parts[1])
    activation = parts[2] if len(parts) == 3 else None
    return surgery.insert_layer, (position, size, activation), True


def _remove_layer(text: str):
    return surgery.remove_layer, (int(text),), False


#: option -> (its value's form, an example, the parser of its value, help).
EDITS = {
    "--add-neurons": ("LAYER:COUNT", "2:4", _add_neurons,
                      "add COUNT neurons to hidden layer LAYER (outputs unchanged: their outgoing weights start at 0)"),
    "--remove-neurons": ("LAYER:I,J,...", "1:0,5", _remove_neurons,
                         "remove neurons I, J, ... (counted from 0, as the HUD shows them) of hidden layer LAYER"),
    "--insert-layer": ("POSITION:SIZE[:ACTIVATION]", "2:16", _insert_layer,
                       "insert a hidden layer of SIZE neurons that becomes hidden layer POSITION (1: after the "
                       "input); it starts as near the identity as ACTIVATION allows (default: the network's "
                       "activation; relu is exact after the input or a sigmoid, tanh or relu layer at least SIZE wide, "
                       "and the edit says when it is only near)"),
    "--remove-layer": ("LAYER", "2", _remove_layer,
                       "remove hidden layer LAYER, joining its neighbours by the product of its weights "
                       "(an approximation)"),
}


def add_edit_options(parser: argparse.ArgumentParser) -> None:
    # --load also works before the subcommand (nnviz --load w.npz edit ...): SUPPRESS keeps that value.
    parser.add_argument("--load", type=file_name, metavar="FILE", default=argparse.SUPPRESS,
                        help="the weights to edit, saved by 'nnviz train --save' (required)")
    parser.add_argument("--save", type=file_name, metavar="FILE",
                        help="where to write the edited network, a new .npz (required)")
    add_force_option(parser, "--save file")
    group = parser.add_argument_group("edits, applied in the order given; hidden layers count from 1")
    for option, (form, _, _, text) in EDITS.items():
        group.add_argument(option, dest="edits", action=_InOrder, metavar=form, help=text)


def run_edit(args: argparse.Namespace) -> int:
    edits = getattr(args, "edits", None) or []
    if not args.load:
        raise NnvizError("edit needs --load FILE: the weights to edit (from 'nnviz train --save')")
    if not args.save:
        raise NnvizError("edit needs --save FILE: a new .npz for the edited network")
    if not edits:
        raise NnvizError(f"edit needs at least one edit: {', '.join(EDITS)}")
    _check_target(args.save, args.load, args.force)
    loaded = load_weights(args.load)
    config, params = loaded.config, loaded.flat_parameters()
    rng = np.random.default_rng(config.seed)  # new neurons' weights: the same file and edits give the same result
    for option, text in edits:
        function, arguments, random = _parse(option, text)
        try:
            result = function(config, params, {}, *arguments, **({"rng": rng} if random else {}))
        except surgery.EditError as error:
            raise NnvizError(f"{option} {text}: {error.problem}") from None
        except ConfigError as error:
            raise NnvizError(f"{option} {text}: {error}") from None
        print(result.message)
        config, params = result.config, result.params
    network = network_for(config)
    network.params[...] = params
    extra = {key: value for key, value in loaded.extra.items() if key not in _STALE_EXTRAS}
    path = save_weights(safe_files.output_path(args.save, args.force), network, config, **extra)
    print(f"saved {format_layers(config.layers)} ({describe_activations(config)}/{config.output}) to {path}")
    return 0


def _parse(option: str, text: str):
    form, example, parse, _ = EDITS[option]
    try:
        return parse(text)
    except ValueError:
        raise NnvizError(f"{option} {text}: expected {form}, e.g. {option} {example}") from None


def _check_target(save: str, load: str, force: bool) -> None:
    if Path(save).resolve() == Path(load).resolve():
        # Refused although the write is atomic: a typo would otherwise replace the original for good.
        raise NnvizError(f"--save {save}: the same file as --load; save the edited network under a new name")
    check_output("--save", save, force, check_save_target)
