"""The interactive visualizer: a pyglet window whose frames train, upload and draw."""

from __future__ import annotations

import json
import os
import time

import moderngl
import pyglet
from pyglet.window import key, mouse

from nnviz.app import hud_text, keymap
from nnviz.app.files import unique_path
from nnviz.app.camera_rig import CameraRig
from nnviz.app.frame_budget import FrameBudget
from nnviz.app.hud import Hud, HudState
from nnviz.engine import colormaps
from nnviz.engine.image_io import save_png
from nnviz.engine.layout import layout_network
from nnviz.engine.network_renderer import NetworkRenderer
from nnviz.engine.offscreen import OffscreenTarget
from nnviz.engine.picking import pick_sphere
from nnviz.errors import NnvizError
from nnviz.resources import asset_path

DEBUG_STATE_ENV = "NNVIZ_DEBUG_STATE"
THRESHOLD_STEP = 1.5
MIN_THRESHOLD = 0.005


class NnvizWindow(pyglet.window.Window):
    @classmethod
    def open(cls, session, size, *, vsync, **options):
        # No multisampling on the window itself: frames are drawn (multisampled)
        # into an offscreen target and blitted, so screenshots can read them.
        config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True, double_buffer=True)
        caption = f"nnviz — {'-'.join(map(str, session.trainer.network.layer_sizes))} · {session.dataset_title}"
        try:
            return cls(session, width=size[0], height=size[1], caption=caption, resizable=True, vsync=vsync,
                       config=config, **options)
        except pyglet.window.NoSuchConfigException as error:
            raise NnvizError(f"the display offers no OpenGL 3.3 core context ({error})") from None

    def __init__(self, session, *, target_fps, screenshot_dir, load_path, max_speed, **window_options):
        super().__init__(**window_options)
        self.set_icon(pyglet.image.load(str(asset_path("icon.png"))))
        self.session = session
        session.max_speed = max_speed
        self.ctx = moderngl.create_context(require=330)
        network = session.trainer.network
        self.layout = layout_network(network.layer_sizes, input_shape=(28, 28))
        self.renderer = NetworkRenderer(self.ctx, self.layout, activation_range=network.activation.output_range)
        self.target: OffscreenTarget | None = None
        self.rig = CameraRig(self.layout, self._aspect())
        self.budget = FrameBudget(target_fps)
        self.hud = Hud(self.width, self.height, keymap.help_lines())
        self.keys = key.KeyStateHandler()
        self.push_handlers(self.keys)
        self.screenshot_dir = screenshot_dir
        self.load_path = load_path
        self.target_fps = target_fps
        self.selected: int | None = None
        self.hovered: int | None = None
        self.mouse = (-1.0, -1.0)
        self.mouse_captured = False
        self.threshold = 0.0
        self.colormap_index = 0
        self.frames = 0
        self.fps = 0.0
        self.last_screenshot: str | None = None
        self._screenshot_requested = False
        self._last_frame = time.perf_counter()
        self._draw_seconds = 0.0
        self._debug_path = os.environ.get(DEBUG_STATE_ENV)
        self._train_rate = 0.0
        self._last_samples = 0
        self._frames_at_rate = 0
        self._rate_clock = time.perf_counter()
        self.predicted: int | None = None
        self._activations = session.activations()

    def run(self) -> None:
        pyglet.app.run(1.0 / self.target_fps)

    # ---------------------------------------------------------- helpers
    def _aspect(self) -> float:
        return self.width / max(self.height, 1)

    def _pick(self, x: float, y: float) -> int | None:
        if self.width <= 0 or self.height <= 0:
            return None
        origin, direction = self.rig.camera.ray(x, y, self.width, self.height)
        return pick_sphere(origin, direction, self.layout.positions, self.renderer.drawn_radii())

    # ------------------------------------------------------------ frame
    def on_draw(self) -> None:
        now = time.perf_counter()
        dt, self._last_frame = min(now - self._last_frame, 0.25), now
        session = self.session
        session.poll_loading()
        self._move_camera(dt)
        session.train_frame(self.budget.training_seconds(session.max_speed or session.finishing_epoch))

        draw_start = time.perf_counter()
        size = self.get_framebuffer_size()
        if size[0] > 0 and size[1] > 0:  # minimised: keep training, skip drawing
            target = self._target(size)
            target.use()
            self._draw_scene(*size)
            self._draw_hud()
            target.blit_to(self.ctx.screen)
            if self._screenshot_requested:
                self._save_screenshot(target)
        self._draw_seconds = time.perf_counter() - draw_start
        self._count_frame(now)
        if self._debug_path:
            self._write_debug_state()

    def flip(self) -> None:
        # The swap is part of what a frame costs (a software renderer copies the image here).
        start = time.perf_counter()
        super().flip()
        self.budget.record_draw(self._draw_seconds + time.perf_counter() - start)

    def _move_camera(self, dt: float) -> None:
        forward = right = up = 0
        for symbol, (f, r, u) in keymap.MOVEMENT.items():
            if self.keys[symbol]:
                forward, right, up = forward + f, right + r, up + u
        fast = self.keys[key.LSHIFT] or self.keys[key.RSHIFT]
        self.rig.move(dt, forward, right, up, fast)

    def _draw_scene(self, width: int, height: int) -> None:
        session, renderer = self.session, self.renderer
        network = session.trainer.network
        image, label = session.sample()
        activations = session.activations()
        self.predicted = int(activations[-1].argmax()) if session.dataset is not None else None
        renderer.set_weights(network.weights)
        renderer.set_activations(activations)
        renderer.set_biases(network.biases)
        renderer.set_labels(self.predicted, label)
        renderer.set_selection(self.selected)
        renderer.set_input_heatmap(self._heatmap())
        renderer.set_weight_threshold(self.threshold)
        self.hovered = self._pick(*self.mouse) if self.mouse[0] >= 0 else None  # after everything that sizes spheres
        renderer.set_hover(self.hovered)

        self.target.clear(renderer.background_color)
        camera = self.rig.camera
        renderer.draw(camera.view_matrix(), camera.projection_matrix(width / height))
        self._activations = activations

    def _target(self, size: tuple[int, int]) -> OffscreenTarget:
        """The multisampled frame buffer, remade when the window's size changes."""
        if self.target is None or self.target.size != tuple(size):
            if self.target is not None:
                # Unbind first: moderngl would rebind the deleted framebuffer after making the new one.
                self.ctx.screen.use()
                self.target.release()
            self.target = OffscreenTarget(self.ctx, *size, samples=4)
        return self.target

    def _heatmap(self):
        if self.selected is None:
            return None
        layer, index = self.layout.layer_of_neuron(self.selected)
        if layer != 1:
            return None
        return self.session.trainer.network.weights[0][:, index]

    def _draw_hud(self) -> None:
        # pyglet draws text with its own shaders and blending, without depth.
        self.ctx.enable_only(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self.hud.update(self._hud_state())
        self.hud.draw()

    def _hud_state(self) -> HudState:
        session = self.session
        image, label = session.sample()
        history = session.trainer.history
        predicted = self.predicted
        selection = []
        if self.selected is not None:
            layer, index = self.layout.layer_of_neuron(self.selected)
            selection = hud_text.selection_lines(session.trainer.network, layer, index, self._activations,
                                                 self.threshold)
        return HudState(
            lines=hud_text.stats_lines(session, self.fps, self._train_rate, self.renderer.colormap, self.threshold),
            loss_history=[p.loss for p in history],
            accuracy_history=[p.test_accuracy for p in history],
            image=image if session.dataset is not None else None,
            true_text=session.class_name(label),
            predicted_text=session.class_name(predicted),
            correct=None if label is None or predicted is None else predicted == label,
            selection_lines=selection,
            messages=session.current_messages(),
        )

    def _count_frame(self, now: float) -> None:
        """Frame rate and training rate, over the last half second or so."""
        self.frames += 1
        elapsed = now - self._rate_clock
        if elapsed >= 0.5:
            samples = self.session.trainer.samples_seen
            self._train_rate = max(samples - self._last_samples, 0) / elapsed  # a reset makes it negative
            self.fps = (self.frames - self._frames_at_rate) / elapsed
            self._last_samples, self._frames_at_rate, self._rate_clock = samples, self.frames, now

    # -------------------------------------------------------- screenshot
    def _save_screenshot(self, target: OffscreenTarget) -> None:
        self._screenshot_requested = False
        path = unique_path(self.screenshot_dir, "nnviz", ".png")
        try:
            save_png(path, target.read_rgb())
        except NnvizError as error:  # a full disk or a vanished directory must not end the session
            self.session.say(f"could not save the screenshot: {error}")
            return
        self.last_screenshot = str(path)
        print(f"nnviz: screenshot saved to {path}", flush=True)
        self.session.say(f"screenshot saved to {path}")

    # ------------------------------------------------------------ input
    def on_key_press(self, symbol, modifiers):
        action = keymap.action_for(symbol, modifiers)
        if action is not None:
            self.perform(action)
        return pyglet.event.EVENT_HANDLED

    def perform(self, action: str) -> None:
        session = self.session
        if action.startswith("activation_"):
            session.switch_activation(action.removeprefix("activation_"))
            self.renderer.set_activation_range(session.trainer.network.activation.output_range)
            return
        simple = {
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
            "toggle_mouse_look": lambda: self._capture_mouse(not self.mouse_captured),
            "quit": self._quit,
        }
        simple[action]()

    def _step_batch(self):
        if not self.session.paused:
            self.session.toggle_pause()
        self.session.step_batch()

    def _step_epoch(self):
        if not self.session.paused:
            self.session.toggle_pause()
        self.session.step_epoch()  # trained over the next frames, at max speed

    def _load(self):
        """The weights saved last in this session, else --load FILE, else the newest in the save directory."""
        saved = sorted(self.screenshot_dir.glob("nnviz-weights-*.npz"), key=lambda p: p.stat().st_mtime)
        path = self.session.last_saved or self.load_path or (saved[-1] if saved else None)
        if path is None:
            self.session.say(f"nothing to load: no --load FILE and no saved weights in {self.screenshot_dir}")
            return
        if self.session.load(path):
            self.renderer.set_activation_range(self.session.trainer.network.activation.output_range)

    def _request_screenshot(self):
        self._screenshot_requested = True

    def _cycle_colormap(self):
        names = colormaps.COLORMAP_NAMES
        self.colormap_index = (self.colormap_index + 1) % len(names)
        self.renderer.set_colormap(names[self.colormap_index])
        self.session.say(f"weight colours: {names[self.colormap_index]}")

    def _change_threshold(self, factor: float):
        if self.threshold == 0.0 and factor < 1:
            self.session.say("all weights are shown")
            return
        value = self.threshold * factor if self.threshold else MIN_THRESHOLD
        self.threshold = 0.0 if value < MIN_THRESHOLD else value
        self.session.say(f"hiding weights with |w| < {self.threshold:.3g}" if self.threshold else "all weights shown")

    def _toggle_hud(self):
        self.hud.visible = not self.hud.visible

    def _toggle_help(self):
        self.hud.help_visible = not self.hud.help_visible

    def _quit(self):
        if self.hud.help_visible:
            self.hud.help_visible = False
        elif self.mouse_captured:
            self._capture_mouse(False)
        else:
            self.close()

    def _capture_mouse(self, captured: bool) -> None:
        self.mouse_captured = captured
        self.set_exclusive_mouse(captured)
        self.session.say("mouse look: move the mouse to look, Tab or Esc to release" if captured
                         else "mouse released")

    def on_mouse_press(self, x, y, button, modifiers):
        if button == mouse.LEFT:
            self.selected = self._pick(x, y)
            self.session.say("selection cleared" if self.selected is None else self._describe(self.selected))

    def _describe(self, neuron: int) -> str:
        layer, index = self.layout.layer_of_neuron(neuron)
        return f"selected layer {layer}, neuron {index}"

    def on_mouse_motion(self, x, y, dx, dy):
        if self.mouse_captured:
            self.rig.drag(dx, dy)
        else:
            self.mouse = (x, y)

    def on_mouse_leave(self, x, y):
        self.mouse = (-1.0, -1.0)

    def on_mouse_drag(self, x, y, dx, dy, buttons, modifiers):
        self.mouse = (x, y)
        if buttons & mouse.RIGHT:
            self.rig.drag(dx, dy)

    def on_mouse_scroll(self, x, y, scroll_x, scroll_y):
        self.session.say(self.rig.scroll(scroll_y))

    def on_resize(self, width, height):
        super().on_resize(width, height)
        self.hud.resize(width, height)

    def on_close(self):
        super().on_close()
        pyglet.app.exit()

    # ------------------------------------------------------------- debug
    def _write_debug_state(self) -> None:
        """For end-to-end tests: what the app is doing, read from outside."""
        session, trainer, camera = self.session, self.session.trainer, self.rig.camera
        selected = None if self.selected is None else list(self.layout.layer_of_neuron(self.selected))
        state = {
            "frames": self.frames,
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
            "help_visible": self.hud.help_visible,
            "hud_visible": self.hud.visible,
            "mouse_captured": self.mouse_captured,
            "threshold": self.threshold,
            "window_size": [self.width, self.height],
            "framebuffer_size": list(self.get_framebuffer_size()),
            "camera": {"position": [float(v) for v in camera.position], "yaw": camera.yaw,
                       "pitch": camera.pitch, "fov": camera.fov, "near": camera.near, "far": camera.far},
            "last_screenshot": self.last_screenshot,
            "messages": session.current_messages(),
            "fps": self.fps,
            "train_samples_per_second": self._train_rate,
        }
        temp = f"{self._debug_path}.tmp"
        with open(temp, "w") as handle:
            json.dump(state, handle)
        os.replace(temp, self._debug_path)

