"""The HUD's words and numbers, from the session's state: plain functions, no drawing."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from nnviz.app.hud_state import TimelineState
from nnviz.app.session import TrainingSession
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.rules import visible_lines
from nnviz.model.config import TrainConfig, describe_activations


@dataclass(frozen=True)
class Moment:
    """The training figures of the moment on show: live, or a snapshot of the run."""

    where: str
    loss: float
    train_accuracy: float
    test_accuracy: float
    config: TrainConfig


def moment(session: TrainingSession) -> Moment:
    trainer, timeline, history = session.trainer, session.timeline, session.history
    if timeline.live:
        return Moment(f"epoch {trainer.epoch + 1}  batch {trainer.batch_in_epoch}/{trainer.batches_per_epoch}",
                      trainer.running_loss, trainer.running_accuracy, session.test_accuracy, trainer.config)
    snapshot = history[timeline.position]
    where = f"at batch {snapshot.batches:,}"
    state = snapshot.state
    if state is not None:
        return Moment(f"{where} (epoch {state.epoch + 1})", state.running_loss, state.running_accuracy,
                      state.test_accuracy, state.config)
    # A run file keeps the loss points, not the trainer's running figures: the last point at or before
    # (found by bisection: this runs every frame).
    points = history.points
    before = bisect.bisect_right(points, snapshot.samples_seen, key=lambda p: p.samples_seen)
    point = points[before - 1] if before else None
    nan = math.nan
    return Moment(where, point.loss if point else nan, point.train_accuracy if point else nan,
                  point.test_accuracy if point else nan, history.config)


def stats_lines(session: TrainingSession, fps: float, samples_per_second: float, colormap: str,
                threshold: float, key_hints: bool = True, compact: bool = False, quality: str = "") -> list[str]:
    """The stats panel; compact (a small window): the title, state, moment, loss and test accuracy only."""
    trainer, timeline = session.trainer, session.timeline
    now = moment(session)
    config = now.config
    if not timeline.live:
        running = "REPLAY" if timeline.replaying else "LOOKING BACK"
    elif not session.can_train:
        running = "not training"
    else:
        running = "PAUSED" if session.paused else ("max speed" if session.max_speed else "training")
    speed = session.batches_per_frame
    lines = [
        f"nnviz  {'-'.join(map(str, trainer.network.layer_sizes))}  {session.dataset_title}",
        f"{running:<12} {fps:5.1f} fps   speed {'auto' if speed is None else f'{speed} b/f'}",
        now.where,
        f"samples/s  {samples_per_second:<9,.0f} {quality}".rstrip(),  # the quality profile: what frames cost
        f"loss       {_figure(now.loss, '.4f')}",
        f"train acc  {_figure(now.train_accuracy, '.2%')}",
        f"test acc   {_figure(now.test_accuracy, '.2%')}",
        f"lr {config.learning_rate:g}  batch {config.batch_size}  {config.optimizer}",
        f"activation {describe_activations(config)}  out {config.output}",
        f"weights: {colormap}, " + (f"|w| < {threshold:.3g} hidden" if threshold else "all shown"),
    ]
    if compact:  # no samples/s line: the profile goes beside the test accuracy
        lines = lines[:3] + [lines[4], f"{lines[6]}  {quality}".rstrip()]
    if key_hints:
        lines.append("H: help")
    if session.status != "ready":
        lines.insert(1, session.status)
    return lines


def _figure(value: float, spec: str) -> str:
    """A number, or a dash where there is none yet (before the first measurement)."""
    return "-" if math.isnan(value) else format(value, spec)


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


def timeline_state(session: TrainingSession, end: int, key_hints: bool = True) -> TimelineState:
    """The run's loss and test accuracy over samples seen, the moment on show, and a caption that says where."""
    timeline, history = session.timeline, session.history
    points = history.points
    shown = timeline.shown_samples(session.trainer.samples_seen)
    # The newest measured accuracy: found from the end, not by a list of all of them every frame.
    latest = next((p.test_accuracy for p in reversed(points) if p.test_accuracy == p.test_accuracy), None)
    figures = (f"loss {points[-1].loss:.3f} (orange)   test accuracy {latest:.1%} (green)"
               if points and latest is not None else "loss and test accuracy appear here as training goes")
    if timeline.live:
        where = "live" if len(history) else ""
    else:
        snapshot = history[timeline.position]
        state = "replaying" if timeline.replaying else "looking back"
        where = f"{state}: batch {snapshot.batches:,}, snapshot {timeline.position + 1} of {len(history)}"
        if key_hints:
            where += "   ← → step, B play, X train on from here, End live"
    last = points[-1] if points else None
    last_measured = last is not None and last.test_accuracy == last.test_accuracy  # comes a few frames late
    curve_key = (id(history), len(points), last and last.samples_seen, last_measured,
                 len(history), history[-1].batches if len(history) else None)

    def make_curves():
        # Snapshots of a live run carry the running loss: a curve from the first batch on, where the
        # evaluated points come every 10,000 samples. A run file has the points only.
        running = [(s.samples_seen, s.state.running_loss) for s in history if s.state is not None]
        loss = running if len(running) >= 2 else [(p.samples_seen, p.loss) for p in points]
        return loss, [(p.samples_seen, p.test_accuracy) for p in points]

    return TimelineState(end=end, shown=shown, live=timeline.live, caption=f"{figures}   {where}".rstrip(),
                         curve_key=curve_key, make_curves=make_curves)


def probabilities(outputs: np.ndarray) -> np.ndarray:
    """The output layer as probabilities: softmax's already are; sigmoid outputs are scaled to sum to 1."""
    outputs = np.clip(np.asarray(outputs, dtype=np.float64), 0.0, None)
    total = outputs.sum()
    return outputs / total if total > 0 else np.full(len(outputs), 1.0 / len(outputs))


def top_classes(frame: FrameSnapshot, class_name, count: int = 3) -> str:
    """ "7 91%  1 4%  9 2%": the likeliest classes for the input on show."""
    chances = probabilities(frame.layer_activations(len(frame.layer_sizes) - 1))
    best = np.argsort(chances)[::-1][:count]
    return "  ".join(f"{class_name(int(i))} {chances[i]:.0%}" for i in best)
