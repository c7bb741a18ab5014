"""TrainConfig validation: field by field, with no dataset in mind."""

import pytest

from nnviz.errors import ConfigError, NnvizError
from nnviz.model.config import TrainConfig, check_data_shape, validate


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"layers": (784,)}, "layers 784: needs at least an input and an output layer"),
        ({"layers": (784, 0, 10)}, "layers 784,0,10: every layer needs at least one neuron"),
        ({"activation": "swish"}, "activation 'swish': not one of: leaky_relu, relu, sigmoid, tanh"),
        ({"learning_rate": 0.0}, "learning_rate 0.0: the learning rate must be > 0 and at most 100"),
        ({"batch_size": 0}, "batch_size 0: must be at least 1"),
        ({"momentum": 1.0}, "momentum 1.0: must be in [0, 1)"),
        ({"weight_decay": -1.0}, "weight_decay -1.0: must be >= 0"),
        ({"weight_decay": float("inf")}, "weight_decay inf: must be a finite number"),
        ({"layer_activations": ("relu",)},
         "layer_activations relu: needs one activation per hidden layer: layers 784,16,16,10 have 2"),
        ({"layer_activations": ("relu", "swish")},
         "layer_activations relu,swish: 'swish' is not one of: leaky_relu, relu, sigmoid, tanh"),
        ({"layer_activations": ["relu", "tanh"]}, "layer_activations ['relu', 'tanh']: must be a tuple of activation names"),
        ({"seed": -1}, "seed -1: must be an integer from 0 to 4294967295"),
    ],
)
def test_errors_name_the_field(changes, message):
    with pytest.raises(ConfigError) as info:
        validate(TrainConfig(**changes))
    error = info.value
    assert isinstance(error, NnvizError) and str(error) == message
    assert error.field == next(iter(changes))
    assert f"{error.field} {error.value}: {error.problem}" == message


def test_validate_knows_no_dataset():
    assert validate(TrainConfig(layers=(3, 2))).layers == (3, 2)


def test_the_dataset_decides_the_first_and_last_layer():
    check_data_shape(TrainConfig(layers=(12, 4, 3)), 12, 3, "3x4 pixels")
    with pytest.raises(ConfigError, match=r"^layers 12,4,3: the first layer must be 784 \(28x28 pixels\)$"):
        check_data_shape(TrainConfig(layers=(12, 4, 3)), 784, 3, "28x28 pixels")
    with pytest.raises(ConfigError, match=r"^layers 12,4,3: the last layer must be 10 \(one per class\)$"):
        check_data_shape(TrainConfig(layers=(12, 4, 3)), 12, 10, "3x4 pixels")


def test_hidden_activations_are_one_per_hidden_layer():
    assert TrainConfig().hidden_activations() == ("tanh", "tanh")
    assert TrainConfig(layers=(784, 10)).hidden_activations() == ()
    mixed = validate(TrainConfig(layers=(784, 32, 16, 8, 10), activation="relu",
                                 layer_activations=("relu", "sigmoid", "tanh")))
    assert mixed.hidden_activations() == ("relu", "sigmoid", "tanh")
    assert mixed.to_dict()["layer_activations"] == ["relu", "sigmoid", "tanh"]
    assert TrainConfig().to_dict()["layer_activations"] == []


def test_the_same_activation_everywhere_is_written_as_none_per_layer():
    config = TrainConfig()
    assert config.with_hidden_activations(("tanh", "tanh")).layer_activations == ()
    assert config.with_hidden_activations(("tanh", "relu")).layer_activations == ("tanh", "relu")
    # All the same but not `activation`: per layer, or the config would say tanh.
    assert config.with_hidden_activations(("relu", "relu")).layer_activations == ("relu", "relu")
