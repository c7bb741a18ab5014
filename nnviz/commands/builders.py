"""From parsed options to what every command runs: the TrainConfig, the dataset, the Trainer.

Errors about a TrainConfig value are ConfigErrors naming the field; nnviz.cli
rewords them with the option's name (nnviz.option_names).
"""

from __future__ import annotations

import argparse

from nnviz.commands.options import parse_names
from nnviz.data import load_dataset
from nnviz.data.loader import dataset_class_names, dataset_spec
from nnviz.data.mixing import NOT_A_DIGIT, load_not_a_digit_source, with_not_a_digit
from nnviz.errors import ConfigError, NnvizError
from nnviz.model.config import PRESETS, TrainConfig, check_data_shape, format_layers, validate
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import LoadedWeights, load_weights

_CONFIG_OPTIONS = ("activation", "output", "init", "optimizer", "learning_rate", "batch_size", "momentum",
                   "weight_decay", "seed")


def build_config(args: argparse.Namespace) -> tuple[TrainConfig, LoadedWeights | None]:
    """The TrainConfig the options ask for, and the loaded weights if --load was given.

    Checked against the dataset's image size and classes before any data is
    loaded (or downloaded).
    """
    loaded = load_weights(args.load, args.activation, args.output) if args.load else None
    config = loaded.config if loaded else PRESETS[args.preset]
    changes = {name: getattr(args, name) for name in _CONFIG_OPTIONS if getattr(args, name) is not None}
    if args.layers is not None:
        layers = args.layers  # a tuple: the option's type parsed it
        if loaded and layers != loaded.config.layers:
            raise NnvizError(
                f"--layers {format_layers(layers)} does not match {args.load}, "
                f"which holds {format_layers(loaded.config.layers)}"
            )
        changes["layers"] = layers
    if args.layer_activations is not None:
        changes["layer_activations"] = parse_names(args.layer_activations)
    elif "activation" in changes:
        changes["layer_activations"] = ()  # --activation sets every hidden layer, a loaded file's included
    if loaded and "output" in changes and changes["output"] != loaded.config.output:
        raise NnvizError(f"--output {changes['output']} does not match {args.load}, trained with {loaded.config.output}")
    classes = class_names(args, loaded)
    if not loaded and args.layers is None and "layers" not in changes:
        changes["layers"] = (*config.layers[:-1], len(classes))  # the preset's network, one output per class
    config = validate(config.replace(**changes))
    check_fits_dataset(config, args.dataset, args.load if loaded else None, classes)
    return config, loaded


def wants_not_a_digit(args: argparse.Namespace, loaded: LoadedWeights | None = None) -> bool:
    """--not-a-digit, or weights saved with that class: MNIST gets Fashion-MNIST pictures as an 11th class."""
    in_file = loaded is not None and NOT_A_DIGIT in loaded.extra.get("class_names", ())
    wanted = bool(getattr(args, "not_a_digit", False)) or in_file
    if wanted and args.dataset != "mnist":
        source = f"{args.load} has a '{NOT_A_DIGIT}' class" if in_file else "--not-a-digit"
        raise NnvizError(f"{source}: only with --dataset mnist (Fashion-MNIST's pictures are what is not a digit)")
    return wanted


def class_names(args: argparse.Namespace, loaded: LoadedWeights | None = None) -> tuple[str, ...]:
    names = dataset_class_names(args.dataset, getattr(args, "data", None))  # an image folder's own classes
    return (*names, NOT_A_DIGIT) if wants_not_a_digit(args, loaded) else names


def check_fits_dataset(config: TrainConfig, dataset: str, weights_file: str | None,
                       classes: tuple[str, ...] | None = None) -> None:
    spec = dataset_spec(dataset)
    classes = spec.class_names if classes is None else classes
    try:
        rows, columns = spec.image_shape
        check_data_shape(config, rows * columns, len(classes), f"{rows}x{columns} pixels")
    except ConfigError as error:
        if config.layers[-1] == len(classes) + 1 and dataset == "mnist":
            error = ConfigError(error.field, error.value, f"{error.problem} (with a '{NOT_A_DIGIT}' class: "
                                                          "add --not-a-digit)")
        if weights_file is None:
            raise error from None
        # With --load the layers are the file's (a different --layers was refused above).
        raise NnvizError(f"{weights_file}: config: {error}") from None


def load_training_data(args: argparse.Namespace, loaded: LoadedWeights | None = None, progress=True):
    """The dataset the options name; with a 'not a digit' class, mixed with Fashion-MNIST's pictures."""
    dataset = load_dataset(args.dataset, args.data, download=not args.no_download, progress=progress)
    if wants_not_a_digit(args, loaded):
        others = load_not_a_digit_source(args.data, download=not args.no_download, progress=progress)
        dataset = with_not_a_digit(dataset, others, seed=0)
    return dataset


def build_trainer(args: argparse.Namespace, config: TrainConfig, loaded: LoadedWeights | None):
    """The dataset the options name, and a trainer on it starting from --load's weights if given."""
    dataset = load_training_data(args, loaded)
    return trainer_for(config, dataset, loaded), dataset


def trainer_for(config: TrainConfig, dataset, loaded: LoadedWeights | None) -> Trainer:
    """A trainer on ``dataset`` (None: no data; it cannot train, but its network can be drawn), from --load's weights."""
    data = () if dataset is None else (dataset.train_images, dataset.train_labels, dataset.test_images,
                                       dataset.test_labels)
    trainer = Trainer(config, *data)
    if loaded:
        trainer.load_parameters(loaded.flat_parameters())
    return trainer


def check_drawable(layers) -> None:
    """Headless training takes any depth; the window and ``nnviz render`` draw at most MAX_LAYERS."""
    from nnviz.engine.rules import MAX_LAYERS  # the engine is imported only by the commands that draw

    if len(layers) > MAX_LAYERS:
        raise ConfigError("layers", format_layers(layers), f"at most {MAX_LAYERS} layers can be drawn")


def divergence_message(trainer: Trainer) -> str:
    """Why training stopped, with advice for the command line (the window offers its reset key instead)."""
    smaller = trainer.config.learning_rate / 10
    return f"{trainer.diverged}: try a smaller --lr, e.g. --lr {smaller:g}"
