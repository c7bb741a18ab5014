"""Changing the network while it learns: hyper-parameters, per-layer activations and the architecture.

The control panel and the keys call a NetworkEditor; it changes the session's
trainer (nnviz/model/surgery.py does the arithmetic of an edit), says what
happened, and tells the app core when the network changed shape so the scene
can be rebuilt around the neurons that survived.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnviz.app.session import TrainingSession
from nnviz.engine.rules import MAX_LAYERS
from nnviz.errors import ConfigError, NnvizError
from nnviz.model import surgery
from nnviz.model.config import format_layers
from nnviz.option_names import for_command_line

#: What the app core is told after a change of shape: the edit's result (new sizes, neuron map).
ReshapeListener = Callable[["surgery.EditResult"], None]


class NetworkEditor:
    def __init__(self, session: TrainingSession, *, perform: Callable[[str], None],
                 selected: Callable[[], tuple[int, int] | None], on_reshape: ReshapeListener):
        self.session = session
        self.perform = perform  # the app core's actions (pause, step, reset behave as their keys do)
        self._selected = selected  # (layer, index) of the selected neuron, if any
        self._on_reshape = on_reshape
        self.last_edit_batches: int | None = None  # batches trained when the last change of shape took effect

    # ------------------------------------------------------- what is shown
    @property
    def config(self):
        return self.session.trainer.config

    @property
    def paused(self) -> bool:
        return self.session.paused

    @property
    def speed_level(self) -> int:
        return self.session.speed_level

    @property
    def max_speed(self) -> bool:
        return self.session.max_speed

    @property
    def input_description(self) -> str:
        rows, cols = self.session.input_shape
        return f"{rows}x{cols} pixels"

    @property
    def can_add_not_a_digit(self) -> bool:
        return self.session.can_add_not_a_digit

    # ------------------------------------------------------------ training
    def toggle_pause(self) -> None:
        self.perform("toggle_pause")

    def step_batch(self) -> None:
        self.perform("step_batch")

    def reset(self) -> None:
        self.perform("reset")

    @property
    def save_format(self) -> str:
        return self.session.save_format

    def set_save_format(self, suffix: str) -> None:
        """What K writes from now on (session.SAVE_FORMATS)."""
        self.session.save_format = suffix
        self.session.say(f"K now saves the weights as {suffix}")

    def set_speed_level(self, level: int) -> None:
        self.session.change_speed(level - self.session.speed_level)

    def set_max_speed(self, on: bool) -> None:
        if on != self.session.max_speed:
            self.session.toggle_max_speed()

    # ----------------------------------------------------- hyper-parameters
    def set_hyperparameter(self, field: str, value) -> None:
        """learning_rate, momentum, batch_size or weight_decay, live; a bad value is refused with a message."""
        trainer = self.session.trainer
        setter = {"learning_rate": trainer.set_learning_rate, "momentum": trainer.set_momentum,
                  "batch_size": trainer.set_batch_size, "weight_decay": trainer.set_weight_decay}[field]
        if field == "batch_size":
            value = int(value)
        else:  # three significant figures: a slider's raw float reads badly in messages and files
            value = float(f"{float(value):.3g}")
        if getattr(trainer.config, field) == value:
            return
        try:
            setter(value)
        except ConfigError as error:
            self.session.say(f"not changed: {for_command_line(error)}")
            return
        self.session.say(f"{field.replace('_', ' ')} {value:g}")

    def set_optimizer(self, name: str) -> None:
        if name == self.config.optimizer:
            return
        message = self.session.trainer.set_optimizer(name)
        self.session.say(message)

    def set_layer_activation(self, hidden_layer: int, name: str) -> None:
        trainer = self.session.trainer
        if trainer.config.hidden_activations()[hidden_layer - 1] == name:
            return
        trainer.set_layer_activation(hidden_layer, name)
        accuracy = self._test_accuracy()
        self.session.say(f"hidden layer {hidden_layer}: {name}, weights kept"
                         + ("" if accuracy is None else f" (test accuracy now {accuracy:.2%})"))
        self._on_reshape(None)

    # -------------------------------------------------------- architecture
    def add_neurons(self, hidden_layer: int, count: int = 1) -> None:
        self._edit(surgery.add_neurons, hidden_layer, count)

    def add_neuron_to_selection(self) -> None:
        """J: a neuron more in the selected neuron's hidden layer (the first hidden layer when none is)."""
        selected = self._selected()
        layers = len(self.config.layers)
        if layers < 3:
            self.session.say("the network has no hidden layer: insert one first")
            return
        layer = selected[0] if selected is not None and 0 < selected[0] < layers - 1 else 1
        self.add_neurons(layer, 1)

    def remove_neuron(self, hidden_layer: int | None = None) -> None:
        """Remove the selected neuron (of `hidden_layer`, when given), else that layer's least used one."""
        selected = self._selected()
        if hidden_layer is None:
            if selected is None or not 0 < selected[0] < len(self.config.layers) - 1:
                self.session.say("select a hidden neuron first (click it), then Shift+J removes it")
                return
            hidden_layer = selected[0]
        if selected is not None and selected[0] == hidden_layer:
            index = selected[1]
        else:
            weights = self.session.trainer.network.weights[hidden_layer]  # its outgoing weights
            index = int(np.argmin(np.linalg.norm(weights, axis=1)))
        before = self._test_accuracy()
        if self._edit(surgery.remove_neurons, hidden_layer, [index]) and before is not None:
            self.session.say(f"removed neuron {index} of hidden layer {hidden_layer}: "
                             f"test accuracy {before:.2%} -> {self._accuracy_after_edit():.2%}")

    def insert_layer(self, position: int, size: int | None = None) -> None:
        layers = self.config.layers
        # As wide as the hidden layer before it (after the input: as the layer it feeds), so it can pass
        # on what it is given unchanged.
        size = size or (layers[position - 1] if position > 1 else layers[1])
        self._edit(surgery.insert_layer, position, int(size))

    def remove_layer(self, hidden_layer: int) -> None:
        before = self._test_accuracy()
        if self._edit(surgery.remove_layer, hidden_layer) and before is not None:
            self.session.say(f"removed hidden layer {hidden_layer}: "
                             f"test accuracy {before:.2%} -> {self._accuracy_after_edit():.2%}")

    def add_not_a_digit(self) -> None:
        self.session.add_not_a_digit(self._on_reshape)

    def _edit(self, edit, *arguments) -> bool:
        session, trainer = self.session, self.session.trainer
        if not session.timeline.live:
            session.timeline.to_live()  # an edit changes the live network: show it
        try:
            result = edit(trainer.config, trainer.network.params, trainer.optimizer.state(), *arguments,
                          **({"rng": trainer.rng} if edit in _RANDOM_EDITS else {}))
            if len(result.config.layers) > MAX_LAYERS:
                raise NnvizError(f"at most {MAX_LAYERS} layers can be drawn")
            session.apply_edit(result)
        except (ConfigError, NnvizError, ValueError) as error:
            message = for_command_line(error) if isinstance(error, ConfigError) else str(error)
            session.say(f"not changed: {message.removeprefix('not changed: ')}")
            return False
        self.last_edit_batches = trainer.batches_trained
        session.say(f"{result.message}; now {format_layers(result.config.layers)}")
        self._on_reshape(result)
        return True

    def _accuracy_after_edit(self) -> float:
        return self.session.trainer.test_accuracy  # session.apply_edit has just measured it

    def _test_accuracy(self) -> float | None:
        session = self.session
        if session.dataset is None:
            return None
        return session.trainer.evaluate_test()


_RANDOM_EDITS = (surgery.add_neurons, surgery.insert_layer)
