"""The HUD's words and numbers, from the session's state: plain functions, no drawing."""

from __future__ import annotations

import numpy as np

from nnviz.app.session import TrainingSession
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.rules import visible_lines


def stats_lines(session: TrainingSession, fps: float, samples_per_second: float, colormap: str,
                threshold: float) -> list[str]:
    trainer = session.trainer
    config = trainer.config
    if not session.can_train:
        running = "not training"
    else:
        running = "PAUSED" if session.paused else ("max speed" if session.max_speed else "training")
    speed = session.batches_per_frame
    lines = [
        f"nnviz  {'-'.join(map(str, trainer.network.layer_sizes))}  {session.dataset_title}",
        f"{running:<12} {fps:5.1f} fps   speed {'auto' if speed is None else f'{speed} b/f'}",
        f"epoch {trainer.epoch + 1}  batch {trainer.batch_in_epoch}/{trainer.batches_per_epoch}",
        f"samples/s  {samples_per_second:,.0f}",
        f"loss       {trainer.running_loss:.4f}",
        f"train acc  {trainer.running_accuracy:.2%}",
        f"test acc   {session.test_accuracy:.2%}",
        f"lr {config.learning_rate:g}  batch {config.batch_size}  {config.optimizer}",
        f"activation {config.activation}  out {config.output}",
        f"weights: {colormap}, " + (f"|w| < {threshold:.3g} hidden" if threshold else "all shown"),
        "H: help",
    ]
    if session.status != "ready":
        lines.insert(1, session.status)
    return lines


def weights_shown(frame: FrameSnapshot, neuron: int, threshold: float) -> int:
    """Lines into and out of a neuron that the renderer draws at this threshold (the renderer's own rule)."""
    connectivity = frame.connectivity
    lines = np.concatenate([connectivity.incoming(neuron), connectivity.outgoing(neuron)])
    return len(visible_lines(frame.weights[lines], threshold))


def selection_lines(frame: FrameSnapshot, neuron: int, threshold: float) -> list[str]:
    connectivity = frame.connectivity
    layer = connectivity.layer_of(neuron)
    index = neuron - int(connectivity.layer_offsets[layer])
    last = len(frame.layer_sizes) - 1
    name = "input" if layer == 0 else ("output" if layer == last else f"hidden {layer}")
    lines = [f"selected   {name} · neuron {index}"]
    if layer > 0:
        lines.append(f"bias       {float(frame.layer_biases(layer)[index]):+.4f}")
    lines.append(f"activation {float(frame.layer_activations(layer)[index]):+.4f}")
    lines.append(f"weights shown {weights_shown(frame, neuron, threshold)}")
    if layer == 1:
        lines.append(f"input grid shows its {frame.layer_sizes[0]} weights")
    return lines
