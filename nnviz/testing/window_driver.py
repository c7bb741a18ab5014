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
import time
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

    def click(self, x: float, y_up: float) -> None:
        """Click at window point (x, y) with y up from the bottom, as pyglet counts."""
        height = self.state()["window_size"][1]
        self.xdotool("mousemove", "--window", self.window, str(int(round(x))), str(int(round(height - y_up))),
                     "click", "1")

    def resize(self, width: int, height: int) -> dict:
        self.xdotool("windowsize", "--sync", self.window, str(width), str(height))
        return self.wait_for(lambda s: s["window_size"] == [width, height], what=f"size {width}x{height}")

    # ----------------------------------------------------------------- camera
    def camera(self, state: dict) -> Camera:
        c = state["camera"]
        return Camera(position=np.array(c["position"]), yaw=c["yaw"], pitch=c["pitch"], fov=c["fov"],
                      near=c["near"], far=c["far"])

    def screen_position(self, layer: int, index: int, state: dict | None = None) -> tuple[float, float]:
        state = state or self.state()
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
