"""Model and training hyperparameters, presets, and their validation."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from nnviz.errors import ConfigError
from nnviz.limits import MAX_LAYER_SIZE, MAX_NETWORK_LAYERS, MAX_PARAMETERS, excerpt
from nnviz.model.activations import ACTIVATIONS
from nnviz.model.network import DTYPE, INITIALIZERS, Network
from nnviz.model.optimizers import OPTIMIZERS
from nnviz.model.outputs import OUTPUTS


@dataclass
class TrainConfig:
    layers: tuple[int, ...] = (784, 16, 16, 10)
    activation: str = "tanh"
    #: One activation per hidden layer, or () for ``activation`` in every one (see hidden_activations).
    layer_activations: tuple[str, ...] = ()
    output: str = "softmax"
    init: str = "xavier"
    optimizer: str = "adam"
    learning_rate: float = 0.002
    batch_size: int = 32
    momentum: float = 0.9
    weight_decay: float = 0.0
    seed: int = 0

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["layers"] = list(self.layers)
        data["layer_activations"] = list(self.layer_activations)
        return data

    def hidden_activations(self) -> tuple[str, ...]:
        """The activation of each hidden layer, first to last (hidden layer k is ``layers[k]``)."""
        return self.layer_activations or (self.activation,) * max(len(self.layers) - 2, 0)

    def with_hidden_activations(self, names) -> "TrainConfig":
        """This config with these hidden-layer activations; () stands for them when all are ``activation``.

        Kept short that way so that a uniform network saves and compares like one that was never mixed.
        """
        names = tuple(names)
        return self.replace(layer_activations=() if all(name == self.activation for name in names) else names)

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}


PRESETS: dict[str, TrainConfig] = {
    # Chosen to learn fast and to look good: tanh keeps activations in [-1, 1],
    # so a neuron's colour always means the same thing, and its sign shows;
    # Adam at 0.002 reaches ~94% in 3 epochs on 784-16-16-10 across seeds.
    "default": TrainConfig(),
    # Nielsen, "Neural Networks and Deep Learning", chapter 1.
    "textbook": TrainConfig(
        activation="sigmoid", output="sigmoid", init="normal", optimizer="sgd", learning_rate=0.5, batch_size=100
    ),
}


def _choice(field: str, value: str, choices) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(field, excerpt(repr(value)), f"not one of: {', '.join(sorted(choices))}")


def _is_integer(value) -> bool:
    """An int or a NumPy integer, not a bool (which Python counts as one) and not a float like 32.0."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_number(field: str, value) -> None:
    """A hyperparameter is a real number (its range is checked apart): a file's config can give anything."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(field, excerpt(repr(value)), "must be a number")


def validate(config: TrainConfig) -> TrainConfig:
    """Raise ConfigError naming the field of any value no network or trainer can use.

    Whether the layers fit the data is not checked here: that depends on the
    dataset (see check_data_shape).
    """
    check_layers(config.layers)
    _choice("activation", config.activation, ACTIVATIONS)
    _check_layer_activations(config)
    _choice("output", config.output, OUTPUTS)
    _choice("init", config.init, INITIALIZERS)
    _choice("optimizer", config.optimizer, OPTIMIZERS)
    for field in ("learning_rate", "momentum", "weight_decay"):
        _check_number(field, getattr(config, field))
    if not config.learning_rate > 0 or config.learning_rate > 100:
        raise ConfigError("learning_rate", config.learning_rate, "the learning rate must be > 0 and at most 100")
    if not _is_integer(config.batch_size):
        raise ConfigError("batch_size", excerpt(config.batch_size), "must be a whole number")
    if config.batch_size < 1:
        raise ConfigError("batch_size", config.batch_size, "must be at least 1")
    if not 0 <= config.momentum < 1:
        raise ConfigError("momentum", config.momentum, "must be in [0, 1)")
    if not config.weight_decay >= 0:
        raise ConfigError("weight_decay", config.weight_decay, "must be >= 0")
    if not math.isfinite(config.weight_decay):
        raise ConfigError("weight_decay", config.weight_decay, "must be a finite number")
    if not _is_integer(config.seed) or not 0 <= config.seed < 2**32:
        raise ConfigError("seed", excerpt(config.seed), f"must be an integer from 0 to {2**32 - 1}")
    return config


def check_layers(layers) -> None:
    """Sizes a network can be built of, within nnviz.limits (a file's config and --layers are checked here
    before any array of that size is read or allocated); ConfigError otherwise."""
    if len(layers) < 2:
        raise _layers_error(layers, "needs at least an input and an output layer")
    if len(layers) > MAX_NETWORK_LAYERS:
        raise _layers_error(layers, f"{len(layers):,} layers; at most {MAX_NETWORK_LAYERS}")
    if not all(_is_integer(n) for n in layers):
        raise _layers_error(layers, "every layer size must be a whole number")
    if any(n <= 0 for n in layers):
        raise _layers_error(layers, "every layer needs at least one neuron")
    if max(layers) > MAX_LAYER_SIZE:
        raise _layers_error(layers, f"a layer of {excerpt(f'{max(layers):,}')} neurons; at most {MAX_LAYER_SIZE:,}")
    if parameter_count(layers) > MAX_PARAMETERS:
        raise _layers_error(layers, f"{parameter_count(layers):,} weights and biases; at most {MAX_PARAMETERS:,}")


def parameter_count(layers) -> int:
    """Weights and biases of a network of these layer sizes, counted without building it."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(layers[:-1], layers[1:]))


def _check_layer_activations(config: TrainConfig) -> None:
    names = config.layer_activations
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        raise ConfigError("layer_activations", excerpt(repr(names)), "must be a tuple of activation names")
    if not names:
        return
    hidden = len(config.layers) - 2
    if len(names) != hidden:
        raise ConfigError("layer_activations", excerpt(",".join(names)),
                          f"needs one activation per hidden layer: layers {excerpt(format_layers(config.layers))} "
                          f"have {hidden}")
    for name in names:
        if name not in ACTIVATIONS:
            raise ConfigError("layer_activations", excerpt(",".join(names)),
                              f"{excerpt(repr(name))} is not one of: {', '.join(sorted(ACTIVATIONS))}")


def network_for(config: TrainConfig, dtype=DTYPE) -> Network:
    """A network of the config's layers, activations and output layer (parameters zero)."""
    return Network(config.layers, config.activation, config.output, dtype=dtype,
                   layer_activations=config.layer_activations)


def describe_activations(config: TrainConfig) -> str:
    """"tanh", or one name per hidden layer ("relu,tanh") where they differ."""
    return ",".join(config.layer_activations) if config.layer_activations else config.activation


def check_data_shape(config: TrainConfig, input_size: int, num_classes: int, input_description: str) -> None:
    """Raise ConfigError("layers", ...) unless the network takes the dataset's inputs and has one output per class.

    ``input_description`` says what the inputs are, e.g. "28x28 pixels".
    """
    check_input_size(config, input_size, input_description)
    if config.layers[-1] != num_classes:
        raise _layers_error(config.layers, f"the last layer must be {num_classes} (one per class)")


def check_input_size(config: TrainConfig, input_size: int, input_description: str) -> None:
    """The first half of check_data_shape, for a trainer given images but no list of classes."""
    if config.layers[0] != input_size:
        raise _layers_error(config.layers, f"the first layer must be {input_size} ({input_description})")


def _layers_error(layers, problem: str) -> ConfigError:
    return ConfigError("layers", excerpt(format_layers(layers)), problem)


def format_layers(layers) -> str:
    return ",".join(str(n) for n in layers)

