"""The pyglet window: a thin adapter that turns window events into calls on the app core and shows its frames."""

from __future__ import annotations

import json
import os
import sys
import time

import moderngl
import pyglet
from pyglet.window import key, mouse

from nnviz.app import keymap
from nnviz.app.core import LEFT, RIGHT, AppCore
from nnviz.app.frame_pacer import FramePacer
from nnviz.app.hud import Hud
from nnviz.errors import NnvizError
from nnviz.resources import asset_path

DEBUG_STATE_ENV = "NNVIZ_DEBUG_STATE"
_BUTTONS = {mouse.LEFT: LEFT, mouse.RIGHT: RIGHT}


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

    def __init__(self, session, *, target_fps, screenshot_dir, load_path, max_speed, quality="auto", stats=None,
                 **window_options):
        super().__init__(**window_options)
        self.set_icon(pyglet.image.load(str(asset_path("icon.png"))))
        self.ctx = moderngl.create_context(require=330)
        self.core = AppCore(
            session, self.ctx, window_size=(self.width, self.height), framebuffer_size=self.get_framebuffer_size(),
            screenshot_dir=screenshot_dir, load_path=load_path, target_fps=target_fps, max_speed=max_speed,
            quality=quality, on_screen=True, host=self, overlay=Hud(self.width, self.height, keymap.help_lines(), session.input_shape),
        )
        self.target_fps = self.core.target_fps  # the profile's when none was asked for
        self._debug_path = os.environ.get(DEBUG_STATE_ENV)
        self._shown_seconds = self._shown_cpu_seconds = 0.0
        self._frame_due: float | None = None  # when the frame being drawn was due (FramePacer)
        self.stats = stats  # told of every frame: nnviz.commands.window.RunStats, for --stats

    def run(self, exit_after: float | None = None) -> None:
        """The event loop, until the window closes; exit_after: close it after that many seconds."""
        if exit_after is not None:  # for measurements and scripts: closes without asking about unsaved training
            pyglet.clock.schedule_once(lambda dt: self.close(), exit_after)
        self._pacer = FramePacer(self.target_fps, time.perf_counter())
        pyglet.clock.schedule_once(self._next_frame, 0.0)
        try:
            pyglet.app.run(None)  # frames are scheduled by the pacer, one at a time
        finally:  # also when SIGTERM (nnviz.cli) or an error ends the loop: the video so far keeps its name
            self.core.stop_recording()

    def _next_frame(self, dt: float) -> None:
        if self.has_exit:
            return
        self._frame_due = self._pacer.due
        self.draw(dt)
        pyglet.clock.schedule_once(self._next_frame, self._pacer.next_delay(time.perf_counter()))

    # ------------------------------------------------------------ frames
    def on_draw(self) -> None:
        core = self.core
        core.draw_then_train(_flush, self._present, due=self._frame_due)
        if self.stats is not None:
            self.stats.count(core.session.trainer.samples_seen, core.session.dataset is not None)
        if self._debug_path:
            _write_json(self._debug_path, core.state())

    def _present(self) -> None:
        """Copy the frame to the window (unless it was drawn there); flip() swaps it in."""
        core = self.core
        start, cpu_start = time.perf_counter(), time.thread_time()
        if core.target is not None:
            core.target.blit_to(self.ctx.screen)
        self._shown_seconds = core.draw_seconds + time.perf_counter() - start
        self._shown_cpu_seconds = core.draw_cpu_seconds + time.thread_time() - cpu_start

    def flip(self) -> None:
        # The swap is part of what a frame costs (a software renderer copies the image here).
        start, cpu_start = time.perf_counter(), time.thread_time()
        super().flip()
        seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
        self.core.record_frame_cost(self._shown_seconds + seconds, self._shown_cpu_seconds + cpu_seconds)
        self.core.record_swap_wait(max(seconds - cpu_seconds, 0.0))

    # ------------------------------------------------------------ input
    def on_key_press(self, symbol, modifiers):
        self.core.key_press(key.symbol_string(symbol), shift=bool(modifiers & key.MOD_SHIFT))
        return pyglet.event.EVENT_HANDLED  # Esc is the core's to decide, not pyglet's default close

    def on_text(self, text):
        self.core.text_input(text)

    def on_key_release(self, symbol, modifiers):
        self.core.key_release(key.symbol_string(symbol))

    def on_deactivate(self):
        self.core.release_all_keys()

    def on_mouse_press(self, x, y, button, modifiers):
        if button in _BUTTONS:
            self.core.mouse_press(x, y, _BUTTONS[button])

    def on_mouse_release(self, x, y, button, modifiers):
        if button in _BUTTONS:
            self.core.mouse_release(x, y, _BUTTONS[button])

    def on_mouse_motion(self, x, y, dx, dy):
        self.core.mouse_motion(x, y, dx, dy)

    def on_mouse_leave(self, x, y):
        self.core.mouse_leave()

    def on_mouse_drag(self, x, y, dx, dy, buttons, modifiers):
        self.core.mouse_drag(x, y, dx, dy, {name for bit, name in _BUTTONS.items() if buttons & bit})

    def on_mouse_scroll(self, x, y, scroll_x, scroll_y):
        self.core.scroll(scroll_y, x, y)

    def on_resize(self, width, height):
        super().on_resize(width, height)
        self.core.resize((width, height), self.get_framebuffer_size())

    def on_close(self):
        """The close button: as Esc, refused once while training is unsaved (AppCore.may_quit)."""
        if self.core.may_quit():
            self.close()
        return pyglet.event.EVENT_HANDLED

    def close(self) -> None:
        """Close for good (Esc, the close button, --exit-after): the event loop ends and run_app returns, so
        Python exits normally (its exit handlers run: a download's partial file is removed)."""
        core = getattr(self, "core", None)  # None: the window failed to open
        if core is not None:
            core.stop_recording()  # the video is finished and keeps its name
        self.has_exit = True  # no frame is drawn after this
        super().close()
        pyglet.app.exit()

    # -------------------------------------------------- the core's host
    def set_mouse_captured(self, captured: bool) -> None:
        self.set_exclusive_mouse(captured)


def _flush() -> None:
    """glFlush: hand the frame to the rasteriser. pyglet checks glGetError after every call, so an error
    left by any earlier call (moderngl's, ImGui's) would surface here and close the window: report, go on."""
    try:
        pyglet.gl.glFlush()
    except pyglet.gl.GLException as error:
        print(f"nnviz: OpenGL reported an error before this frame's flush: {error}", file=sys.stderr)


def _write_json(path: str, state: dict) -> None:
    """Atomically, so a reader never sees half a file."""
    temp = f"{path}.tmp"
    with open(temp, "w") as handle:
        json.dump(state, handle)
    os.replace(temp, path)
