"""``.safetensors``: a PyTorch ``nn.Sequential`` state dict saved with ``safetensors.torch.save_file``.

The format is a JSON header (names, dtypes, shapes, offsets) then raw
tensor bytes: every shape is checked from the header before any tensor is
read. nnviz's exports add metadata ``nnviz_config`` (its JSON config), so
they load back without options.
"""

from __future__ import annotations

from pathlib import Path

from nnviz import safe_files
from nnviz.errors import NnvizError
from nnviz.limits import excerpt
from nnviz.model.interchange import layers as dense

EXTRA = "safetensors"
#: The metadata entry nnviz's exports carry their config in.
CONFIG_KEY = "nnviz_config"


def load(path: Path, activation: str | None, output: str | None) -> dense.Parts:
    safetensors = dense.require("safetensors", EXTRA)
    dense.check_file_size(path)
    try:
        with safetensors.safe_open(path, framework="numpy") as file:
            shapes = {key: tuple(file.get_slice(key).get_shape()) for key in file.keys()}
            keys, layers = dense.sequential_keys(path, shapes)
            metadata = file.metadata() or {}
            config, extra = dense.config_for(path, layers, [None] * (len(layers) - 2), None, activation, output,
                                             metadata.get(CONFIG_KEY))
            weights = [dense.parameters(path, key, file.get_tensor(key)).T.copy() for key, _ in keys]
            biases = [dense.parameters(path, key, file.get_tensor(key)) for _, key in keys]
    except OSError as error:
        raise safe_files.os_error(error, path) from None
    except (safetensors.SafetensorError, TypeError, ValueError) as error:
        # The library's own words for a damaged file ("invalid header", "incomplete metadata", a bfloat16
        # NumPy cannot hold), on one line.
        raise NnvizError(f"{path}: not a readable safetensors file: {excerpt(' '.join(str(error).split()))}") from None
    return config, weights, biases, extra


def save(path, loaded) -> Path:
    numpy_api = dense.require("safetensors.numpy", EXTRA)
    data = numpy_api.save(dense.state_dict(loaded), metadata={CONFIG_KEY: dense.config_json(loaded)})
    return safe_files.write_to(path, lambda stream: stream.write(data))
