"""``.pt``/``.pth``: a PyTorch ``nn.Sequential`` state dict saved with ``torch.save``, read only if torch is
installed, and then with ``weights_only=True``: torch's restricted unpickler, which builds tensors and
containers only and never runs code a file names."""

from __future__ import annotations

from pathlib import Path

from nnviz import safe_files
from nnviz.errors import NnvizError
from nnviz.limits import excerpt
from nnviz.model.interchange import layers as dense


def load(path: Path, activation: str | None, output: str | None) -> dense.Parts:
    try:
        import torch
    except ImportError:
        raise NnvizError(f"{path}: reading PyTorch .pt files needs torch (pip install torch); or save the state "
                         "dict as .safetensors (safetensors.torch.save_file(model.state_dict(), ...)), which "
                         "nnviz reads without it") from None
    dense.check_file_size(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as error:
        raise safe_files.os_error(error, path) from None
    except Exception as error:  # the restricted unpickler's refusals and damaged archives alike
        reason = excerpt(" ".join(str(error).split()))
        raise NnvizError(f"{path}: not a readable PyTorch state dict: {reason}") from None
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise NnvizError(f"{path}: holds no state dict (save model.state_dict(), not the model)")
    keys, layers = dense.sequential_keys(path, {str(key): tuple(value.shape) for key, value in state.items()})
    config, extra = dense.config_for(path, layers, [None] * (len(layers) - 2), None, activation, output)
    weights = [dense.parameters(path, key, state[key].float().numpy()).T.copy() for key, _ in keys]
    biases = [dense.parameters(path, key, state[key].float().numpy()) for _, key in keys]
    return config, weights, biases, extra
