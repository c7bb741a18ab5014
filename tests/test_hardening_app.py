"""The window app against bad files, unsaved training and long runs (through the app core on EGL).

Every bad file is made here. Whatever loading it raises, the session must say so in one line, keep its
network, optimiser and history exactly as they were, and train on. L loads only what this session saved or
was started with (never the newest file of a folder); quitting asks once while training is unsaved; the
run's loss/accuracy points stay within MAX_HISTORY_POINTS however long it trains.
"""

from __future__ import annotations

import io
import math
import os
import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from core_fixtures import Clock, click, frames as _frames, loaded_session, make_core  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.app import hud_text
from nnviz.app import session as session_module
from nnviz.app.core import QUIT_CONFIRM_SECONDS, AppCore
from nnviz.app.session import MAX_LOAD_ERROR_CHARS, TrainingSession
from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig, network_for
from nnviz.model.history import RunHistory
from nnviz.model.run_io import load_run, save_run
from nnviz.model.trainer import MAX_HISTORY_POINTS, HistoryPoint, thin_points
from nnviz.model.weights_io import load_weights, save_weights

pytestmark = pytest.mark.gl
WIDE = (1280, 720)  # the control panel shows from the start


def _trained(core: AppCore, batches: int = 5) -> AppCore:
    """Some training since the start: the network, Adam's moments and the history have moved."""
    for _ in range(batches):
        core.session.step_batch()
    return core


def _everything(session: TrainingSession) -> dict:
    """What a failed load must leave exactly as it was."""
    trainer = session.trainer
    return {
        "params": trainer.network.params.copy(),
        "optimizer": {k: np.array(v, copy=True) for k, v in trainer.optimizer.state().items()},
        "counters": (trainer.samples_seen, trainer.batches_trained, trainer.epoch, trainer.position),
        "points": list(trainer.history),
        "config": trainer.config,
        "history": session.history,
        "snapshots": [s.batches for s in session.history],
        "shown": (session.run_file, session.timeline.position, session.paused),
        "unsaved": session.samples_since_save,
    }


def _assert_unchanged(before: dict, after: dict) -> None:
    np.testing.assert_array_equal(before["params"], after["params"])
    assert before["optimizer"].keys() == after["optimizer"].keys()
    for name, value in before["optimizer"].items():
        np.testing.assert_array_equal(value, after["optimizer"][name])
    assert all(a is b for a, b in zip(before["points"], after["points"], strict=True))
    assert before["history"] is after["history"]
    for key in ("counters", "config", "snapshots", "shown", "unsaved"):
        assert before[key] == after[key], key


# ------------------------------------------------------------------ bad files, made here
def _npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def _good_weights(directory: Path, config: TrainConfig) -> Path:
    directory.mkdir(exist_ok=True)
    return save_weights(directory / "good.npz", network_for(config), config)


def dangling_symlink(path: Path, config) -> Path:
    path.symlink_to(path.with_name("gone.npz"))
    return path


def member_not_an_array(path: Path, config) -> Path:
    return _zip(path, {"config.npy": b"hello, I am not an array", "W0.npy": b"\x93NUMPY not really"})


def encrypted_entry(path: Path, config) -> Path:
    """A real weight file with every entry flagged as encrypted (zipfile cannot write encrypted ones)."""
    raw = bytearray(_good_weights(path.parent / "base", config).read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = raw.find(signature)
        while start >= 0:
            raw[start + flag_offset] |= 1
            start = raw.find(signature, start + 4)
    path.write_bytes(bytes(raw))
    return path


def header_claiming_terabytes(path: Path, config) -> Path:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (2**46,)})
    return _zip(path, {"config.npy": _npy(np.array("{}")), "W0.npy": header.getvalue() + bytes(64)})


def deeply_nested_config(path: Path, config) -> Path:
    return _zip(path, {"config.npy": _npy(np.array("[" * 100_000 + "]" * 100_000))})


def a_picture(path: Path, config) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    return path


def a_single_npy_array(path: Path, config) -> Path:
    path.write_bytes(_npy(np.zeros(10, np.float32)))
    return path


def a_directory(path: Path, config) -> Path:
    path.mkdir()
    return path


def a_fifo(path: Path, config) -> Path:
    os.mkfifo(path)  # opened for reading, it would wait for a writer for ever
    return path


def another_network(path: Path, config) -> Path:
    other = config.replace(layers=(784, 8, 10))
    return save_weights(path, network_for(other), other)


def deleted_after_choosing(path: Path, config) -> Path:
    return path  # never there


BAD_FILES = [dangling_symlink, member_not_an_array, encrypted_entry, header_claiming_terabytes, deeply_nested_config,
             a_picture, a_single_npy_array, a_directory, a_fifo, another_network, deleted_after_choosing]


def _assert_one_line_failure(session: TrainingSession, path: Path) -> str:
    message = session.current_messages()[-1]
    assert message.startswith("could not load") and str(path) in message
    assert "\n" not in message and len(message) <= len("could not load: ") + MAX_LOAD_ERROR_CHARS
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize("make_bad", BAD_FILES, ids=lambda f: f.__name__)
def test_l_survives_any_bad_file_says_so_in_one_line_and_training_goes_on(make_core, tmp_path, make_bad):
    bad = make_bad(tmp_path / "bad.npz", TrainConfig())
    core = _trained(make_core(load_path=bad))
    before = _everything(core.session)
    done = threading.Event()

    def press_l():
        core.key_press("L")
        done.set()

    presser = threading.Thread(target=press_l, daemon=True)  # a FIFO must not block the window: time it out
    presser.start()
    presser.join(10)
    if not done.is_set() and bad.is_fifo():
        os.close(os.open(bad, os.O_WRONLY | os.O_NONBLOCK))  # let the reader go before failing
    assert done.is_set(), "loading blocked the window"
    _assert_one_line_failure(core.session, bad)
    _assert_unchanged(before, _everything(core.session))
    core.session.toggle_pause()  # training goes on
    samples = core.session.trainer.samples_seen
    core.tick()
    assert core.session.trainer.samples_seen > samples


@pytest.mark.parametrize("error", [
    MemoryError(), RecursionError("maximum recursion depth exceeded"), zipfile.BadZipFile("Bad magic number"),
    zipfile.LargeZipFile("Zipfile size would require ZIP64 extensions"), RuntimeError("File is encrypted"),
    OSError(5, "Input/output error"), ValueError("cannot reshape array\nof size 3"), KeyError("W0"), zlib.error("bad data"),
    EOFError(), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), OverflowError("too big"),
    NnvizError("'W0' has shape (3,)\nand a second line " + "x" * 500),
], ids=lambda e: type(e).__name__)
def test_whatever_the_loader_raises_is_reported_and_changes_nothing(tmp_path, monkeypatch, error):
    session = loaded_session()
    session.trainer.train_batches(3)
    path = session.save(tmp_path)
    session.trainer.train_batches(3)
    before = _everything(session)

    def broken(chosen):
        raise NnvizError(f"{chosen}: {error}") if isinstance(error, NnvizError) else error  # names its file

    monkeypatch.setattr(session_module, "load_weights", broken)
    assert session.load(path) is False
    message = _assert_one_line_failure(session, path)
    assert type(error).__name__ in message or isinstance(error, NnvizError)
    _assert_unchanged(before, _everything(session))


def test_a_file_deleted_between_choosing_and_reading_is_reported(tmp_path, monkeypatch):
    session = loaded_session()
    path = session.save(tmp_path)
    session.trainer.train_batches(2)
    before = _everything(session)
    real = session_module.load_weights

    def deleted_first(chosen):
        Path(chosen).unlink()  # gone after the checks that it is a file, before it is read
        return real(chosen)

    monkeypatch.setattr(session_module, "load_weights", deleted_first)
    assert not session.load(path)
    _assert_one_line_failure(session, path)
    _assert_unchanged(before, _everything(session))


def test_a_bad_run_file_changes_nothing_either(tmp_path):
    session = loaded_session()
    session.trainer.train_batches(30)
    run = save_run(tmp_path / "run.npz", session.history)
    raw = run.read_bytes()
    directory = raw.find(b"PK\x01\x02")  # the zip's directory still names params.npy: it looks like a run
    run.write_bytes(raw[:directory // 2] + raw[directory:])  # the members' data cut in half
    before = _everything(session)
    assert not session.load(run)
    _assert_one_line_failure(session, run)
    _assert_unchanged(before, _everything(session))


# ------------------------------------------------------------------ what L loads
def _plant_newer_weights(directory: Path, config: TrainConfig) -> Path:
    """Someone else's weights, the newest file in the save folder."""
    network = network_for(config)
    network.params[...] = 0.123
    path = save_weights(directory / "nnviz-weights-99999999-999999.npz", network, config)
    os.utime(path, (2**31, 2**31))  # newer than anything
    return path


def test_l_loads_the_sessions_own_save_before_the_load_option_or_the_newest_file(make_core, tmp_path):
    core = _trained(make_core(load_path=_good_weights(tmp_path / "given", TrainConfig())))
    core.key_press("K")
    own = core.session.trainer.network.params.copy()
    _plant_newer_weights(tmp_path, core.session.trainer.config)
    core.session.trainer.train_batches(5)
    core.key_press("L")
    np.testing.assert_array_equal(core.session.trainer.network.params, own)


def test_l_loads_the_load_option_not_the_newest_file_in_the_folder(make_core, tmp_path):
    config = TrainConfig()
    given = _good_weights(tmp_path / "given", config)
    expected = load_weights(given).flat_parameters()
    _plant_newer_weights(tmp_path, config)
    core = _trained(make_core(load_path=given))
    core.key_press("L")
    np.testing.assert_array_equal(core.session.trainer.network.params, expected)
    assert core.session.current_messages()[-1] == f"loaded {given}"


def test_l_with_nothing_to_load_opens_the_panel_and_asks_for_a_path(make_core, tmp_path):
    core = _trained(make_core(size=(960, 600)))  # narrow: the panel starts hidden
    planted = _plant_newer_weights(tmp_path, core.session.trainer.config)
    before = core.session.trainer.network.params.copy()
    core.key_press("L")
    np.testing.assert_array_equal(core.session.trainer.network.params, before)  # the planted file is not loaded
    assert core.panel.visible
    message = core.session.current_messages()[-1]
    assert "Load weights" in message and "K" in message and "--load" in message
    _frames(core, 3)  # ImGui moves the focus in one frame, activates the field in the next, tells in the third
    assert core.panel.typing  # the field has the keyboard: type the path
    core.text_input(str(planted))
    core.key_press("RETURN")
    _frames(core, 1)
    core.key_release("RETURN")
    _frames(core, 2)
    assert np.all(core.session.trainer.network.params == np.float32(0.123))  # the file the user typed
    assert not core.panel.typing  # Enter let go of the keyboard


def test_the_panels_load_button_loads_the_typed_path_and_reports_a_bad_one(make_core, tmp_path):
    core = _trained(make_core(size=WIDE))
    good = _plant_newer_weights(tmp_path, core.session.trainer.config)
    before = _everything(core.session)
    missing = tmp_path / "missing.npz"
    for typed, said in (("  ", "type the path"), (str(missing), f"could not load: {missing}: no such file")):
        _press_load(core, typed)
        assert core.session.current_messages()[-1].startswith(said)
        _assert_unchanged(before, _everything(core.session))
    _press_load(core, str(good))
    assert core.session.current_messages()[-1] == f"loaded {good}"
    assert np.all(core.session.trainer.network.params == np.float32(0.123))


def _press_load(core: AppCore, typed: str) -> None:
    """The Load weights field holding `typed`, and a click on its Load button (press and release, a frame each)."""
    core.panel.load_path = typed
    _frames(core, 1)
    x0, y0, x1, y1 = core.panel.widget_rects["load"]
    x, y = (x0 + x1) / 2, (y0 + y1) / 2
    core.mouse_motion(x, y, 0, 0)
    core.mouse_press(x, y, "left")
    _frames(core, 1)
    core.mouse_release(x, y, "left")
    _frames(core, 1)


def test_without_a_panel_l_says_there_is_nothing_to_load(make_core, tmp_path):
    core = make_core(control_panel=False)
    _plant_newer_weights(tmp_path, core.session.trainer.config)
    before = core.session.trainer.network.params.copy()
    core.key_press("L")
    np.testing.assert_array_equal(core.session.trainer.network.params, before)
    assert "nothing to load" in core.session.current_messages()[-1]


# ------------------------------------------------------------------ quitting with unsaved training
def test_esc_with_unsaved_training_asks_once_then_quits(make_core):
    clock = Clock()
    core = make_core(clock=clock)
    core.session.toggle_pause()
    core.tick()  # trains
    assert core.session.samples_since_save > 0
    core.key_press("ESCAPE")
    assert not core.host.closed
    message = core.session.current_messages()[-1]
    assert "training not saved" in message and "K saves" in message and "Esc again quits" in message
    clock.now += QUIT_CONFIRM_SECONDS / 2
    core.key_press("ESCAPE")
    assert core.host.closed


def test_a_second_esc_long_after_the_first_asks_again(make_core):
    clock = Clock()
    core = make_core(clock=clock)
    core.session.step_batch()
    core.key_press("ESCAPE")
    clock.now += QUIT_CONFIRM_SECONDS + 1
    core.key_press("ESCAPE")
    assert not core.host.closed
    core.key_press("ESCAPE")
    assert core.host.closed


@pytest.mark.parametrize("then", ["save", "load"])
def test_after_a_save_or_a_load_esc_quits_at_once(make_core, then):
    core = make_core()
    core.session.step_batch()
    core.key_press("K")
    if then == "load":
        core.session.step_batch()
        core.key_press("L")  # the session's own save
    assert core.session.samples_since_save == 0
    core.key_press("ESCAPE")
    assert core.host.closed


def test_the_close_button_asks_the_same_question(make_core):
    """What the window's on_close asks (nnviz/app/window.py): may_quit, refused once, then granted."""
    core = make_core()
    core.session.step_batch()
    assert not core.may_quit()
    assert "training not saved" in core.session.current_messages()[-1]
    assert core.may_quit()


def test_every_way_of_training_counts_as_unsaved():
    session = loaded_session()
    session.step_batch()
    one = session.samples_since_save
    assert one == session.trainer.config.batch_size
    session.train_frame(0.01)
    assert session.samples_since_save == session.trainer.samples_seen  # nothing reset it: all of it is unsaved
    session.reset()  # a reset loses training too: still unsaved until a save
    assert session.samples_since_save > 0


# ------------------------------------------------------------------ bounded history
def test_thin_points_keeps_the_first_and_the_newer_half_and_every_other_older_one():
    points = list(range(11))
    thin_points(points)
    assert points == [0, 2, 4, 5, 6, 7, 8, 9, 10]


def _fast_points(session: TrainingSession, limit: int) -> None:
    """A point every batch, and a small bound, so that a test sees many thinnings in a second."""
    trainer = session.trainer
    trainer.history_every = trainer.config.batch_size
    trainer._next_history_at = trainer.samples_seen + trainer.history_every
    trainer.max_history_points = limit


def test_a_long_run_keeps_its_points_within_the_bound_over_the_whole_run():
    session = loaded_session()
    _fast_points(session, 40)
    first = None
    for _ in range(30):
        session.trainer.train_batches(20)
        session.accuracy.finish()
        points = session.trainer.history
        first = first or points[0]
        assert len(points) <= 40
        assert points[0] is first and points[-1].samples_seen == session.trainer.samples_seen
        assert all(a.samples_seen < b.samples_seen for a, b in zip(points, points[1:]))
    assert session.history.points == session.trainer.history  # the run history follows the thinned list
    # The newest points' test accuracy came through (the deferred evaluation held the right objects; with a
    # point a batch, it drops all but the newest waiting ones).
    assert all(math.isfinite(p.test_accuracy) for p in session.trainer.history[-2:])
    assert session.accuracy.pending == 0


def test_the_timeline_and_hud_work_per_frame_is_bounded_and_looking_back_still_works(make_core):
    core = make_core()
    session = core.session
    _fast_points(session, 30)
    session.trainer.train_batches(300)
    session.accuracy.finish()
    state = hud_text.timeline_state(session, core._axis_end())
    assert len(state.accuracy) <= 30 and state.accuracy[-1][0] == session.trainer.samples_seen
    core.render()  # the HUD's plot takes it
    # Look back, resume from an early snapshot, train on: the points follow the restored run.
    session.look_back(lambda: session.timeline.step(-len(session.history) // 2))
    position = session.timeline.position
    resumed_at = session.history[position].samples_seen
    session.resume_here()
    assert all(p.samples_seen <= resumed_at for p in session.history.points)
    # The resumed trainer has the run's points up to there (the snapshot itself holds none): the curve goes on.
    assert session.trainer.history == session.history.points and session.trainer.history
    session.trainer.train_batches(100)
    session.accuracy.finish()
    assert session.history.points == session.trainer.history and len(session.trainer.history) <= 30
    core.render()


def test_a_run_file_with_more_points_than_the_bound_is_thinned_on_loading(tmp_path):
    session = loaded_session()
    session.trainer.train_batches(20)
    history = session.history
    many = [HistoryPoint(i * 10, 1.0 / (i + 1), 0.5, 0.5) for i in range(MAX_HISTORY_POINTS + 500)]
    history._points = many  # as a run file from before the bound could hold
    run = load_run(save_run(tmp_path / "run.npz", history))
    assert len(run.points) <= MAX_HISTORY_POINTS
    assert run.points[0] == many[0] and run.points[-1] == many[-1]


def test_a_run_files_moment_takes_the_last_point_at_or_before_the_snapshot():
    session = loaded_session()
    session.trainer.train_batches(20)
    snapshots = list(session.history)
    points = [HistoryPoint(s.samples_seen, float(i), 0.25, 0.75) for i, s in enumerate(snapshots)]
    points.insert(3, HistoryPoint(snapshots[3].samples_seen - 1, 99.0, 0.0, 0.0))
    run = RunHistory.from_snapshots(session.trainer.config,
                                    [type(s)(s.batches, s.samples_seen, None, s.params) for s in snapshots], points)
    session.history = run
    session.timeline.follow(run)
    session.timeline.position = 3
    assert hud_text.moment(session).loss == 3.0
    session.timeline.position = 0
    assert hud_text.moment(session).loss == 0.0


# ------------------------------------------------------------------ the real window
def _press_close_button(window_id: str) -> None:
    """What a window manager sends when the close button is pressed: WM_PROTOCOLS / WM_DELETE_WINDOW."""
    import ctypes

    from pyglet.libs.x11 import xlib

    display = xlib.XOpenDisplay(None)
    try:
        event = xlib.XEvent()
        event.xclient.type = xlib.ClientMessage
        event.xclient.window = int(window_id)
        event.xclient.message_type = xlib.XInternAtom(display, b"WM_PROTOCOLS", False)
        event.xclient.format = 32
        event.xclient.data.l[0] = xlib.XInternAtom(display, b"WM_DELETE_WINDOW", False)
        event.xclient.data.l[1] = xlib.CurrentTime
        xlib.XSendEvent(display, int(window_id), False, xlib.NoEventMask, ctypes.byref(event))
        xlib.XFlush(display)
    finally:
        xlib.XCloseDisplay(display)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_window_with_unsaved_training_refuses_the_first_close_and_quits_on_esc(tmp_path, mnist_dir):
    from nnviz.testing.window_driver import App

    app = App(tmp_path, "--data", str(mnist_dir), "--size", "640x400")
    try:
        app.wait_for(lambda s: s["samples_since_save"] > 0, what="training")
        _press_close_button(app.window)
        app.wait_for(lambda s: any("training not saved" in m for m in s["messages"]), what="the question")
        app.wait_frames(3)
        app.check_alive()  # refused: the training goes on
        # Within the few seconds: quits. The key goes down only: the window may be gone before a release.
        app.xdotool("keydown", "--window", app.window, "Escape")
        assert app.process.wait(30) == 0
        assert "Traceback" not in app.log()
    finally:
        app.close()


def test_a_screenshot_never_writes_through_a_link_planted_at_the_name_it_would_take(make_core, tmp_path):
    import time as time_module

    core = make_core(size=(160, 90))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    # The screenshot's name carries the second it is taken: plant links for this second and the next few.
    now = time_module.time()
    planted = [core.screenshot_dir / time_module.strftime("nnviz-%Y%m%d-%H%M%S.png", time_module.localtime(now + s))
               for s in range(3)]
    elsewhere = tmp_path / "made-through-a-link.png"
    for index, link in enumerate(planted):
        link.symlink_to(victim if index % 2 else elsewhere)  # to a file, and dangling (to create one)
    core.key_press("P")
    core.render()
    saved = Path(core.last_screenshot)
    assert victim.read_text() == "keep me" and not elsewhere.exists()
    assert all(link.is_symlink() for link in planted)
    assert saved not in planted and saved.is_file() and not saved.is_symlink()
    assert saved.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("suffix", [".safetensors", ".onnx"])
def test_k_saves_in_the_format_picked_in_the_panel_and_l_loads_it_back(make_core, suffix):
    core = make_core(size=WIDE)
    session = core.session
    click(core, "save format")  # open the drop-down
    click(core, f"save format: {suffix}")
    saved_params = session.trainer.network.params.copy()
    core.key_press("K")
    core.key_release("K")
    path = session.last_saved
    assert path.suffix == suffix and path.is_file()
    loaded = load_weights(path)  # by its extension, as L and --load read it
    np.testing.assert_array_equal(loaded.flat_parameters(), saved_params)
    session.trainer.network.params[:] = 0.0
    core.key_press("L")
    core.key_release("L")
    np.testing.assert_array_equal(session.trainer.network.params, saved_params)


def test_the_timeline_caption_shows_the_newest_measured_test_accuracy():
    session = loaded_session()
    session.trainer.history[:] = [
        HistoryPoint(1000 * (k + 1), 0.5, 0.9, accuracy) for k, accuracy in enumerate([0.71, 0.82, 0.93, math.nan])
    ]
    assert [p.test_accuracy for p in session.history.points][-2:][0] == 0.93  # the session shows these points
    caption = hud_text.timeline_state(session, end=4000).caption
    assert "test accuracy 93.0%" in caption  # the last measured one; the newest is still pending


def test_the_timeline_curve_key_changes_whenever_the_curves_do():
    """The HUD re-makes its curves (up to 10,000 points each) only when curve_key changes, instead of
    walking them every frame: every change to the curves must change the key, or the plot goes stale."""
    session = loaded_session()
    _fast_points(session, 12)

    def state():
        timeline = hud_text.timeline_state(session, end=session.trainer.samples_seen)
        curves = [np.array(curve, dtype=np.float64).reshape(-1, 2) for curve in (timeline.loss, timeline.accuracy)]
        return timeline.curve_key, curves

    def same(a, b):
        return all(x.shape == y.shape and np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))

    def look_back_and_train_on():
        session.look_back(lambda: session.timeline.step(-len(session.history) // 2))
        session.resume_here()

    def no_more_points():  # batches then add snapshots, and the running loss they carry, but no points
        session.trainer.history_every = session.trainer._next_history_at = 10**12

    steps = ([lambda: session.trainer.train_batches(1)] * 20  # a point each batch, thinned past 12
             + [session.accuracy.finish]  # the points' test accuracies, measured a few frames late
             + [look_back_and_train_on, lambda: session.trainer.train_batches(3), session.accuracy.finish,
                no_more_points] + [lambda: session.trainer.train_batches(1)] * 3
             + [session.reset, lambda: session.trainer.train_batches(2)])
    key, curves = state()
    changes = 0
    for step in steps:
        step()
        new_key, new_curves = state()
        if not same(curves, new_curves):
            changes += 1
            assert new_key != key, step
        key, curves = new_key, new_curves
    assert changes >= 20  # the steps did change the curves


@pytest.mark.e2e
@pytest.mark.slow
def test_a_terminated_window_keeps_its_recording_so_far(tmp_path, mnist_dir):
    """kill (SIGTERM) used to end the window at once: the recording stayed a temporary file, unnamed."""
    import signal

    import imageio_ffmpeg

    from nnviz.testing.window_driver import App

    app = App(tmp_path, "--data", str(mnist_dir), "--size", "320x200")
    try:
        app.wait_frames(3)
        app.key("F9")
        app.wait_for(lambda s: any("recording to" in m for m in s["messages"]), what="the recording")
        app.wait_frames(15)
        app.process.send_signal(signal.SIGTERM)
        assert app.process.wait(30) == 128 + signal.SIGTERM
        log = app.log()
    finally:
        app.close()
    assert "Traceback" not in log and log.strip().splitlines()[-1] == "nnviz: terminated"
    videos = list(app.screenshot_dir.glob("nnviz-*.mp4"))
    assert len(videos) == 1 and not [p for p in app.screenshot_dir.iterdir() if p.name.startswith(".")]
    reader = imageio_ffmpeg.read_frames(str(videos[0]))
    assert next(reader)["size"] == (320, 200) and sum(1 for _ in reader) >= 10
