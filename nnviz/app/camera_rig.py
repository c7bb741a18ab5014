"""Fly and orbit controls on top of the engine's Camera; frame-rate independent."""

from __future__ import annotations

import math

import numpy as np

from nnviz.engine.camera import FULL_VIEW, Camera

LOOK_DEGREES_PER_PIXEL = 0.2
FAST_MULTIPLIER = 4.0
SCROLL_FACTOR = 1.15
MIN_SPEED, MAX_SPEED = 0.05, 500.0
PITCH_LIMIT = 89.0


class CameraRig:
    """Moves a Camera from held keys and mouse drags.

    Fly mode: WASD along the view, Q/E down/up, drag to look around.
    Orbit mode: drag to turn around the network's centre, WASD/QE still move.
    Speeds are in world units per second, scaled by the frame's dt.
    """

    def __init__(self, layout, aspect: float):
        self.layout = layout
        self.camera = Camera()
        self.orbit = False
        self.area = FULL_VIEW  # where on screen to frame the network: the part no panel covers
        self._home_pose = None  # the camera as Home last placed it
        self.reset(aspect)

    @property
    def centre(self) -> np.ndarray:
        lo, hi = self.layout.bounds()
        return (np.asarray(lo, np.float64) + np.asarray(hi, np.float64)) / 2.0

    @property
    def scene_size(self) -> float:
        lo, hi = self.layout.bounds()
        return float(np.linalg.norm(np.asarray(hi, np.float64) - np.asarray(lo, np.float64)))

    def reset(self, aspect: float) -> None:
        """Home: the default three-quarter view, at the default speed."""
        self.camera.apply_preset("default", self.layout, aspect, self.area)
        self.speed = self.scene_size / 4.0  # crossing the network takes about four seconds
        self._home_pose = self._pose()

    def reframe_if_home(self, aspect: float) -> None:
        """The view changed shape (a panel shown, a resize, a new layer): Home again, unless the user has
        moved the camera since Home placed it (then the view is theirs)."""
        if self._home_pose is not None and self._pose() == self._home_pose:
            speed = self.speed
            self.reset(aspect)
            self.speed = speed

    def _pose(self) -> tuple:
        camera = self.camera
        return tuple(float(v) for v in camera.position), float(camera.yaw), float(camera.pitch)

    def frame_all(self, aspect: float) -> None:
        """F: keep the viewing direction, move back until the whole network shows."""
        self.camera.frame_points(self.layout.positions, self.layout.radii, aspect, self.area)

    def toggle_orbit(self) -> str:
        self.orbit = not self.orbit
        if self.orbit:
            self._face(self.centre)
        return "orbit camera: drag to turn around the network" if self.orbit else "fly camera: WASD + drag to look"

    def _face(self, target: np.ndarray) -> None:
        offset = target - np.asarray(self.camera.position, np.float64)
        distance = float(np.linalg.norm(offset)) or 1.0
        self.camera.yaw = math.degrees(math.atan2(offset[0], -offset[2]))
        self.camera.pitch = math.degrees(math.asin(np.clip(offset[1] / distance, -1.0, 1.0)))

    # ---------------------------------------------------------------- input
    def move(self, dt: float, forward: float, right: float, up: float, fast: bool = False) -> None:
        """Each axis in -1..1 from held keys; dt in seconds."""
        if not (forward or right or up) or dt <= 0:
            return
        step = self.speed * (FAST_MULTIPLIER if fast else 1.0) * dt
        cam = self.camera
        world_up = np.array([0.0, 1.0, 0.0])
        cam.position = np.asarray(cam.position, np.float64) + step * (
            forward * cam.forward + right * cam.right + up * world_up
        )

    def drag(self, dx: float, dy: float) -> None:
        """Mouse motion in pixels while the look button is held."""
        cam = self.camera
        if self.orbit:
            centre = self.centre
            distance = float(np.linalg.norm(np.asarray(cam.position) - centre))
            yaw = cam.yaw - dx * LOOK_DEGREES_PER_PIXEL
            pitch = _clamp(cam.pitch - dy * LOOK_DEGREES_PER_PIXEL, -PITCH_LIMIT, PITCH_LIMIT)
            cam.look_at(centre, distance, yaw, pitch)
        else:
            cam.yaw += dx * LOOK_DEGREES_PER_PIXEL
            cam.pitch = _clamp(cam.pitch + dy * LOOK_DEGREES_PER_PIXEL, -PITCH_LIMIT, PITCH_LIMIT)

    def scroll(self, clicks: float) -> str:
        """Fly mode: change speed. Orbit mode: zoom towards the centre."""
        if self.orbit:
            centre = self.centre
            cam = self.camera
            distance = float(np.linalg.norm(np.asarray(cam.position) - centre)) * SCROLL_FACTOR ** (-clicks)
            cam.look_at(centre, max(distance, cam.near * 2), cam.yaw, cam.pitch)
            return f"distance {distance:.1f}"
        self.speed = _clamp(self.speed * SCROLL_FACTOR**clicks, MIN_SPEED, MAX_SPEED)
        return f"camera speed {self.speed:.1f}/s"


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)
