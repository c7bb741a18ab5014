"""A yaw/pitch perspective camera, its named presets, and picking rays.

Conventions: +y is up. yaw = 0, pitch = 0 looks along -z; positive yaw turns
towards +x (right), positive pitch looks up. Matrices follow pyrr (row
vectors: clip = [x, y, z, 1] @ view @ projection); their bytes are exactly
what a GLSL mat4 expects. Window coordinates have x to the right and y UP
from the bottom edge, like pyglet's mouse events; pixel (i, j) of an image
with row 0 at the top is window point (i + 0.5, height - j - 0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from pyrr import matrix44

from nnviz.errors import NnvizError

# (yaw, pitch) in degrees, and which bounds to frame.
PRESETS: dict[str, tuple[float, float, str]] = {
    "default": (45.0, -20.0, "network"),  # three-quarter view from the front left, input on the left
    "front": (0.0, 0.0, "network"),       # layers side by side; the input sheet is seen edge-on
    "side": (90.0, 0.0, "network"),       # from the input end along +x: the digit reads, layers stack behind
    "top": (0.0, -70.0, "network"),       # from above, input on the left; tilted so columns do not collapse to dots
    "input": (90.0, 0.0, "input"),        # facing the input grid so the digit reads correctly
}
PRESET_NAMES = tuple(PRESETS)
FRAME_MARGIN = 1.06
FULL_VIEW = (-1.0, -1.0, 1.0, 1.0)  # the whole view, in normalised device coordinates


@dataclass
class Camera:
    position: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 10.0]))
    yaw: float = 0.0  # degrees
    pitch: float = 0.0  # degrees
    fov: float = 40.0  # vertical field of view, degrees
    near: float = 0.5
    far: float = 1000.0

    # -- orientation --------------------------------------------------------

    @property
    def forward(self) -> np.ndarray:
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        return np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch), -math.cos(pitch) * math.cos(yaw)])

    @property
    def right(self) -> np.ndarray:
        # From yaw alone, so it stays defined looking straight up or down.
        yaw = math.radians(self.yaw)
        return np.array([math.cos(yaw), 0.0, math.sin(yaw)])

    @property
    def up(self) -> np.ndarray:
        return np.cross(self.right, self.forward)

    # -- matrices -------------------------------------------------------

    def view_matrix(self) -> np.ndarray:
        eye = np.asarray(self.position, dtype=np.float64)
        return matrix44.create_look_at(eye, eye + self.forward, self.up, dtype=np.float32)

    def projection_matrix(self, aspect: float) -> np.ndarray:
        return matrix44.create_perspective_projection(self.fov, aspect, self.near, self.far, dtype=np.float32)

    # -- placement --------------------------------------------------------

    def look_at(self, target, distance: float, yaw: float, pitch: float) -> None:
        """Orbit placement: look at `target` from `distance` with the given angles."""
        self.yaw, self.pitch = float(yaw), float(pitch)
        self.position = np.asarray(target, dtype=np.float64) - self.forward * float(distance)

    def frame(self, bounds, aspect: float) -> None:
        """Keep the angles; move so the box `bounds` = (min_xyz, max_xyz) fills the view."""
        lo, hi = (np.asarray(b, dtype=np.float64) for b in bounds)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        self.frame_points(corners, np.zeros(len(corners)), aspect)

    def frame_points(self, centers, radii, aspect: float, area: tuple[float, float, float, float] = FULL_VIEW) -> None:
        """Keep the angles; take the nearest position that shows every sphere, centred in `area`.

        `area` is (x0, y0, x1, y1) in normalised device coordinates (the whole
        view is (-1, -1, 1, 1)): the part of the screen no panel covers.
        In camera coordinates (side s, height h, depth d along forward), a
        sphere is right of the area's left edge when its centre is at least
        its radius from the plane s - s_cam = x0 tan_x (d - d_cam), the same
        for the other three edges. Each edge is a linear constraint on the
        camera's (side, depth): the nearest camera meets the two extreme side
        constraints (or the two height ones) with equality, in closed form,
        off-centre areas included.
        """
        centers = np.atleast_2d(np.asarray(centers, dtype=np.float64))
        radii = np.asarray(radii, dtype=np.float64)
        tan_half = math.tan(math.radians(self.fov) / 2.0)
        right, up, forward = self.right, self.up, self.forward
        side, height, depth = centers @ right, centers @ up, centers @ forward
        x0, y0, x1, y1 = _shrunk(area, FRAME_MARGIN)
        x_range = _axis_range(side, depth, radii, x0 * tan_half * aspect, x1 * tan_half * aspect)
        y_range = _axis_range(height, depth, radii, y0 * tan_half, y1 * tan_half)
        camera_depth = min(x_range.nearest_depth, y_range.nearest_depth, float(np.min(depth - radii)) - self.near)
        camera_side = x_range.centred(side, depth, radii, camera_depth)
        camera_height = y_range.centred(height, depth, radii, camera_depth)
        self.position = camera_side * right + camera_height * up + camera_depth * forward
        # Never clip the framed scene (the default far plane is generous already).
        self.far = max(self.far, 2.0 * (float(np.max(depth + radii)) - camera_depth))

    def apply_preset(self, name: str, layout, aspect: float, area: tuple[float, float, float, float] = None) -> None:
        """One of PRESETS, framed on the network layout (or its input layer for "input"), in `area` (NDC)."""
        area = area or FULL_VIEW
        try:
            yaw, pitch, target = PRESETS[name]
        except KeyError:
            raise NnvizError(f"unknown camera preset '{name}'; choose one of: {', '.join(PRESETS)}") from None
        self.yaw, self.pitch = yaw, pitch
        if target == "input":
            lo, hi = layout.layer_offsets[0], layout.layer_offsets[1]
            self.frame_points(layout.positions[lo:hi], layout.radii[lo:hi], aspect, area)
        else:
            self.frame_points(layout.positions, layout.radii, aspect, area)

    @classmethod
    def preset(cls, name: str, layout, aspect: float, **settings) -> "Camera":
        camera = cls(**settings)
        camera.apply_preset(name, layout, aspect)
        return camera

    # -- screen <-> world ---------------------------------------------------

    def project(self, points, width: int, height: int) -> np.ndarray:
        """(N, 3) world points -> (N, 2) window coordinates (x right, y up); NaN behind the camera."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        clip = np.c_[points, np.ones(len(points))] @ (self.view_matrix().astype(np.float64) @ self.projection_matrix(width / height))
        with np.errstate(divide="ignore", invalid="ignore"):
            ndc = clip[:, :2] / clip[:, 3:4]
        ndc[clip[:, 3] <= 0] = np.nan
        return np.c_[(ndc[:, 0] + 1.0) * 0.5 * width, (ndc[:, 1] + 1.0) * 0.5 * height]

    def ray(self, x_px: float, y_px: float, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """World-space (origin, unit direction) through window point (x_px, y_px), y up from the bottom."""
        ndc_x = 2.0 * x_px / width - 1.0
        ndc_y = 2.0 * y_px / height - 1.0
        tan_y = math.tan(math.radians(self.fov) / 2.0)
        direction = self.forward + self.right * (ndc_x * tan_y * width / height) + self.up * (ndc_y * tan_y)
        return np.asarray(self.position, dtype=np.float64).copy(), direction / np.linalg.norm(direction)


def _shrunk(area, margin: float) -> tuple[float, float, float, float]:
    """The area shrunk about its centre by `margin`: room left around the framed scene."""
    x0, y0, x1, y1 = area
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 / margin, (y1 - y0) / 2 / margin
    return cx - hw, cy - hh, cx + hw, cy + hh


class _AxisRange:
    """One screen axis's constraints on the camera: offset >= low + low_slope * depth_cam (the far edge),
    offset <= high + high_slope * depth_cam (the near edge), slopes the edges' tangents."""

    def __init__(self, low: float, low_slope: float, high: float, high_slope: float):
        self.low, self.low_slope, self.high, self.high_slope = low, low_slope, high, high_slope

    @property
    def nearest_depth(self) -> float:
        # Both edges hold while low + k1 d <= high + k0 d, i.e. d <= (high - low) / (k1 - k0).
        return (self.high - self.low) / (self.low_slope - self.high_slope)

    def centred(self, offsets, depth, radii, camera_depth: float) -> float:
        """The camera offset within the allowed range that puts the spheres' projected extent in the middle."""
        lowest = self.low + self.low_slope * camera_depth
        highest = self.high + self.high_slope * camera_depth
        offset = (lowest + highest) / 2.0
        distance = depth - camera_depth
        target = (self.low_slope + self.high_slope) / 2.0  # the area's centre, as a tangent
        for _ in range(4):  # secant steps: spheres at different depths make the extent off-centre
            first = np.min((offsets - radii - offset) / distance)
            last = np.max((offsets + radii - offset) / distance)
            offset += ((first + last) / 2.0 - target) * float(np.median(distance))
        return min(max(offset, lowest), highest)


def _axis_range(offsets, depth, radii, edge0: float, edge1: float) -> _AxisRange:
    """Constraints from the edges at tangents edge0 < edge1: a sphere needs r * sqrt(1 + k^2) of room
    from the plane offset - o_cam = k (d - d_cam), its centre's distance scaled to the offset axis."""
    pad0, pad1 = radii * math.sqrt(1.0 + edge0**2), radii * math.sqrt(1.0 + edge1**2)
    # Inside the far (edge1) plane: o - o_cam <= edge1 (d - d_cam) - pad1  =>  o_cam >= o + pad1 - edge1 d + edge1 d_cam.
    low = float(np.max(offsets + pad1 - edge1 * depth))
    # Inside the near (edge0) plane: o - o_cam >= edge0 (d - d_cam) + pad0  =>  o_cam <= o - pad0 - edge0 d + edge0 d_cam.
    high = float(np.min(offsets - pad0 - edge0 * depth))
    return _AxisRange(low, edge1, high, edge0)
