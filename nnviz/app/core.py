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

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import moderngl
import numpy as np

from nnviz.app import hud_text, keymap
from nnviz.app import hud_layout, panels
from nnviz.app.camera_rig import CameraRig
from nnviz.app.files import timestamped
from nnviz.app.frame_budget import FrameBudget
from nnviz.app.frames import follow_network, style_for_mode
from nnviz.app.hud_layout import compact, contains, draw_button_rect, open_area
from nnviz.app.hud_state import ConfusionState, GalleryState, HudState, OutputMark
from nnviz.app.control_panel import ControlPanel
from nnviz.app.control_panel import default_visible as control_panel_default
from nnviz.app.glide import NeuronGlide, start_positions
from nnviz.app.live_edit import NetworkEditor
from nnviz.app.dynamic_resolution import ResolutionScaler
from nnviz.app.live_recording import LiveRecording
from nnviz.app.session import MESSAGE_SECONDS, TrainingSession
from nnviz.app.timeline import bar_rect
from nnviz.engine import colormaps
from nnviz.engine.camera import FULL_VIEW
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.image_io import save_new_png
from nnviz.engine.layout import layout_network
from nnviz.engine.network_renderer import NetworkRenderer
from nnviz.engine.offscreen import OffscreenTarget, ScreenTarget
from nnviz.engine.picking import pick_sphere
from nnviz.engine.quality import choose_profile
from nnviz.engine.upscale import Upscaler
from nnviz.engine.rules import OUTER_RING_EXTENT
from nnviz.engine.style import RenderStyle
from nnviz.errors import NnvizError

THRESHOLD_STEP = 1.5
MIN_THRESHOLD = 0.005
#: Frame and training rates are averaged over about this long.
RATE_WINDOW_SECONDS = 0.5
LEFT, RIGHT = "left", "right"  # mouse buttons
#: Training fills this share of the time the overlays are expected to take to rasterise (the rest is margin,
#: so the frame does not wait on training instead), when that is at least MIN_EXTRA_TRAINING seconds.
OVERLAY_TRAINING_SHARE = 0.5
MIN_EXTRA_TRAINING = 0.002
OVERLAY_SMOOTHING = 0.2
#: Unsaved training: a second quit (Esc, the close button) within this long of the first quits; as long as
#: the first one's message shows.
QUIT_CONFIRM_SECONDS = MESSAGE_SECONDS


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
    scrubbing: bool = False  # the left button went down on the timeline and is still held
    stroking: str | None = None  # the button painting (left) or erasing (right) a drawn digit
    help_visible: bool = False
    hud_visible: bool = True
    colormap_index: int = 0
    threshold: float = 0.0
    confusion_visible: bool = False  # G: the test set's confusion matrix
    gallery_visible: bool = False  # V: the first weight matrix's receptive fields
    gallery_scroll: float = 0.0  # the gallery's first row on show (the wheel moves it by fractions too)


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
                 load_path: Path | None = None, target_fps: float | None = None, max_speed: bool = False,
                 host: Host | None = None, overlay: Overlay | None = None, samples: int | None = None,
                 quality: str = "auto", on_screen: bool = False,
                 key_hints: bool = True, control_panel: bool = True,
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
        # "auto": by the renderer the driver reports (a software rasteriser gets "fast").
        self.quality = choose_profile(quality, ctx.info["GL_RENDERER"])
        self.samples = self.quality.samples if samples is None else samples
        self.target_fps = target_fps or self.quality.fps
        self.key_hints = key_hints  # off where no one can press a key (videos)
        self.window_size = tuple(window_size)
        self.framebuffer_size = tuple(framebuffer_size or window_size)
        self.on_screen = on_screen  # draw into the context's window framebuffer where nothing needs resolving
        network = session.trainer.network
        self.layout = layout_network(network.layer_sizes, input_shape=session.input_shape)
        self.renderer = NetworkRenderer(ctx, self.layout)
        self.style = RenderStyle(min_line_opacity=self.quality.min_line_opacity)
        self._follow_activation()
        self.view = ViewState()
        self.editor = NetworkEditor(session, perform=self.perform, selected=self._selected_layer_index,
                                    on_reshape=self._reshape)
        self.panel = (ControlPanel(ctx, self.editor, self.window_size,
                                   visible=control_panel_default(self.window_size[0]), on_load=self.load_typed_path)
                      if control_panel else None)
        self.rig = CameraRig(self.layout, self._aspect())
        self._update_open_area()
        self.rig.reset(self._aspect())
        self.budget = FrameBudget(self.target_fps)
        self.resolution = ResolutionScaler(1.0 / self.target_fps, self.quality.min_scale,
                                           enabled=self.quality.dynamic_resolution)
        self.scene_target: OffscreenTarget | None = None  # the scene at a lower resolution, when scaled
        self._scaled = False  # this frame's scene is in scene_target
        self.upscaler: Upscaler | None = None
        self.rates = RateMeter(clock)
        self.target: OffscreenTarget | None = None
        self.frame: FrameSnapshot | None = None
        self.held_keys: set[str] = set()
        self.last_screenshot: str | None = None
        self.recorder: LiveRecording | None = None  # while F9 records
        self.draw_seconds = 0.0  # what the last render() cost, wall clock
        self.draw_cpu_seconds = 0.0  # of it, this thread's CPU time (the rest: waiting for the rasteriser)
        self._overlay_wait = 0.0  # smoothed time the overlays take to rasterise after they are handed over
        self._trained_while_overlaid = 0.0
        self._trained_until: float | None = None  # when this frame's training ended (draw_then_train)
        self._screenshot_requested = False
        self._quit_asked_at: float | None = None  # when a quit was refused for unsaved training
        self.panel_seconds = 0.0  # what drawing the control panel cost in the last frame
        self._clock = clock
        self._last_panel = clock()
        self._last_tick = clock()
        self.gallery_tiles = panels.GalleryTiles(clock)
        self.glide: NeuronGlide | None = None  # neurons moving to a new layout
        if overlay is not None:
            overlay.resize(*self.hud_size)

    # ------------------------------------------------------------ frames
    def tick(self) -> None:
        """One frame: poll loading, move the camera, replay or train within the budget, then draw."""
        self._advance()
        self._train()
        self.render()
        self.rates.count(self.session.trainer.samples_seen)

    def draw_then_train(self, flush: Callable[[], None], present: Callable[[], None],
                        due: float | None = None) -> None:
        """One frame for a window: draw the scene, `flush` it (to the GPU, or to a software rasteriser's
        threads), train while it is being rasterised, then draw the overlays and `present`.

        On a software renderer the rasteriser's threads and the trainer then work at the same time on
        different cores instead of taking turns. The scene shows the state before this frame's training.
        The frame is paced (FrameBudget.start_frame): training stops when what is left of the frame
        (overlays, the swap) would end it at its deadline, a frame period after `due` (when the frame
        was due; default now); record_swap_wait, after the swap, says how long that took.
        """
        now = self._clock()
        self.budget.start_frame(now if due is None else min(due, now))
        self._trained_while_overlaid = 0.0
        self._advance()
        drawn = self._render_scene()
        flush()
        self._train(paced=True)
        self._trained_until = self._clock()
        if drawn:
            self._render_overlays(flush)
            present()
            flush()
            # The overlays' pixels and the swap take time the thread would spend waiting: train in most of it.
            extra = OVERLAY_TRAINING_SHARE * self._overlay_wait
            start = self._clock()
            if extra >= MIN_EXTRA_TRAINING:
                self.session.train_more(extra)
            self._trained_while_overlaid = self._clock() - start
        self.rates.count(self.session.trainer.samples_seen)

    def record_swap_wait(self, seconds: float) -> None:
        """How long the window's buffer swap waited (for the overlays' pixels): with the training done just
        before it, what the overlays took to rasterise; smoothed, it sizes the next frame's extra training."""
        taken = seconds + self._trained_while_overlaid
        self._overlay_wait += OVERLAY_SMOOTHING * (taken - self._overlay_wait)
        if self._trained_until is not None:
            self.budget.record_finish(self._clock() - self._trained_until)

    def _advance(self) -> None:
        now = self._clock()
        dt, self._last_tick = min(now - self._last_tick, 0.25), now
        session = self.session
        session.poll_loading()
        self._move_camera(dt)
        if session.timeline.replaying and not session.timeline.advance(dt):
            session.say("replay finished: End returns to live, X trains on from here")

    def _train(self, paced: bool = False) -> None:
        session = self.session
        now = self._clock() if paced else None
        session.train_frame(self.budget.training_seconds(session.max_speed or session.finishing_epoch, now))

    def render(self) -> None:
        """Draw the current state into the target (skipped while the framebuffer has no area)."""
        if self._render_scene():
            self._render_overlays()

    def _render_scene(self) -> bool:
        """The 3-D scene, into the target or (scaled) the scene target; False while there is nothing to draw."""
        width, height = self.framebuffer_size
        if width <= 0 or height <= 0:  # minimised: keep training, skip drawing
            self.draw_seconds = self.draw_cpu_seconds = 0.0
            return False
        start, cpu_start = self._clock(), time.thread_time()
        self.frame = self.session.frame(show_ink=self.view.stroking is not None)
        if self.view.confusion_visible and self.view.hud_visible:
            self.session.update_confusion()  # a slice of the test set per frame
        self._update_style()
        if self.glide is not None:
            self.renderer.move_neurons(self.glide.positions())
            self.glide = None if self.glide.done else self.glide
        self.renderer.prepare(self.frame, self.style)
        # After prepare: hovering uses the radii this frame draws.
        self.view.hovered = self._pick(*self.view.mouse) if self.view.mouse is not None else None
        self.style.hovered = self.view.hovered
        over_panel, tile_neuron = self._panel_hover()
        if over_panel:  # a panel hides the scene behind it; a gallery tile stands for its neuron
            self.view.hovered = self.style.hovered = tile_neuron
        scene = self._scene_target()
        scene.use()
        scene.clear(self.style.background)
        camera = self.rig.camera
        self.renderer.draw(camera.view_matrix(), camera.projection_matrix(width / height))
        self.draw_seconds, self.draw_cpu_seconds = self._clock() - start, time.thread_time() - cpu_start
        return True

    def _render_overlays(self, flush: Callable[[], None] | None = None) -> None:
        """What goes over the scene at the window's resolution: the scaled scene itself, the HUD, the panel.

        `flush` hands the scaled scene to the rasteriser before the HUD and panel are laid out, so a
        software renderer fills its pixels meanwhile."""
        start, cpu_start = self._clock(), time.thread_time()
        target = self._target()
        if self.scene_target is not None and self._scaled:
            target.use()
            self.upscaler.draw(self.scene_target.texture)  # on a software renderer this waits for the scene
            if flush is not None:
                flush()
        else:
            target.use()
        if self.overlay is not None:
            # The overlay draws with its own shaders and blending, without depth.
            self.ctx.enable_only(moderngl.BLEND)
            self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
            self.overlay.draw(self.hud_state(), self.view.hud_visible, self.view.help_visible)
        if self.panel is not None:
            panel_start = self._clock()
            self.panel.draw(self.window_size, self.framebuffer_size, panel_start - self._last_panel)
            self._last_panel = panel_start
            self.panel_seconds = self._clock() - panel_start
        if self._screenshot_requested:
            self._save_screenshot()
        if self.recorder is not None:
            self._record(target)
        self.draw_seconds += self._clock() - start
        self.draw_cpu_seconds += time.thread_time() - cpu_start

    def _scene_target(self):
        """Where the 3-D scene is drawn: the target, or a smaller one when frames run over budget."""
        width, height = self.framebuffer_size
        scale = self.resolution.scale
        size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
        self._scaled = scale < 1.0 and size != (width, height)
        if not self._scaled:
            return self._target()
        if self.scene_target is None or self.scene_target.size != size:
            if self.scene_target is not None:
                self.scene_target.release()
            self.scene_target = OffscreenTarget(self.ctx, *size, samples=0, sampled=True)
            self.upscaler = self.upscaler or Upscaler(self.ctx)
        return self.scene_target

    def record_frame_cost(self, seconds: float, cpu_seconds: float | None = None) -> None:
        """What drawing and showing the frame cost (the window adds its buffer swap), in wall-clock time,
        and of it the CPU time of this thread (None: all of it).

        The time spent waiting for a software renderer's threads says the frame is over budget in
        pixels, which a lower resolution helps (see ResolutionScaler)."""
        cpu_seconds = seconds if cpu_seconds is None else min(cpu_seconds, seconds)
        self.budget.record_draw(seconds, cpu_seconds)
        self.resolution.record(cpu_seconds, seconds - cpu_seconds)

    def _update_style(self) -> None:
        view, style = self.view, self.style
        style.selected = view.selected
        style.threshold = view.threshold
        style.colormap = colormaps.COLORMAP_NAMES[view.colormap_index]
        style.input_heatmap = self._heatmap()
        # The network on show may be a snapshot from before an activation changed: its ranges, each frame.
        follow_network(style, self.session.network_on_show())
        style.pixel_scale = self.resolution.scale  # lines keep their width on screen at any scale
        style_for_mode(style, self.frame, self.session.line_mode)

    def _heatmap(self) -> np.ndarray | None:
        """A selected first-hidden-layer neuron paints its incoming weights on the input grid."""
        if self.view.selected is None or self.frame is None:
            return None
        layer, index = self.layout.layer_of_neuron(self.view.selected)
        return self.frame.weight_matrix(0)[:, index] if layer == 1 else None

    def _follow_activation(self) -> None:
        follow_network(self.style, self.session.trainer.network)

    def _target(self) -> OffscreenTarget | ScreenTarget:
        """Where frames are drawn: the window's framebuffer itself when there is one and no multisampling,
        else an offscreen (multisampled) one; remade when the framebuffer's size changes."""
        if self.target is None or self.target.size != self.framebuffer_size:
            if self.target is not None:
                # Unbind first: moderngl would rebind the deleted framebuffer after making the new one.
                if self.ctx.screen is not None:
                    self.ctx.screen.use()
                self.target.release()
            if self.on_screen and self.samples == 0:
                self.target = ScreenTarget(self.ctx, *self.framebuffer_size)
            else:
                self.target = OffscreenTarget(self.ctx, *self.framebuffer_size, samples=self.samples)
        return self.target

    def hud_state(self) -> HudState:
        session, frame, view = self.session, self.frame, self.view
        label, predicted = frame.true_class, frame.predicted_class
        selection = [] if view.selected is None else hud_text.selection_lines(frame, view.selected, view.threshold)
        return HudState(
            lines=hud_text.stats_lines(session, self.rates.fps, self.rates.samples_per_second, self.style.colormap,
                                       view.threshold, key_hints=self.key_hints, compact=compact(*self.hud_size),
                                       quality=self.quality_label),
            timeline=hud_text.timeline_state(session, self._axis_end(), key_hints=self.key_hints),
            image=frame.input_image if session.dataset is not None else None,
            true_text=session.class_name(label),
            predicted_text=session.class_name(predicted),
            correct=None if label is None or predicted is None else predicted == label,
            selection_lines=selection,
            messages=session.current_messages(),
            top_classes=hud_text.top_classes(frame, session.class_name) if predicted is not None else "",
            outputs=self._output_marks(),
            drawing=session.drawing is not None,
            confusion=self._confusion_panel(),
            gallery=self._gallery_panel(),
        )

    def _output_marks(self) -> list[OutputMark]:
        """Each output sphere's class and probability, placed just right of the sphere as seen now."""
        layout, frame, camera = self.layout, self.frame, self.rig.camera
        output = len(layout.layer_sizes) - 1
        first = int(layout.layer_offsets[output])
        centres = layout.layer_positions(output).astype(np.float64)
        radii = self.renderer.drawn_radii[first:first + len(centres), None]
        edges = camera.project(centres + camera.right * radii * OUTER_RING_EXTENT, *self.window_size)
        probabilities = hud_text.probabilities(frame.layer_activations(output))
        return [OutputMark(float(x), float(y), self.session.class_name(i), float(p))
                for i, ((x, y), p) in enumerate(zip(edges, probabilities)) if np.isfinite(x)]

    # ------------------------------------------------------------ input
    def key_press(self, name: str, shift: bool = False) -> None:
        """A key went down: held for movement, and dispatched if it is bound to an action.

        While a text field of the control panel has focus, keys are its text instead."""
        if self.panel is not None:
            typing = self.panel.typing
            self.panel.key(name, True)
            if typing:
                return
        self.held_keys.add(name)
        action = keymap.action_for(name, shift)
        if action is not None:
            self.perform(action)

    def key_release(self, name: str) -> None:
        if self.panel is not None:
            self.panel.key(name, False)
        self.held_keys.discard(name)

    def text_input(self, characters: str) -> None:
        """Typed characters: only the control panel's text fields take them."""
        if self.panel is not None and self.panel.typing:
            self.panel.text(characters)

    def release_all_keys(self) -> None:
        """Focus went elsewhere: keys released there never reach us."""
        self.held_keys.clear()

    def mouse_motion(self, x: float, y: float, dx: float, dy: float) -> None:
        if self.view.mouse_captured:
            self.rig.drag(dx, dy)
            return
        if self.panel is not None:
            self.panel.mouse_motion(x, y)
        over_panel = self.panel is not None and self.panel.wants_mouse(x, y)
        self.view.mouse = None if over_panel else (x, y)  # nothing behind the panel is hovered

    def mouse_leave(self) -> None:
        if self.panel is not None:
            self.panel.mouse_leave()
        self.view.mouse = None

    def mouse_drag(self, x: float, y: float, dx: float, dy: float, buttons: set[str]) -> None:
        if self.panel is not None:
            self.panel.mouse_motion(x, y)
            if self.panel.owns_mouse:  # a slider being dragged: the scene stays still
                return
        self.view.mouse = (x, y)
        if self.view.stroking in buttons:
            self._paint(x, y)
        elif self.view.scrubbing and LEFT in buttons:
            self._scrub(x)
        elif RIGHT in buttons:
            self.rig.drag(dx, dy)

    def mouse_press(self, x: float, y: float, button: str) -> None:
        if self.panel is not None and self.panel.mouse_button(x, y, button, True):
            return
        if self._press_panel(x, y, button):  # a panel takes its clicks, whatever is behind it
            return
        if self.session.drawing is not None and not self._on_timeline(x, y) and self._paint(x, y, button):
            return
        if button != LEFT:
            return
        if (self.overlay is not None and self.view.hud_visible  # the button is the HUD's: drawn only with it
                and contains(draw_button_rect(*self.hud_size, self.session.input_shape), x, y)):
            self.session.toggle_drawing()
            return
        if self._on_timeline(x, y):
            self.view.scrubbing = True
            self._scrub(x)
            return
        self.view.selected = self._pick(x, y)
        self.session.say("selection cleared" if self.view.selected is None else self._describe(self.view.selected))

    def mouse_release(self, x: float, y: float, button: str) -> None:
        if self.panel is not None and self.panel.mouse_button(x, y, button, False):
            return
        if button == LEFT:
            self.view.scrubbing = False
        if button == self.view.stroking:
            self.view.stroking = None
            if self.session.drawing is not None:
                self.session.drawing.end_stroke()

    def _paint(self, x: float, y: float, button: str | None = None) -> bool:
        """Paint (left) or erase (right) where the mouse ray meets the input grid; a press must land on it."""
        drawing = self.session.drawing
        width, height = self.window_size
        origin, direction = self.rig.camera.ray(x, y, width, height)
        point = self.layout.sheet_point(0, origin, direction)
        if drawing is None or point is None:
            return False
        if button is not None:  # a new stroke starts only on the grid (with a little slack)
            rows, cols = self.layout.layer_shapes[0]
            if not (-1 <= point[0] <= rows and -1 <= point[1] <= cols):
                return False
            self.view.stroking = button
        drawing.stroke(*point, erase=self.view.stroking == RIGHT)
        return True

    def _on_timeline(self, x: float, y: float) -> bool:
        if not self.view.hud_visible or not len(self.session.history):
            return False
        left, bottom, width, height = bar_rect(*self.hud_size)
        return left <= x <= left + width and bottom <= y <= bottom + height

    def _scrub(self, x: float) -> None:
        left, _, width, _ = bar_rect(*self.hud_size)
        session = self.session
        session.timeline.replaying = False
        session.look_back(lambda: session.timeline.scrub((x - left) / width, self._axis_end()))

    def _axis_end(self) -> int:
        """Samples seen at the timeline's right end: live training, or the end of a loaded run."""
        history = self.session.history
        last = history[len(history) - 1].samples_seen if len(history) else 0
        return max(self.session.trainer.samples_seen, last)

    def scroll(self, clicks: float, x: float | None = None, y: float | None = None) -> None:
        if x is not None and y is not None and self.panel is not None and self.panel.scroll(clicks, x, y):
            return
        if x is not None and y is not None and self._scroll_gallery(clicks, x, y):
            return
        self.session.say(self.rig.scroll(clicks))

    def resize(self, window_size: tuple[int, int], framebuffer_size: tuple[int, int] | None = None) -> None:
        self.window_size = tuple(window_size)
        self.framebuffer_size = tuple(framebuffer_size or window_size)
        if self.panel is not None:
            self.panel.window_size = self.window_size
        self._update_open_area()
        if min(self.window_size) > 0:  # not while minimised
            self.rig.reframe_if_home(self._aspect())
        if self.overlay is not None:
            self.overlay.resize(*self.hud_size)

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
            "toggle_pause": self._toggle_pause,
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
            "toggle_recording": self._toggle_recording,
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
            "time_back": lambda: session.look_back(lambda: session.timeline.step(-1)),
            "time_forward": self._time_forward,
            "time_start": lambda: session.look_back(session.timeline.to_start),
            "time_live": self._time_live,
            "toggle_replay": self._toggle_replay,
            "replay_speed": lambda: session.say(f"replay: {session.timeline.cycle_speed():g} snapshots per second"),
            "resume_here": session.resume_here,
            "cycle_line_mode": session.cycle_line_mode,
            "toggle_drawing": session.toggle_drawing,
            "clear_drawing": session.clear_drawing,
            "toggle_confusion": self._toggle_confusion,
            "toggle_gallery": self._toggle_gallery,
            "toggle_panel": self._toggle_panel,
            "add_neuron": lambda: self.editor.add_neuron_to_selection(),
            "remove_neuron": lambda: self.editor.remove_neuron(),
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
        if not self.session.timeline.live:  # looking back: N, like →, moves one snapshot on
            self._time_forward()
            return
        if not self.session.paused:
            self.session.toggle_pause()
        self.session.step_batch()

    def _toggle_pause(self) -> None:
        """Space while looking back returns to live and trains on."""
        session = self.session
        if not session.timeline.live:
            session.timeline.to_live()
            session.paused = True
        session.toggle_pause()

    def _time_forward(self) -> None:
        timeline = self.session.timeline
        if timeline.live:
            self._step_batch()
            return
        timeline.step(+1)
        if timeline.live:
            self.session.say("live again: Space resumes training")

    def _time_live(self) -> None:
        if self.session.timeline.live:
            self.session.say("already live")
            return
        self.session.timeline.to_live()
        self.session.say("live again: Space resumes training")

    def _toggle_replay(self) -> None:
        session, timeline = self.session, self.session.timeline
        if timeline.replaying:
            timeline.toggle_replay()
            session.say("replay stopped")
            return
        session.look_back(timeline.toggle_replay)
        session.say(f"replaying the run at {timeline.speed:g} snapshots per second (Shift+B: speed)"
                    if timeline.replaying else "nothing recorded yet")

    def _step_epoch(self) -> None:
        if not self.session.paused:
            self.session.toggle_pause()
        self.session.step_epoch()  # trained over the next frames, at max speed

    def _load(self) -> None:
        """The weights saved last in this session, else --load FILE (or --history RUN); else the control
        panel's "Load weights" field takes a path. Never the newest file of a folder: whoever can write
        there would choose what is loaded."""
        path = self.session.last_saved or self.load_path
        if path is not None:
            self.load_file(path)
            return
        nothing = f"nothing saved ({keymap.key_label('save')}) in this session and no --load FILE"
        if self.panel is None:
            self.session.say(f"{nothing}: nothing to load")
            return
        if not self.panel.visible:
            self._toggle_panel()
        self.panel.focus_load_path()
        self.session.say(f"{nothing}: type the file's path into the panel's Load weights field, then Enter")

    def load_typed_path(self, text: str) -> None:
        """The control panel's Load weights field: a path as typed ("~" for the home directory)."""
        if not text.strip():
            self.session.say("type the path of a weight (.npz) or run file first")
            return
        self.load_file(Path(os.path.expanduser(text)))  # unlike Path.expanduser, never raises ("~nobody")

    def load_file(self, path: Path) -> None:
        """Load weights or a run (any failure is the session's to report: the session goes on unchanged)."""
        if self.session.load(path):
            self._follow_activation()

    def _request_screenshot(self) -> None:
        self._screenshot_requested = True

    def _save_screenshot(self) -> None:
        self._screenshot_requested = False
        try:
            # Created exclusively under the first free name (a link planted at one is never written through).
            path = save_new_png(timestamped(self.screenshot_dir, "nnviz", ".png"), self.target.read_rgb())
        except NnvizError as error:  # a full disk or a vanished directory must not end the session
            self.session.say(f"could not save the screenshot: {error}")
            return
        self.last_screenshot = str(path)
        print(f"nnviz: screenshot saved to {path}", flush=True)
        self.session.say(f"screenshot saved to {path}")

    def _toggle_recording(self) -> None:
        if self.recorder is not None:
            self.stop_recording()
            return
        path = timestamped(self.screenshot_dir, "nnviz", ".mp4")  # the recorder takes the next free name
        try:
            self.recorder = LiveRecording(path, self.framebuffer_size, self._clock)
        except NnvizError as error:
            self.session.say(f"could not record: {error}")
            return
        self.session.say(f"recording to {path}: F9 stops")

    def _record(self, target: OffscreenTarget) -> None:
        if tuple(target.size) != tuple(self.recorder.size):
            self.stop_recording("the window changed size: recording stopped")
            return
        try:
            self.recorder.add(target.read_rgb())
        except NnvizError as error:
            self.stop_recording(f"recording stopped: {error}")

    def stop_recording(self, reason: str | None = None) -> None:
        if self.recorder is None:
            return
        recorder, self.recorder = self.recorder, None
        try:
            done = recorder.close()
        except NnvizError as error:
            self.session.say(f"could not finish the recording: {error}")
            return
        self.session.say(reason or done)

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
        self._update_open_area()  # no reframing: U is for a clean screenshot of the view as it is

    def _update_open_area(self) -> None:
        """Home and F frame the network where no panel covers it (the whole view with the HUD hidden)."""
        width, height = self.window_size
        hud_width = self.hud_size[0]
        if self.overlay is None or not self.view.hud_visible:
            area = FULL_VIEW
        else:
            area = open_area(hud_width, height, self.session.input_shape)
        # The HUD's area is the window left of the control panel: its x runs over hud_width, not width.
        left, bottom, right, top = area
        scale = hud_width / max(width, 1)
        self.rig.area = ((left + 1) * scale - 1, bottom, (right + 1) * scale - 1, top)

    @property
    def quality_label(self) -> str:
        """The profile, and the scene's resolution when it is drawn smaller: "fast 75%"."""
        scale = self.resolution.scale
        return self.quality.name + (f" {scale:.0%}" if scale < 1.0 else "")

    @property
    def hud_size(self) -> tuple[int, int]:
        """The part of the window the HUD lays itself out in: left of the control panel."""
        width, height = self.window_size
        panel = self.panel.width(width) if self.panel is not None else 0
        return max(width - panel, 1), height

    def _toggle_panel(self) -> None:
        if self.panel is None:
            return
        self.panel.visible = not self.panel.visible
        self.resize(self.window_size, self.framebuffer_size)

    def _selected_layer_index(self) -> tuple[int, int] | None:
        return None if self.view.selected is None else self.layout.layer_of_neuron(self.view.selected)

    def _reshape(self, result) -> None:
        """The network changed: colours follow its activations; a new shape gets a new layout, glided into."""
        self._follow_activation()
        if result is None or tuple(result.config.layers) == tuple(self.layout.layer_sizes):
            return
        old = self.layout
        new = layout_network(result.config.layers, input_shape=self.session.input_shape)
        sources = result.layer_sources()
        starts = start_positions([old.layer_positions(k) for k in range(old.num_layers)],
                                 [new.layer_positions(k) for k in range(new.num_layers)], sources)
        selected = self._selected_layer_index()
        self.view.selected = None
        if selected is not None:
            for k, (old_layer, old_index) in enumerate(sources):
                if old_layer == selected[0] and selected[1] in old_index:
                    self.view.selected = new.neuron_index(k, int(np.flatnonzero(old_index == selected[1])[0]))
        self.renderer.rebuild(new)
        self.layout = self.rig.layout = new
        self.rig.reframe_if_home(self._aspect())
        self.view.hovered = None
        self.glide = NeuronGlide(starts, new.positions, self._clock)
        self.renderer.move_neurons(starts)

    def _toggle_help(self) -> None:
        self.view.help_visible = not self.view.help_visible

    def _quit(self) -> None:
        if self.view.help_visible:
            self.view.help_visible = False
        elif self.view.mouse_captured:
            self._capture_mouse(False)
        elif self.host is not None and self.may_quit():
            self.host.close()

    def may_quit(self) -> bool:
        """Whether closing the window now loses nothing, or was asked for twice.

        Training since the last save (or load) is lost on closing: the first request says so and is
        refused; another within QUIT_CONFIRM_SECONDS closes. The window's close button asks this too."""
        unsaved, now = self.session.samples_since_save, self._clock()
        asked_at, self._quit_asked_at = self._quit_asked_at, now
        if unsaved == 0 or (asked_at is not None and now - asked_at <= QUIT_CONFIRM_SECONDS):
            return True
        self.session.say(f"training not saved ({unsaved:,} samples since the last save): "
                         f"{keymap.key_label('save')} saves, {keymap.key_label('quit')} again quits")
        return False

    def _capture_mouse(self, captured: bool) -> None:
        self.view.mouse_captured = captured
        if self.host is not None:
            self.host.set_mouse_captured(captured)
        self.session.say("mouse look: move the mouse to look, Tab or Esc to release" if captured
                         else "mouse released")

    # ------------------------------------------------------ analysis panels
    def _toggle_confusion(self) -> None:
        self._toggle_analysis_panel("confusion_visible", "confusion matrix: click a cell for a test digit of that kind")

    def _toggle_gallery(self) -> None:
        self._toggle_analysis_panel("gallery_visible", "receptive fields: click a tile to select its neuron")

    def _toggle_analysis_panel(self, flag: str, hint: str) -> None:
        """Show or hide a HUD panel (ViewState.`flag`); on showing, say how to use it (and that U shows the HUD)."""
        view = self.view
        shown = not getattr(view, flag)
        setattr(view, flag, shown)
        if shown:
            self.session.say(hint + ("" if view.hud_visible else " (U shows the HUD)"))

    def _panels(self) -> tuple[tuple[float, float, float, float] | None, hud_layout.GalleryGrid | None]:
        """The confusion panel's rect and the gallery's grid as on screen now; None for one not shown."""
        view, sizes = self.view, self.layout.layer_sizes
        if not view.hud_visible:
            return None, None
        return hud_layout.analysis_panels(*self.hud_size, self.session.input_shape,
                                          sizes[-1] if view.confusion_visible else None,
                                          sizes[1] if view.gallery_visible else None)

    def _gallery_first(self, grid: hud_layout.GalleryGrid | None = None) -> int:
        """The first neuron on the gallery's page (the scroll position, kept within the layer)."""
        grid = grid or self._panels()[1]
        if grid is None:
            return 0
        rows = -(-self.layout.layer_sizes[1] // grid.columns)
        self.view.gallery_scroll = min(max(self.view.gallery_scroll, 0.0), float(max(rows - grid.rows, 0)))
        return int(self.view.gallery_scroll) * grid.columns

    def _gallery_tile_neuron(self, grid: hud_layout.GalleryGrid, x: float, y: float) -> int | None:
        """The layer-1 neuron whose tile is at window point (x, y)."""
        slot = hud_layout.gallery_tile_at(grid, x, y)
        neuron = None if slot is None else self._gallery_first(grid) + slot
        return neuron if neuron is not None and neuron < self.layout.layer_sizes[1] else None

    def _press_panel(self, x: float, y: float, button: str) -> bool:
        """A press on a panel: a cell shows a digit of its kind, a tile selects its neuron. True if on one."""
        matrix, gallery = self._panels()
        if matrix is not None and hud_layout.contains(matrix, x, y):
            cell = hud_layout.confusion_cell_at(matrix, self.layout.layer_sizes[-1], x, y)
            if button == LEFT and cell is not None:
                self.session.show_test_digit(*cell)
            return True
        if gallery is not None and hud_layout.contains(gallery.rect, x, y):
            neuron = self._gallery_tile_neuron(gallery, x, y)
            if button == LEFT and neuron is not None:  # as a click on its sphere does
                self.view.selected = self.layout.neuron_index(1, neuron)
                self.session.say(self._describe(self.view.selected))
            return True
        return False

    def _scroll_gallery(self, clicks: float, x: float, y: float) -> bool:
        """The wheel over the gallery scrolls it a row a click (up: earlier neurons). True if it was over it."""
        gallery = self._panels()[1]
        if gallery is None or not hud_layout.contains(gallery.rect, x, y):
            return False
        self.view.gallery_scroll -= clicks
        self._gallery_first(gallery)  # clamps
        return True

    def _panel_hover(self) -> tuple[bool, int | None]:
        """Whether the mouse is over a panel, and the neuron (layout index) of the gallery tile under it."""
        mouse = self.view.mouse
        if mouse is None or self.view.mouse_captured:
            return False, None
        matrix, gallery = self._panels()
        if gallery is not None and hud_layout.contains(gallery.rect, *mouse):
            neuron = self._gallery_tile_neuron(gallery, *mouse)
            return True, None if neuron is None else self.layout.neuron_index(1, neuron)
        return matrix is not None and hud_layout.contains(matrix, *mouse), None

    def _class_names(self) -> list[str]:
        return [self.session.class_name(i) for i in range(self.layout.layer_sizes[-1])]

    def _confusion_panel(self) -> ConfusionState | None:
        matrix = self._panels()[0]
        if matrix is None:
            return None
        mouse, session = self.view.mouse, self.session
        hovered = None if mouse is None else hud_layout.confusion_cell_at(matrix, self.layout.layer_sizes[-1], *mouse)
        frame = self.frame
        shown = None  # the test digit on show, as a cell
        if frame is not None and session.sample_index is not None and frame.predicted_class is not None:
            shown = (frame.true_class, frame.predicted_class)
        return panels.confusion_state(session.confusion.result, session.confusion.progress, self._class_names(),
                                      matrix, hovered, loaded=session.dataset is not None,
                                      chars=self._panel_chars(matrix), shown=shown)

    def _gallery_panel(self) -> GalleryState | None:
        grid = self._panels()[1]
        if grid is None or self.frame is None:
            return None
        total = self.layout.layer_sizes[1]
        first = self._gallery_first(grid)
        tiles = self.gallery_tiles.tiles(self.frame.weight_matrix(0), first, min(grid.page, total - first),
                                         self.session.input_shape, self.style.colormap)
        selected = None
        if self.view.selected is not None:
            layer, index = self.layout.layer_of_neuron(self.view.selected)
            selected = index if layer == 1 else None
        mouse = self.view.mouse
        hovered = None if mouse is None else self._gallery_tile_neuron(grid, *mouse)
        return panels.gallery_state(tiles, grid, first, total, selected, hovered, chars=self._panel_chars(grid.rect))

    def _panel_chars(self, rect) -> int:
        return hud_layout.panel_chars(rect, hud_layout.panel_font_size(*self.hud_size))

    # ------------------------------------------------------------- state
    def state(self) -> dict:
        """What the app is doing, as plain JSON-ready values (end-to-end tests read it from outside)."""
        session, trainer, camera, view = self.session, self.session.trainer, self.rig.camera, self.view
        selected = None if view.selected is None else list(self.layout.layer_of_neuron(view.selected))
        confusion = session.confusion.result
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
            "layers": list(trainer.config.layers),
            "hidden_activations": list(trainer.config.hidden_activations()),
            "optimizer": trainer.config.optimizer,
            "batch_size": trainer.config.batch_size,
            "test_accuracy": session.test_accuracy,
            "last_edit_batches": self.editor.last_edit_batches,
            "panel": None if self.panel is None else {
                "visible": self.panel.visible, "rect": list(self.panel.rect()),
                "typing": self.panel.typing,
                "widgets": {name: list(rect) for name, rect in self.panel.widget_rects.items()}},
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
            "quality": self.quality_label,
            "draw_ms": 1000.0 * self.budget.draw_seconds,  # smoothed: drawing and showing a frame, waits included
            "draw_cpu_ms": 1000.0 * self.budget.cpu_seconds,  # of it, the app thread's work
            "raster_wait_ms": 1000.0 * (self.resolution.waiting or 0.0),  # smoothed time waiting for the rasteriser
            "render_ms": 1000.0 * self.draw_seconds,  # the last render() alone (CPU: on a GPU it is all of it)
            "panel_ms": 1000.0 * self.panel_seconds,
            "train_samples_per_second": self.rates.samples_per_second,
            "snapshots": len(session.history),
            "history_bytes": session.history.nbytes,  # the snapshots' memory (bench_soak.py tells it from a leak)
            "history_points": len(session.history.points),
            "samples_since_save": session.samples_since_save,
            "timeline_position": session.timeline.position,
            "replaying": session.timeline.replaying,
            "line_mode": session.line_mode,
            "recording": self.recorder is not None,
            "drawing": session.drawing is not None,
            # Grid cells the drawn digit inks (as drawn, not normalised): where the cursor went.
            "ink_cells": [] if session.drawing is None else np.flatnonzero(session.drawing.ink() > 127).tolist(),
            "predicted": None if self.frame is None else self.frame.predicted_class,
            "true_class": None if self.frame is None else self.frame.true_class,
            "confusion_visible": view.confusion_visible,
            "gallery_visible": view.gallery_visible,
            "gallery_first": self._gallery_first(),
            # The confusion matrix on show: rows true, columns predicted, and the moment it is of.
            "confusion": None if confusion is None else {"counts": confusion.counts.tolist(),
                                                          "live": confusion.moment[0],
                                                          "batches": confusion.moment[1]},
        }

    def release(self) -> None:
        self.stop_recording()
        if self.panel is not None:
            self.panel.release()
        for owned in (self.target, self.scene_target, self.upscaler):
            if owned is not None:
                owned.release()
        self.renderer.release()
