"""What the app trains and shows, with no drawing in it.

A TrainingSession owns the trainer, the dataset (loaded in the background so
the window appears at once), the input on show, and the training pace. The
app core asks it for one FrameSnapshot each frame and forwards actions to it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from nnviz.app.confusion import AccuracyTracker, ConfusionTracker
from nnviz.app.files import timestamped
from nnviz.app.frames import LINE_MODES, MODE_TITLES, network_frame
from nnviz.app.timeline import Timeline
from nnviz.app.input_source import BlankInput, DrawnDigit, InputSource, TestSetInput
from nnviz.engine.frame import FrameSnapshot
from nnviz.errors import ConfigError, NnvizError
from nnviz.option_names import for_command_line
from nnviz.data.mixing import NOT_A_DIGIT, with_not_a_digit
from nnviz.model import surgery
from nnviz.model.config import TrainConfig, network_for
from nnviz.model.trainer import Trainer
from nnviz.model.history import DEFAULT_CAP_MB, RunHistory
from nnviz.model.network import Network
from nnviz.model.run_io import is_run_file, load_run
from nnviz.model.weights_io import LoadedWeights, load_weights, save_weights
from nnviz.safe_files import NextFree

#: Initialisation that suits each activation when switching activation live.
PREFERRED_INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he", "leaky_relu": "he"}
#: Batches per frame for "+"/"-"; None trains as many as the frame budget allows.
SPEED_LEVELS: tuple[int | None, ...] = (1, 2, 5, 10, 20, 50, 100, None)
MESSAGE_SECONDS = 4.0
#: A failed load's reason is cut to this many characters: it is one line of the HUD, whatever the file held.
MAX_LOAD_ERROR_CHARS = 160


@dataclass
class Message:
    text: str
    shown_at: float


#: What K can save: nnviz's own weight file, or the network for PyTorch (safetensors) or any ONNX runtime.
SAVE_FORMATS = (".npz", ".safetensors", ".onnx")

class TrainingSession:
    def __init__(self, config: TrainConfig, load_data: Callable[[Callable[[str, int, int], None]], object],
                 loaded: LoadedWeights | None = None, dataset_title: str = "MNIST",
                 input_shape: tuple[int, int] | None = None, history_bytes: int = DEFAULT_CAP_MB * 2**20,
                 clock: Callable[[], float] = time.monotonic,
                 load_not_a_digit: Callable[[], object] | None = None):
        self.trainer = Trainer(config)
        # The test accuracy at history points: a slice of the test set per frame (train_frame), not a whole
        # evaluation inside one frame's training.
        self.accuracy = AccuracyTracker(self.trainer)
        self._trained_last_frame = 0  # samples: the next frame's evaluation slice is sized by them
        if loaded is not None:
            self.trainer.load_parameters(loaded.flat_parameters())
        self.history_bytes = history_bytes
        self.history = RunHistory(history_bytes)
        self.timeline = Timeline(self.history)
        self.line_mode = LINE_MODES[0]
        self.run_file: Path | None = None  # the recorded run on show, if one was loaded
        self._viewer = network_for(config)  # holds a past snapshot's parameters
        self.dataset = None
        self.dataset_title = dataset_title
        self.input_shape = input_shape or _grid_shape(config.layers[0])
        self.input: InputSource = BlankInput(self.input_shape)
        self._input_before_drawing: InputSource | None = None
        self.paused = False
        self.max_speed = False
        self.speed_level = len(SPEED_LEVELS) - 1
        self._epoch_target: int | None = None
        self.last_saved: Path | None = None
        self.save_format = ".npz"  # what K writes: one of SAVE_FORMATS
        self.samples_since_save = 0  # trained since the last save or load: lost if the window closes now
        self.messages: deque[Message] = deque(maxlen=4)
        self._clock = clock
        self.confusion = ConfusionTracker(time.perf_counter)  # the test set's, for the network on show
        self._load_data = load_data
        self._loader: threading.Thread | None = None
        self._loaded_dataset = None
        self._load_error: str | None = None
        self.status = f"loading {dataset_title}…"
        self._extra_class: ExtraClassLoader | None = None  # "not a digit" pictures, while they load
        self._load_not_a_digit = load_not_a_digit  # None: no source of such pictures

    # ---------------------------------------------------------------- data
    def start_loading(self) -> None:
        self._loader = threading.Thread(target=self._load, name="nnviz-data", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        try:
            self._loaded_dataset = self._load_data(self._report_download)
        except NnvizError as error:
            self._load_error = str(error)
        except Exception as error:  # noqa: BLE001 - the window must stay up whatever the loader hit
            self._load_error = f"loading {self.dataset_title} failed: {error!r}"

    def _report_download(self, name: str, done: int, total: int) -> None:
        """Called from the loading thread; one string assignment, read by the HUD."""
        amount = f"{done / total:.0%} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        self.status = f"downloading {self.dataset_title}: {name}, {amount}"

    def poll_loading(self) -> None:
        """Attach the dataset once the background load has finished."""
        self._poll_extra_class()
        if self._loader is None or self._loader.is_alive():
            return
        self._loader = None
        if self._load_error is not None:
            self.status = f"training unavailable: {self._load_error}"
            self.say(self.status)
            return
        data = self._loaded_dataset
        try:
            self.trainer.set_data(data.train_images, data.train_labels, data.test_images, data.test_labels)
        except ConfigError as error:  # e.g. a batch larger than the training set: name the option the user gave
            error = for_command_line(error)
            self.status = f"training unavailable: {error}"
            self.say(self.status)
            return
        except NnvizError as error:
            self.status = f"training unavailable: {error}"
            self.say(self.status)
            return
        self.dataset = data
        test_set = TestSetInput(data.test_images, data.test_labels)
        if self.drawing is None:
            self.input = test_set
        else:  # drawing since before the data came: the test set is what drawing ends in
            self._input_before_drawing = test_set
        self.trainer.evaluate_test()
        if self.run_file is None:
            self._new_history()
        self.status = "ready"

    def wait_for_data(self, timeout: float | None = None) -> None:
        if self._loader is not None:
            self._loader.join(timeout)
        self.poll_loading()
        if self._extra_class is not None:
            self._extra_class.join(timeout)
            self._poll_extra_class()

    # ------------------------------------------------------ changing shape
    def apply_edit(self, result) -> None:
        """Take an edited network (nnviz.model.surgery): training goes on with it, a new run history starts."""
        self.trainer.apply_edit(result)  # NnvizError, and nothing changed, if it cannot take it
        self._viewer = network_for(result.config)
        self.confusion = ConfusionTracker(time.perf_counter)
        self._new_history()  # snapshots of the old shape (a loaded run's too) cannot be shown on the new one

    @property
    def can_add_not_a_digit(self) -> bool:
        names = self.dataset.class_names if self.dataset is not None else ()
        return (self.dataset is not None and self._load_not_a_digit is not None and self._extra_class is None and NOT_A_DIGIT not in names
                and self.trainer.config.layers[-1] == len(names))

    def add_not_a_digit(self, on_done: Callable[[object], None]) -> None:
        """Load Fashion-MNIST in the background, then add an output class for it (on_done gets the edit)."""
        if not self.can_add_not_a_digit:
            self.say('a "not a digit" class needs the digits loaded, and is added once')
            return
        digits, load_others, seed = self.dataset, self._load_not_a_digit, self.trainer.config.seed
        # Mixing makes 7,000 pictures digit-like (about a second): on the loading thread too, not in a frame.
        self._extra_class = ExtraClassLoader(lambda: with_not_a_digit(digits, load_others(), seed=seed), on_done)
        self.say('loading Fashion-MNIST for the "not a digit" class…')

    def _poll_extra_class(self) -> None:
        loader = self._extra_class
        if loader is None or loader.running:
            return
        self._extra_class = None
        if loader.error is not None:
            self.say(f'no "not a digit" class: {loader.error}')
            return
        data = loader.result
        trainer = self.trainer
        result = surgery.add_output_class(trainer.config, trainer.network.params, trainer.optimizer.state())
        try:
            self.apply_edit(result)
        except NnvizError as error:
            self.say(f'no "not a digit" class: {error}')
            return
        trainer.set_data(data.train_images, data.train_labels, data.test_images, data.test_labels)
        self.dataset = data
        self.input = TestSetInput(data.test_images, data.test_labels) if self.drawing is None else self.input
        if self.drawing is not None:
            self._input_before_drawing = TestSetInput(data.test_images, data.test_labels)
        trainer.evaluate_test()
        self._new_history()
        self.say(f'added class {len(data.class_names) - 1}, "{NOT_A_DIGIT}": {result.message}; '
                 f"Fashion-MNIST pictures are now part of the training")
        loader.on_done(result)

    @property
    def can_train(self) -> bool:
        return self.dataset is not None and self.trainer.diverged is None

    # ------------------------------------------------------------ messages
    def say(self, text: str) -> None:
        self.messages.append(Message(text, self._clock()))

    def current_messages(self) -> list[str]:
        now = self._clock()
        return [m.text for m in self.messages if now - m.shown_at < MESSAGE_SECONDS]

    # ------------------------------------------------------------ training
    @property
    def batches_per_frame(self) -> int | None:
        return None if self.max_speed else SPEED_LEVELS[self.speed_level]

    @property
    def finishing_epoch(self) -> bool:
        """Shift+N asked for the rest of the epoch; frames train it at full speed, paused or not."""
        return self._epoch_target is not None

    def train_frame(self, budget_seconds: float) -> int:
        """One frame's training: a time budget, capped by the speed level; none while looking back.

        First a slice of any pending test-set evaluation (AccuracyTracker), sized by the samples the
        frame before trained; its time comes out of the budget.
        """
        trained, self._trained_last_frame = self._trained_last_frame, 0
        start = time.perf_counter()
        if self.accuracy.work(trained):
            budget_seconds -= time.perf_counter() - start
        if not self.can_train or not self.timeline.live:
            self._epoch_target = None
            return 0
        if self.paused and not self.finishing_epoch:
            return 0
        self._leave_run_file()
        trainer = self.trainer
        samples_before = trainer.samples_seen
        if self.finishing_epoch:
            remaining = trainer.batches_per_epoch - trainer.batch_in_epoch
            done = trainer.train_for(max(budget_seconds, 0.0), max_batches=remaining)
            if trainer.epoch >= self._epoch_target:
                self._epoch_target = None
                self.accuracy.finish()  # the user asked for this epoch: its accuracy now, not over the next frames
                self.say(f"epoch {trainer.epoch} done: test accuracy {trainer.test_accuracy:.2%}")
        else:
            done = trainer.train_for(max(budget_seconds, 0.0), max_batches=self.batches_per_frame)
        self._trained_last_frame = self._count_trained(samples_before)
        self._report_divergence()
        return done

    def train_more(self, budget_seconds: float) -> int:
        """More of this frame's training, in time the frame would otherwise spend waiting for its pixels.

        Only while training runs at the frame rate's pace (smooth mode, speed "auto"): a set number of
        batches per frame, or the rest of an epoch, is train_frame's to give."""
        if (not self.can_train or not self.timeline.live or self.paused or self.max_speed
                or self.finishing_epoch or self.batches_per_frame is not None):
            return 0
        trainer = self.trainer
        before = trainer.samples_seen
        done = trainer.train_for(budget_seconds)
        self._trained_last_frame += self._count_trained(before)  # the next evaluation slice keeps pace
        self._report_divergence()
        return done

    def step_batch(self) -> int:
        if not self.can_train or not self.timeline.live:
            return 0
        self._leave_run_file()
        before = self.trainer.samples_seen
        done = self.trainer.train_batches(1)
        self._count_trained(before)
        self._report_divergence()
        return done

    def _count_trained(self, samples_before: int) -> int:
        """The samples trained since the trainer had seen `samples_before`; they are unsaved training."""
        trained = max(self.trainer.samples_seen - samples_before, 0)
        self.samples_since_save += trained
        return trained

    def step_epoch(self) -> None:
        """Train to the end of the current epoch over the next frames (the window stays responsive)."""
        if self.can_train and not self.finishing_epoch:
            self._epoch_target = self.trainer.epoch + 1
            self.say(f"training to the end of epoch {self._epoch_target}")

    def _report_divergence(self) -> None:
        if self.trainer.diverged and not self.status.startswith(self.trainer.diverged):
            self.status = f"{self.trainer.diverged}; press R to reset the network and go on"
            self.say(self.status)

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.say("paused" if self.paused else "training")

    def toggle_max_speed(self) -> None:
        self.max_speed = not self.max_speed
        self.say("max speed: fewer frames, more training" if self.max_speed else "smooth: frame rate first")

    def change_speed(self, steps: int) -> None:
        self.speed_level = min(max(self.speed_level + steps, 0), len(SPEED_LEVELS) - 1)
        level = SPEED_LEVELS[self.speed_level]
        self.say("speed: as fast as the frame rate allows" if level is None else f"speed: {level} batches per frame")

    def scale_learning_rate(self, factor: float) -> None:
        rate = min(max(self.trainer.config.learning_rate * factor, 1e-6), 100.0)
        self.trainer.set_learning_rate(float(f"{rate:.3g}"))
        self.say(f"learning rate {self.trainer.config.learning_rate:g}")

    def switch_activation(self, name: str) -> None:
        current = self.trainer.config
        if name == current.activation and not current.layer_activations:
            self.say(f"activation is already {name}")
            return
        self.trainer.set_activation(name)
        wanted_init = "normal" if current.init == "normal" else PREFERRED_INIT[name]
        if wanted_init != current.init:
            self.trainer.config = self.trainer.config.replace(init=wanted_init)
            self.reset(announce=False)
            self.say(f"activation {name}: network re-initialised ({wanted_init} init suits {name})")
        else:
            if self.dataset is not None:
                self.trainer.evaluate_test()  # the same weights score differently now
            self.say(f"activation {name}: weights kept")

    def reset(self, announce: bool = True) -> None:
        # A new seed each time: "reset" should show a different random start,
        # and the seed in the HUD's message still makes it reproducible.
        self.trainer.reset(seed=self.trainer.config.seed + 1)
        if self.dataset is not None:
            self.trainer.evaluate_test()
            self._new_history()
        self.status = "ready" if self.dataset is not None else self.status
        if announce:
            self.say(f"network reset to fresh random weights (seed {self.trainer.config.seed})")

    # -------------------------------------------------------- input on show
    def sample(self) -> tuple[np.ndarray, int | None]:
        """The image on show and its label (None when unknown)."""
        return self.input.current()

    @property
    def sample_index(self) -> int | None:
        return self.input.index if isinstance(self.input, TestSetInput) else None

    def class_name(self, label: int | None) -> str:
        if label is None:
            return "-"
        names = self.dataset.class_names if self.dataset is not None else ()
        return names[label] if label < len(names) else str(label)  # a network may have more outputs than names

    def next_sample(self) -> None:
        if isinstance(self.input, TestSetInput):
            self.input.next()

    def next_wrong_sample(self) -> None:
        """Jump to the next test image the network currently gets wrong."""
        if isinstance(self.input, TestSetInput) and not self.input.next_wrong(self.network_on_show().predict):
            self.say("the network gets every test image right")

    def frame(self, show_ink: bool = False) -> FrameSnapshot:
        """What to draw now: the network at the moment the timeline shows, and its answer for the input on show.

        show_ink: a digit being drawn shows on the grid as drawn (the network still sees it normalised).
        """
        image, label = self.sample()
        shown = self.input.ink() if show_ink and isinstance(self.input, DrawnDigit) else None
        history, position = self.history, self.timeline.position
        network = self.network_on_show()
        if position is None:
            samples, batches = self.trainer.samples_seen, self.trainer.batches_trained
            # The latest snapshot taken before now (the newest may be of this very batch).
            reference = (history[history.index_at(batches - 1)].params
                         if len(history) and history[0].batches < batches else None)
        else:
            samples = history[position].samples_seen
            reference = history[position - 1].params if position > 0 else None
        drawn = isinstance(self.input, DrawnDigit)
        return network_frame(network, image, label, answer=self.dataset is not None or position is not None or drawn,
                             samples_seen=samples, mode=self.line_mode, reference=reference, shown_pixels=shown)

    def network_on_show(self) -> Network:
        """The live network, or one holding the parameters of the snapshot the timeline shows."""
        position = self.timeline.position
        if position is None:
            return self.trainer.network
        history, viewer = self.history, self._viewer
        snapshot = history[position]
        viewer.params[...] = snapshot.params
        config = snapshot.state.config if snapshot.state is not None else history.config
        viewer.set_activations(config.activation, config.layer_activations)
        return viewer

    def shown_moment(self) -> tuple[bool, int]:
        """(live, batches trained) of the network on show."""
        position = self.timeline.position
        return (True, self.trainer.batches_trained) if position is None else (False, self.history[position].batches)

    # ------------------------------------------------------ test-set views
    def update_confusion(self) -> None:
        """Work a slice more on the test set's confusion matrix for the network on show (see ConfusionTracker)."""
        if self.dataset is None:
            return
        timeline = self.timeline
        changing = timeline.replaying or (timeline.live and self.can_train
                                          and (not self.paused or self.finishing_epoch))
        self.confusion.update(self.network_on_show(), self.dataset.test_images, self.dataset.test_labels,
                              self.shown_moment(), changing)

    def show_test_digit(self, true: int, predicted: int) -> bool:
        """Show the next test digit of class `true` that the network on show calls `predicted`."""
        if self.dataset is None:
            self.say("the test set is not loaded yet")
            return False
        if not isinstance(self.input, TestSetInput):
            self.say("drawing your own digit: I ends it, then click again")
            return False
        what = f"a {self.class_name(true)} predicted as {self.class_name(predicted)}"
        if not self.input.next_of(true, predicted, self.network_on_show().predict):
            self.say(f"no test digit is {what}")
            return False
        self.say(f"test digit {self.input.index}: {what} (click again for the next)")
        return True

    # ------------------------------------------------------------ drawing
    @property
    def drawing(self) -> DrawnDigit | None:
        return self.input if isinstance(self.input, DrawnDigit) else None

    def toggle_drawing(self) -> None:
        """Draw your own digit on the input grid (the test set comes back when drawing ends)."""
        if self.drawing is not None:
            self.input, self._input_before_drawing = self._input_before_drawing, None
            self.say("drawing ended: the test digits are back")
            return
        self._input_before_drawing = self.input
        self.input = DrawnDigit(self.input_shape)
        self.say("draw a digit on the input grid: left button paints, right erases, Backspace clears, I ends")

    def clear_drawing(self) -> None:
        if self.drawing is not None:
            self.drawing.clear()
            self.say("drawing cleared")

    def cycle_line_mode(self) -> None:
        self.line_mode = LINE_MODES[(LINE_MODES.index(self.line_mode) + 1) % len(LINE_MODES)]
        self.say(MODE_TITLES[self.line_mode])

    # -------------------------------------------------------- time travel
    def _new_history(self) -> None:
        """Record a new run from the trainer as it is now."""
        self.run_file = None
        self.history = RunHistory(self.history_bytes)
        try:
            self.history.attach(self.trainer)
        except ValueError as error:  # a cap too small for this network: train on, record nothing
            self.say(f"no run history: {error}")
        self.timeline.follow(self.history)

    def look_back(self, move: Callable[[], object]) -> None:
        """Move the timeline; looking at the past pauses training (End returns to live)."""
        move()
        if not self.timeline.live and not self.paused:
            self.paused = True
            self.say("paused while you look back: End returns to live, X resumes from here")

    def resume_here(self) -> None:
        """Continue training from the snapshot on show; what was recorded after it is dropped."""
        position = self.timeline.position
        if position is None:
            self.say("already live: step back (←) or drag the timeline to pick a moment")
            return
        if self.dataset is None:
            self.say("the data is not loaded yet")
            return
        snapshot = self.history[position]
        if snapshot.state is None:  # a run file holds parameters only
            self.trainer.load_parameters(snapshot.params)
            self._new_history()
            message = f"training from batch {snapshot.batches} of the loaded run, with a fresh optimizer: a new run"
        else:
            self.trainer.restore(self.history.state_at(position))
            dropped = self.history.truncate_after(position)
            self.timeline.to_live()
            message = f"resumed from batch {snapshot.batches}: {dropped} later snapshots dropped"
        self.trainer.evaluate_test()
        self.paused = False
        self.say(message)

    def _leave_run_file(self) -> None:
        """Training on after a loaded run starts a new run from its last weights (the file has no optimizer state)."""
        if self.run_file is not None:
            self._new_history()
            self.say("training on from the run's last weights, with a fresh optimizer: a new run")

    def show_run(self, history: RunHistory, path: Path) -> bool:
        """Replay a loaded run; it must be of this network's shape."""
        if not self._fits(history.config, path, "run"):
            return False
        self.trainer.set_activations(history.config.activation, history.config.layer_activations)
        self.trainer.load_parameters(history[len(history) - 1].params)
        self.history = history
        self.run_file = path
        self.timeline.follow(history)
        self.timeline.to_start()
        self.paused = True
        self.samples_since_save = 0
        self.say(f"loaded the run {path}: B plays it, ← → step, X trains on from the moment shown")
        return True

    def _fits(self, config: TrainConfig, path: Path, what: str) -> bool:
        """Whether a file's network has this one's layers and output layer; says why not."""
        network = self.trainer.network
        if list(config.layers) == network.layer_sizes and config.output == network.output.name:
            return True
        self.say(f"could not load {path}: it holds a {list(config.layers)} {config.output} {what}, "
                 f"this is a {network.layer_sizes} {network.output.name} network")
        return False

    # ------------------------------------------------------------- weights
    def save(self, directory: Path) -> Path | None:
        # The timestamp's name, or the next free one if another window saved in the same second.
        path = NextFree(timestamped(directory, "nnviz-weights", self.save_format))
        try:
            names = {} if self.dataset is None else {"class_names": list(self.dataset.class_names)}
            path = save_weights(path, self.trainer.network, self.trainer.config,
                                samples_seen=self.trainer.samples_seen, **names)
        except NnvizError as error:
            self.say(f"could not save: {error}")
            return None
        self.last_saved = path
        self.samples_since_save = 0
        self.say(f"saved weights to {path}")
        return path

    def load(self, path: Path) -> bool:
        """Load weights, or a recorded run to replay (nnviz train --history: the timeline replays it).

        Whatever the file is or holds, a failure is said in one line and changes nothing: the network,
        the optimiser and the run's history stay as they were, and training goes on."""
        path = Path(path)
        try:
            content = _read_weights_or_run(path)
        except Exception as error:  # noqa: BLE001 - no file may end the window, whatever its loader raised
            self.say(f"could not load: {_one_line(path, error)}")
            return False
        if isinstance(content, RunHistory):
            return self.show_run(content, path)
        loaded, params = content
        if not self._fits(loaded.config, path, "network"):
            return False
        self.trainer.set_activations(loaded.config.activation, loaded.config.layer_activations)
        self.trainer.load_parameters(params)
        self.samples_since_save = 0
        if self.dataset is not None:
            self.trainer.evaluate_test()
            self._new_history()
        self.status = "ready" if self.dataset is not None else self.status
        self.say(f"loaded {path}")
        return True

    @property
    def test_accuracy(self) -> float:
        return self.trainer.test_accuracy if self.dataset is not None else math.nan



class ExtraClassLoader:
    """Loads the pictures of an extra class on a thread of its own; the session polls it each frame."""

    def __init__(self, load: Callable[[], object], on_done: Callable[[object], None]):
        self.on_done = on_done
        self.result = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, args=(load,), name="nnviz-extra-class", daemon=True)
        self._thread.start()

    def _run(self, load) -> None:
        try:
            self.result = load()
        except NnvizError as error:
            self.error = str(error)
        except Exception as error:  # noqa: BLE001 - the window must stay up whatever the loader hit
            self.error = repr(error)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None) -> None:
        self._thread.join(timeout)


def _read_weights_or_run(path: Path) -> RunHistory | tuple[LoadedWeights, np.ndarray]:
    """A run file's history, or a weight file's contents and flat parameters: all read before anything changes."""
    if is_run_file(path):
        return load_run(path)
    loaded = load_weights(path)
    return loaded, loaded.flat_parameters()


def _one_line(path: Path, error: Exception) -> str:
    """What went wrong, as one line of at most MAX_LOAD_ERROR_CHARS: an NnvizError names the file itself."""
    if isinstance(error, NnvizError):
        text = str(error)
    else:  # an error the loader did not foresee: its kind says most (MemoryError's text is often empty)
        text = f"{path}: {type(error).__name__}" + (f": {error}" if str(error) else "")
    text = " ".join(text.split())
    return text if len(text) <= MAX_LOAD_ERROR_CHARS else text[:MAX_LOAD_ERROR_CHARS - 1] + "…"


def _grid_shape(pixels: int) -> tuple[int, int]:
    """A square grid when the input size is a square number, else one row."""
    side = math.isqrt(pixels)
    return (side, side) if side * side == pixels else (1, pixels)
