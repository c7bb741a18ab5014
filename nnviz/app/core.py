"""The app without a window: input events in, frames out.

AppCore owns what the app does: actions, the camera, selection and hover,
training pace, what each frame draws, the HUD's contents and screenshots. It
draws into an offscreen target on whatever OpenGL context it is given: the
pyglet window (nnviz/app/window.py) turns its events into calls here and
shows the target; tests drive it on a standalone EGL context.

Each frame: session -> FrameSnapshot -> renderer.prepare(frame, style) ->
pick the hovered sphere -> renderer.draw(camera) -> overlay (HUD).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import moderngl
import numpy as np

from nnviz.app import hud_text, keymap
from nnviz.app.camera_rig import CameraRig
from nnviz.app.files import unique_path
from nnviz.app.frame_budget import FrameBudget
from nnviz.app.frames import follow_network
from nnviz.app.hud_state import HudState
from nnviz.app.session import TrainingSession
from nnviz.engine import colormaps
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.image_io import save_png
from nnviz.engine.layout import layout_network
from nnviz.engine.network_renderer import NetworkRenderer
from nnviz.engine.offscreen import OffscreenTarget
from nnviz.engine.picking import pick_sphere
from nnviz.engine.style import RenderStyle
from nnviz.errors import NnvizError

THRESHOLD_STEP = 1.5
MIN_THRESHOLD = 0.005
#: Frame and training rates are averaged over about this long.
RATE_WINDOW_SECONDS = 0.5
LEFT, RIGHT = "left", "right"  # mouse buttons


class Host(Protocol):
    """What the core asks of whatever shows it (a window, or a test)."""

    def set_mouse_captured(self, captured: bool) -> None: ...

    def close(self) -> None: ...


class Overlay(Protocol):
    """Draws the HUD over the scene, in window pixels (pyglet's text in the window)."""

    def resize(self, width: int, height: int) -> None: ...

    def draw(self, state: HudState, show_hud: bool, show_help: bool) -> None: ...


@dataclass
class ViewState:
    """What the user has set up on screen, apart from the camera."""

    selected: int | None = None
    hovered: int | None = None
    mouse: tuple[float, float] | None = None  # window point, y up; None when outside
    mouse_captured: bool = False
    help_visible: bool = False
    hud_visible: bool = True
    colormap_index: int = 0
    threshold: float = 0.0


class RateMeter:
    """Frames and training samples per second over the last RATE_WINDOW_SECONDS."""

    def __init__(self, clock: Callable[[], float]):
        self.frames = 0
        self.fps = 0.0
        self.samples_per_second = 0.0
        self._clock = clock
        self._since = clock()
        self._frames_then = 0
        self._samples_then = 0

    def count(self, samples_seen: int) -> None:
        self.frames += 1
        now = self._clock()
        elapsed = now - self._since
        if elapsed >= RATE_WINDOW_SECONDS:
            # A reset makes the sample count go back: no negative rates.
            self.samples_per_second = max(samples_seen - self._samples_then, 0) / elapsed
            self.fps = (self.frames - self._frames_then) / elapsed
            self._since, self._frames_then, self._samples_then = now, self.frames, samples_seen


class AppCore:
    def __init__(self, session: TrainingSession, ctx: moderngl.Context, *, window_size: tuple[int, int],
                 framebuffer_size: tuple[int, int] | None = None, screenshot_dir: Path,
                 load_path: Path | None = None, target_fps: float = 60.0, max_speed: bool = False,
                 host: Host | None = None, overlay: Overlay | None = None, samples: int = 4,
                 clock: Callable[[], float] = time.perf_counter):
        self.session = session
        self._actions = self._action_table()
        missing = sorted({b.action for b in keymap.BINDINGS} - set(self._actions))
        if missing:  # before any GL object exists: a broken key table must not leak them
            raise RuntimeError(f"key bindings without an action: {', '.join(missing)}")
        session.max_speed = max_speed
        self.ctx = ctx
        self.host = host
        self.overlay = overlay
        self.screenshot_dir = Path(screenshot_dir)
        self.load_path = load_path
        self.samples = samples
        self.window_size = tuple(window_size)
        self.framebuffer_size = tuple(framebuffer_size or window_size)
        network = session.trainer.network
        self.layout = layout_network(network.layer_sizes, input_shape=session.input_shape)
        self.renderer = NetworkRenderer(ctx, self.layout)
        self.style = RenderStyle()
        self._follow_activation()
        self.view = ViewState()
        self.rig = CameraRig(self.layout, self._aspect())
        self.budget = FrameBudget(target_fps)
        self.rates = RateMeter(clock)
        self.target: OffscreenTarget | None = None
        self.frame: FrameSnapshot | None = None
        self.held_keys: set[str] = set()
        self.last_screenshot: str | None = None
        self.draw_seconds = 0.0  # what the last render() cost
        self._screenshot_requested = False
        self._clock = clock
        self._last_tick = clock()
        if overlay is not None:
            overlay.resize(*self.window_size)

    # ------------------------------------------------------------ frames
    def tick(self) -> None:
        """One frame: poll loading, move the camera, train within the budget, then draw."""
        now = self._clock()
        dt, self._last_tick = min(now - self._last_tick, 0.25), now
        session = self.session
        session.poll_loading()
        self._move_camera(dt)
        session.train_frame(self.budget.training_seconds(session.max_speed or session.finishing_epoch))
        self.render()
        self.rates.count(session.trainer.samples_seen)

    def render(self) -> None:
        """Draw the current state into the target (skipped while the framebuffer has no area)."""
        width, height = self.framebuffer_size
        if width <= 0 or height <= 0:  # minimised: keep training, skip drawing
            self.draw_seconds = 0.0
            return
        start = self._clock()
        self.frame = self.session.frame()
        self._update_style()
        self.renderer.prepare(self.frame, self.style)
        # After prepare: hovering uses the radii this frame draws.
        self.view.hovered = self._pick(*self.view.mouse) if self.view.mouse is not None else None
        self.style.hovered = self.view.hovered
        target = self._target()
        target.use()
        target.clear(self.style.background)
        camera = self.rig.camera
        self.renderer.draw(camera.view_matrix(), camera.projection_matrix(width / height))
        if self.overlay is not None:
            # The overlay draws with its own shaders and blending, without depth.
            self.ctx.enable_only(moderngl.BLEND)
            self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
            self.overlay.draw(self.hud_state(), self.view.hud_visible, self.view.help_visible)
        if self._screenshot_requested:
            self._save_screenshot()
        self.draw_seconds = self._clock() - start

    def record_frame_cost(self, seconds: float) -> None:
        """What drawing and showing the frame cost (the window adds its buffer swap)."""
        self.budget.record_draw(seconds)

    def _update_style(self) -> None:
        view, style = self.view, self.style
        style.selected = view.selected
        style.threshold = view.threshold
        style.colormap = colormaps.COLORMAP_NAMES[view.colormap_index]
        style.input_heatmap = self._heatmap()

    def _heatmap(self) -> np.ndarray | None:
        """A selected first-hidden-layer neuron paints its incoming weights on the input grid."""
        if self.view.selected is None or self.frame is None:
            return None
        layer, index = self.layout.layer_of_neuron(self.view.selected)
        return self.frame.weight_matrix(0)[:, index] if layer == 1 else None

    def _follow_activation(self) -> None:
        follow_network(self.style, self.session.trainer.network)

    def _target(self) -> OffscreenTarget:
        """The multisampled frame buffer, remade when the framebuffer's size changes."""
        if self.target is None or self.target.size != self.framebuffer_size:
            if self.target is not None:
                # Unbind first: moderngl would rebind the deleted framebuffer after making the new one.
                if self.ctx.screen is not None:
                    self.ctx.screen.use()
                self.target.release()
            self.target = OffscreenTarget(self.ctx, *self.framebuffer_size, samples=self.samples)
        return self.target

    def hud_state(self) -> HudState:
        session, frame, view = self.session, self.frame, self.view
        label, predicted = frame.true_class, frame.predicted_class
        selection = [] if view.selected is None else hud_text.selection_lines(frame, view.selected, view.threshold)
        history = session.trainer.history
        return HudState(
            lines=hud_text.stats_lines(session, self.rates.fps, self.rates.samples_per_second, self.style.colormap,
                                       view.threshold),
            loss_history=[p.loss for p in history],
            accuracy_history=[p.test_accuracy for p in history],
            image=frame.input_image if session.dataset is not None else None,
            true_text=session.class_name(label),
            predicted_text=session.class_name(predicted),
            correct=None if label is None or predicted is None else predicted == label,
            selection_lines=selection,
            messages=session.current_messages(),
        )

    # ------------------------------------------------------------ input
    def key_press(self, name: str, shift: bool = False) -> None:
        """A key went down: held for movement, and dispatched if it is bound to an action."""
        self.held_keys.add(name)
        action = keymap.action_for(name, shift)
        if action is not None:
            self.perform(action)

    def key_release(self, name: str) -> None:
        self.held_keys.discard(name)

    def release_all_keys(self) -> None:
        """Focus went elsewhere: keys released there never reach us."""
        self.held_keys.clear()

    def mouse_motion(self, x: float, y: float, dx: float, dy: float) -> None:
        if self.view.mouse_captured:
            self.rig.drag(dx, dy)
        else:
            self.view.mouse = (x, y)

    def mouse_leave(self) -> None:
        self.view.mouse = None

    def mouse_drag(self, x: float, y: float, dx: float, dy: float, buttons: set[str]) -> None:
        self.view.mouse = (x, y)
        if RIGHT in buttons:
            self.rig.drag(dx, dy)

    def mouse_press(self, x: float, y: float, button: str) -> None:
        if button == LEFT:
            self.view.selected = self._pick(x, y)
            self.session.say("selection cleared" if self.view.selected is None else self._describe(self.view.selected))

    def scroll(self, clicks: float) -> None:
        self.session.say(self.rig.scroll(clicks))

    def resize(self, window_size: tuple[int, int], framebuffer_size: tuple[int, int] | None = None) -> None:
        self.window_size = tuple(window_size)
        self.framebuffer_size = tuple(framebuffer_size or window_size)
        if self.overlay is not None:
            self.overlay.resize(*self.window_size)

    def _move_camera(self, dt: float) -> None:
        forward = right = up = 0
        for name, (f, r, u) in keymap.MOVEMENT.items():
            if name in self.held_keys:
                forward, right, up = forward + f, right + r, up + u
        fast = any(name in self.held_keys for name in keymap.SHIFT_KEYS)
        self.rig.move(dt, forward, right, up, fast)

    def _pick(self, x: float, y: float) -> int | None:
        width, height = self.window_size
        if width <= 0 or height <= 0:
            return None
        origin, direction = self.rig.camera.ray(x, y, width, height)
        return pick_sphere(origin, direction, self.layout.positions, self.renderer.drawn_radii)

    def _aspect(self) -> float:
        return self.window_size[0] / max(self.window_size[1], 1)

    def _describe(self, neuron: int) -> str:
        layer, index = self.layout.layer_of_neuron(neuron)
        return f"selected layer {layer}, neuron {index}"

    # ----------------------------------------------------------- actions
    def perform(self, action: str) -> None:
        self._actions[action]()

    def _action_table(self) -> dict[str, Callable[[], None]]:
        session = self.session
        table = {
            "toggle_pause": session.toggle_pause,
            "step_batch": self._step_batch,
            "step_epoch": self._step_epoch,
            "faster": lambda: session.change_speed(+1),
            "slower": lambda: session.change_speed(-1),
            "toggle_max_speed": session.toggle_max_speed,
            "lr_up": lambda: session.scale_learning_rate(1.5),
            "lr_down": lambda: session.scale_learning_rate(1 / 1.5),
            "reset": session.reset,
            "next_sample": session.next_sample,
            "next_wrong": session.next_wrong_sample,
            "save": lambda: session.save(self.screenshot_dir),
            "load": self._load,
            "screenshot": self._request_screenshot,
            "cycle_colormap": self._cycle_colormap,
            "threshold_up": lambda: self._change_threshold(THRESHOLD_STEP),
            "threshold_down": lambda: self._change_threshold(1 / THRESHOLD_STEP),
            "frame_all": lambda: self.rig.frame_all(self._aspect()),
            "home": lambda: self.rig.reset(self._aspect()),
            "toggle_orbit": lambda: session.say(self.rig.toggle_orbit()),
            "toggle_help": self._toggle_help,
            "toggle_hud": self._toggle_hud,
            "toggle_mouse_look": lambda: self._capture_mouse(not self.view.mouse_captured),
            "quit": self._quit,
        }
        for binding in keymap.BINDINGS:
            if binding.action.startswith("activation_"):
                name = binding.action.removeprefix("activation_")
                table[binding.action] = lambda name=name: self._switch_activation(name)
        return table

    def _switch_activation(self, name: str) -> None:
        self.session.switch_activation(name)
        self._follow_activation()

    def _step_batch(self) -> None:
        if not self.session.paused:
            self.session.toggle_pause()
        self.session.step_batch()

    def _step_epoch(self) -> None:
        if not self.session.paused:
            self.session.toggle_pause()
        self.session.step_epoch()  # trained over the next frames, at max speed

    def _load(self) -> None:
        """The weights saved last in this session, else --load FILE, else the newest in the save directory."""
        saved = sorted(self.screenshot_dir.glob("nnviz-weights-*.npz"), key=lambda p: p.stat().st_mtime)
        path = self.session.last_saved or self.load_path or (saved[-1] if saved else None)
        if path is None:
            self.session.say(f"nothing to load: no --load FILE and no saved weights in {self.screenshot_dir}")
            return
        if self.session.load(path):
            self._follow_activation()

    def _request_screenshot(self) -> None:
        self._screenshot_requested = True

    def _save_screenshot(self) -> None:
        self._screenshot_requested = False
        path = unique_path(self.screenshot_dir, "nnviz", ".png")
        try:
            save_png(path, self.target.read_rgb())
        except NnvizError as error:  # a full disk or a vanished directory must not end the session
            self.session.say(f"could not save the screenshot: {error}")
            return
        self.last_screenshot = str(path)
        print(f"nnviz: screenshot saved to {path}", flush=True)
        self.session.say(f"screenshot saved to {path}")

    def _cycle_colormap(self) -> None:
        names = colormaps.COLORMAP_NAMES
        self.view.colormap_index = (self.view.colormap_index + 1) % len(names)
        self.session.say(f"weight colours: {names[self.view.colormap_index]}")

    def _change_threshold(self, factor: float) -> None:
        view = self.view
        if view.threshold == 0.0 and factor < 1:
            self.session.say("all weights are shown")
            return
        value = view.threshold * factor if view.threshold else MIN_THRESHOLD
        view.threshold = 0.0 if value < MIN_THRESHOLD else value
        self.session.say(f"hiding weights with |w| < {view.threshold:.3g}" if view.threshold else "all weights shown")

    def _toggle_hud(self) -> None:
        self.view.hud_visible = not self.view.hud_visible

    def _toggle_help(self) -> None:
        self.view.help_visible = not self.view.help_visible

    def _quit(self) -> None:
        if self.view.help_visible:
            self.view.help_visible = False
        elif self.view.mouse_captured:
            self._capture_mouse(False)
        elif self.host is not None:
            self.host.close()

    def _capture_mouse(self, captured: bool) -> None:
        self.view.mouse_captured = captured
        if self.host is not None:
            self.host.set_mouse_captured(captured)
        self.session.say("mouse look: move the mouse to look, Tab or Esc to release" if captured
                         else "mouse released")

    # ------------------------------------------------------------- state
    def state(self) -> dict:
        """What the app is doing, as plain JSON-ready values (end-to-end tests read it from outside)."""
        session, trainer, camera, view = self.session, self.session.trainer, self.rig.camera, self.view
        selected = None if view.selected is None else list(self.layout.layer_of_neuron(view.selected))
        return {
            "frames": self.rates.frames,
            "status": session.status,
            "data_loaded": session.dataset is not None,
            "paused": session.paused,
            "max_speed": session.max_speed,
            "batches_trained": trainer.batches_trained,
            "samples_seen": trainer.samples_seen,
            "epoch": trainer.epoch,
            "learning_rate": trainer.config.learning_rate,
            "activation": trainer.config.activation,
            "sample_index": session.sample_index,
            "selected": selected,
            "help_visible": view.help_visible,
            "hud_visible": view.hud_visible,
            "mouse_captured": view.mouse_captured,
            "threshold": view.threshold,
            "window_size": list(self.window_size),
            "framebuffer_size": list(self.framebuffer_size),
            "camera": {"position": [float(v) for v in camera.position], "yaw": camera.yaw,
                       "pitch": camera.pitch, "fov": camera.fov, "near": camera.near, "far": camera.far},
            "last_screenshot": self.last_screenshot,
            "messages": session.current_messages(),
            "fps": self.rates.fps,
            "train_samples_per_second": self.rates.samples_per_second,
        }

    def release(self) -> None:
        if self.target is not None:
            self.target.release()
        self.renderer.release()
