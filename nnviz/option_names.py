"""The command-line option that sets each TrainConfig field, to reword the model's errors for users of it.

The model names fields ("learning_rate 0.0: ..."); someone who typed
``--lr 0`` should read ``--lr 0.0: ...``. The commands and the window both
reword with this, so the module is a leaf: it imports nothing but the error.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from nnviz.errors import ConfigError, NnvizError

#: TrainConfig field -> the option that sets it (tests/test_cli.py checks the parser agrees).
OPTIONS: Mapping[str, str] = MappingProxyType({
    "layers": "--layers",
    "activation": "--activation",
    "layer_activations": "--layer-activations",
    "output": "--output",
    "init": "--init",
    "optimizer": "--optimizer",
    "learning_rate": "--lr",
    "batch_size": "--batch-size",
    "momentum": "--momentum",
    "weight_decay": "--weight-decay",
    "seed": "--seed",
})


def option_for(field: str) -> str:
    """``--lr`` for "learning_rate"; a field no option sets keeps its own name."""
    return OPTIONS.get(field, field)


def for_command_line(error: ConfigError) -> NnvizError:
    """The same error, naming the option: ``--batch-size 5000: larger than the 640 training images``."""
    reworded = NnvizError(f"{option_for(error.field)} {error.value}: {error.problem}")
    reworded.exit_code = error.exit_code
    return reworded
