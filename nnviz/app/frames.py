"""From the model to what is drawn: FrameSnapshots of the live network or of a stored snapshot.

Line modes add channels to the frame, and the style reads them:
  weights   the weights themselves
  change    each weight's (and bias's) change since a reference state (the previous snapshot)
  gradient  for the digit on show: each neuron's error signal delta and each
            weight's gradient a_i * delta_j, the error flowing back from the output
"""

from __future__ import annotations

import numpy as np

from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.style import RenderStyle
from nnviz.model.network import Network, pixel_input

LINE_MODES = ("weights", "change", "gradient")
MODE_TITLES = {
    "weights": "lines show the weights",
    "change": "lines show each weight's change since the previous snapshot (rings: the biases')",
    "gradient": "lines show the gradient for this digit, spheres its error signal",
}


def network_frame(network: Network, image: np.ndarray, label: int | None, *, answer: bool = True,
                  samples_seen: int = 0, mode: str = "weights", reference: np.ndarray | None = None,
                  shown_pixels: np.ndarray | None = None) -> FrameSnapshot:
    """The network's parameters now (copied) and its activations for `image` (H, W) uint8.

    answer=False leaves the prediction out (no data yet); `reference` holds the
    flat parameters the "change" mode subtracts; `shown_pixels` (uint8, the
    input's shape) is drawn on the input grid instead of `image` (a stroke
    being drawn, while the network sees it normalised).
    """
    pixels = pixel_input(image.reshape(-1))
    activations = network.forward(pixels)
    weights = network.flat_weights.copy()
    biases = network.params[network.num_weights:].copy()
    edge_channels, neuron_channels = {}, {}
    inputs = np.zeros(network.layer_sizes[0], np.float32)
    if mode == "change" and reference is not None:
        change = network.params - reference
        edge_channels["change"] = change[:network.num_weights]
        neuron_channels["bias_change"] = np.concatenate([inputs, change[network.num_weights:]])
    elif mode == "gradient" and label is not None:
        deltas, gradients = network.backprop_one(pixels, label)
        edge_channels["gradient"] = np.concatenate([g.ravel() for g in gradients]).astype(np.float32)
        neuron_channels["delta"] = np.concatenate([inputs, *deltas]).astype(np.float32)
    if shown_pixels is not None:
        activations[0] = pixel_input(shown_pixels.reshape(-1))
    return FrameSnapshot(
        layer_sizes=tuple(network.layer_sizes),
        weights=weights,
        biases=biases,
        activations=np.concatenate(activations),
        input_image=image,
        true_class=label,
        predicted_class=int(activations[-1].argmax()) if answer else None,
        samples_seen=samples_seen,
        edge_channels=edge_channels,
        neuron_channels=neuron_channels,
    )


def style_for_mode(style: RenderStyle, frame: FrameSnapshot, mode: str) -> RenderStyle:
    """Point the style at the channels the mode put in the frame (plain weights when they are missing)."""
    style.line_channel, style.neuron_channel, style.ring_channel = "weights", None, "biases"
    if mode == "change" and "change" in frame.edge_channels:
        style.line_channel, style.ring_channel = "change", "bias_change"
    elif mode == "gradient" and "gradient" in frame.edge_channels:
        style.line_channel, style.neuron_channel = "gradient", "delta"
    return style


def follow_network(style: RenderStyle, network: Network) -> RenderStyle:
    """Colour ranges that fit each hidden layer's activation and the output layer."""
    style.hidden_range = network.activation.output_range
    ranges = tuple(activation.output_range for activation in network.activations)
    # One scale for all while the layers agree: an open end (ReLU) is then resolved over all of them.
    style.hidden_ranges = ranges if len(set(ranges)) > 1 else ()
    style.output_range = network.output.output_range
    return style
