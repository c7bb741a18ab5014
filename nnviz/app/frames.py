"""From the model to what is drawn: a live trainer's FrameSnapshot and the colour ranges its network needs."""

from __future__ import annotations

import numpy as np

from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.style import RenderStyle
from nnviz.model.network import Network
from nnviz.model.trainer import Trainer


def live_frame(trainer: Trainer, image: np.ndarray, label: int | None, *, answer: bool = True) -> FrameSnapshot:
    """The trainer's network now (copied) and its activations for `image`; answer=False leaves the prediction out."""
    network = trainer.network
    activations = trainer.activations_for(image)
    return FrameSnapshot(
        layer_sizes=tuple(network.layer_sizes),
        weights=network.flat_weights.copy(),
        biases=network.params[network.num_weights:].copy(),
        activations=np.concatenate(activations),
        input_image=image,
        true_class=label,
        predicted_class=int(activations[-1].argmax()) if answer else None,
        samples_seen=trainer.samples_seen,
    )


def follow_network(style: RenderStyle, network: Network) -> RenderStyle:
    """Colour ranges that fit the network's activation and output layer."""
    style.hidden_range = network.activation.output_range
    style.output_range = network.output.output_range
    return style
