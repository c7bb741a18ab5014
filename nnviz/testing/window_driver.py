"""Drives the real nnviz window, for end-to-end tests, benchmarks and the docs' images.

Runs ``python -m nnviz`` as a subprocess on the current display and sends it
keys and clicks with xdotool, which must be installed (Debian package
xdotool). State is read from the app's debug file (NNVIZ_DEBUG_STATE),
written after every frame.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import nnviz
from nnviz.engine.camera import Camera
from nnviz.engine.layout import layout_network

#: The directory holding the nnviz package, so the subprocess imports this very copy of it.
IMPORT_ROOT = Path(nnviz.__file__).resolve().parent.parent


class App:
    def __init__(self, tmp_path: Path, *args: str, layers=(784, 16, 16, 10)):
        if not shutil.which("xdotool"):
            raise RuntimeError("xdotool is not installed (Debian package xdotool)")
        self.state_path = tmp_path / "state.json"
        self.screenshot_dir = tmp_path / "shots"
        self.screenshot_dir.mkdir()
        python_path = os.pathsep.join(filter(None, (str(IMPORT_ROOT), os.environ.get("PYTHONPATH"))))
        env = {**os.environ, "NNVIZ_DEBUG_STATE": str(self.state_path), "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": python_path}
        self.log_path = tmp_path / "app.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nnviz", "--seed", "0", "--no-vsync", "--fps", "30",
             "--screenshot-dir", str(self.screenshot_dir), *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
        )
        self.layout = layout_network(list(layers), input_shape=(28, 28))
        self.window = None
        self.window = self.wait_for_window()

    # ------------------------------------------------------------------ state
    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def wait_for(self, predicate, timeout: float = 60.0, what: str = "condition") -> dict:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            self.check_alive()
            if self.state_path.exists():
                try:
                    state = self.state()
                except (json.JSONDecodeError, OSError):
                    state = None
                if state is not None and predicate(state):
                    return state
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last state: {state}\n{self.log()}")

    @contextmanager
    def watch(self, interval: float = 0.002):
        """Collect every frame's state while the block runs (a thread reads the file after each new frame).

        Yields a list that fills with the states in frame order, one per frame
        seen; `frames` in each tells whether any was missed (the app writes the
        file after every frame, and a frame takes far longer than a read).
        """
        seen: list[dict] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    state = self.state()
                except (json.JSONDecodeError, OSError):
                    state = None
                if state is not None and (not seen or state["frames"] != seen[-1]["frames"]):
                    seen.append(state)
                time.sleep(interval)

        reader = threading.Thread(target=read, name="nnviz-state-watch", daemon=True)
        reader.start()
        try:
            yield seen
        finally:
            stop.set()
            reader.join()

    def wait_frames(self, count: int = 2) -> dict:
        start = self.wait_for(lambda s: True, what="first frame")["frames"]
        return self.wait_for(lambda s: s["frames"] >= start + count, what=f"{count} frames")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"nnviz exited with {self.process.returncode}:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    # ------------------------------------------------------------------ input
    def xdotool(self, *args: str) -> str:
        result = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)
        if result.returncode:
            raise AssertionError(f"xdotool {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip()

    def wait_for_window(self) -> str:
        self.wait_for(lambda s: s["frames"] >= 1, what="the window's first frame")
        return self.xdotool("search", "--sync", "--pid", str(self.process.pid), "--name", "^nnviz").splitlines()[0]

    def title(self) -> str:
        return self.xdotool("getwindowname", self.window)

    def key(self, *names: str) -> None:
        self.xdotool("key", "--window", self.window, *names)

    def screenshot(self) -> tuple[str, np.ndarray]:
        """Press P and wait for the new screenshot: (its path, its pixels as int)."""
        from nnviz.engine.image_io import load_png

        previous = self.state()["last_screenshot"]
        self.key("p")
        state = self.wait_for(lambda s: s["last_screenshot"] and s["last_screenshot"] != previous, what="a screenshot")
        return state["last_screenshot"], load_png(state["last_screenshot"]).astype(int)

    def hold(self, name: str, seconds: float) -> None:
        self.xdotool("keydown", "--window", self.window, name)
        time.sleep(seconds)
        self.xdotool("keyup", "--window", self.window, name)

    def click(self, x: float, y_up: float) -> tuple[int, int]:
        """Click at window point (x, y) with y up from the bottom, as pyglet counts; the pixel clicked (x, y up)."""
        height = self.state()["window_size"][1]
        column, row = int(round(x)), int(round(height - y_up))
        self.xdotool("mousemove", "--window", self.window, str(column), str(row), "click", "1")
        return column, height - row

    def move_mouse(self, x: float, y_up: float) -> None:
        height = self.state()["window_size"][1]
        self.xdotool("mousemove", "--window", self.window, str(int(round(x))), str(int(round(height - y_up))))

    # ---------------------------------------------------------- control panel
    def widget_rect(self, name: str, state: dict | None = None) -> tuple[float, float, float, float]:
        """A control-panel widget's rectangle (x0, y0, x1, y1), y up, as the app last laid it out."""
        state = state or self.state()
        panel = state["panel"]
        if not panel or not panel["visible"]:
            raise AssertionError(f"the control panel is not shown (F2 shows it); state: {panel}")
        if name not in panel["widgets"]:
            raise AssertionError(f"no widget {name!r} on the panel; it has {sorted(panel['widgets'])}")
        return tuple(panel["widgets"][name])

    def click_widget(self, name: str, fraction: float = 0.5) -> tuple[int, int]:
        """Click a panel widget at `fraction` of its width, half way up; the pixel clicked (x, y up).

        For a slider the rectangle is its frame, so `fraction` runs along the values."""
        x0, y0, x1, y1 = self.widget_rect(name)
        return self.click(x0 + (x1 - x0) * fraction, (y0 + y1) / 2)

    def choose(self, drop_down: str, option: str, timeout: float = 15.0) -> None:
        """Open a panel drop-down ("activation 1") and click one of its options ("relu")."""
        item = f"{drop_down}: {option}"
        frames = self.state()["frames"]
        with self.watch() as states:
            self.click_widget(drop_down)

            # The list opens a frame or two after the click (press and release take a frame each) and
            # finds its place on its second frame; an option's rectangle stays in the state after a list
            # closes. So: two frames in a row, well after the click, that agree on where the option is.
            def settled(_) -> bool:
                if len(states) < 2:
                    return False
                last, previous = states[-1], states[-2]
                rects = [s["panel"]["widgets"].get(item) for s in (previous, last)]
                return (previous["frames"] >= frames + 3 and last["frames"] == previous["frames"] + 1
                        and rects[0] is not None and rects[0] == rects[1])

            self.wait_for(settled, timeout, what=f"the {drop_down} drop-down open")
            rect = states[-1]["panel"]["widgets"][item]
        x0, y0, x1, y1 = rect
        self.click((x0 + x1) / 2, (y0 + y1) / 2)

    def resize(self, width: int, height: int) -> dict:
        self.xdotool("windowsize", "--sync", self.window, str(width), str(height))
        return self.wait_for(lambda s: s["window_size"] == [width, height], what=f"size {width}x{height}")

    # ----------------------------------------------------------------- camera
    def camera(self, state: dict) -> Camera:
        c = state["camera"]
        return Camera(position=np.array(c["position"]), yaw=c["yaw"], pitch=c["pitch"], fov=c["fov"],
                      near=c["near"], far=c["far"])

    def screen_position(self, layer: int, index: int, state: dict | None = None) -> tuple[float, float]:
        """Where a neuron's centre is in the window (y up), for the network's shape now (edits change it)."""
        state = state or self.state()
        if state.get("layers") and list(self.layout.layer_sizes) != list(state["layers"]):
            self.layout = layout_network(list(state["layers"]), input_shape=self.layout.layer_shapes[0])
        width, height = state["window_size"]
        point = self.layout.positions[self.layout.neuron_index(layer, index)]
        x, y = self.camera(state).project(point[None], width, height)[0]
        return float(x), float(y)

    # ------------------------------------------------------------------- stop
    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
