"""Camera maths: projection centre, picking rays, presets that frame the network."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.engine.camera import PRESET_NAMES, Camera
from nnviz.engine.layout import layout_network
from nnviz.engine.picking import pick_sphere
from nnviz.errors import NnvizError

WIDTH, HEIGHT = 640, 360


@pytest.fixture(scope="module")
def layout():
    return layout_network([784, 16, 16, 10], input_shape=(28, 28))


@pytest.mark.parametrize("yaw, pitch", [(0, 0), (45, -20), (-120, 30), (90, -89), (200, 60)])
def test_target_projects_to_the_viewport_centre(yaw, pitch):
    camera = Camera()
    target = np.array([3.0, -2.0, 7.0])
    camera.look_at(target, 25.0, yaw, pitch)
    assert np.allclose(camera.project(target, WIDTH, HEIGHT)[0], [WIDTH / 2, HEIGHT / 2], atol=1e-3)
    assert np.isclose(np.linalg.norm(camera.position - target), 25.0)


def test_axes_are_a_right_handed_orthonormal_frame():
    camera = Camera(yaw=30.0, pitch=-25.0)
    basis = np.array([camera.right, camera.up, -camera.forward])
    assert np.allclose(basis @ basis.T, np.eye(3), atol=1e-9)
    assert np.isclose(np.linalg.det(basis), 1.0)
    # Something to the camera's right appears on the right of the window, above appears above.
    camera.look_at([0, 0, 0], 10.0, 30.0, -25.0)
    right_px, up_px = camera.project([camera.right, camera.up], WIDTH, HEIGHT)
    assert right_px[0] > WIDTH / 2 and up_px[1] > HEIGHT / 2


def test_ray_through_a_projected_sphere_centre_hits_that_sphere(layout):
    camera = Camera.preset("default", layout, WIDTH / HEIGHT)
    for neuron in (0, 400, 790, 805, 825):
        x, y = camera.project(layout.positions[neuron], WIDTH, HEIGHT)[0]
        origin, direction = camera.ray(x, y, WIDTH, HEIGHT)
        assert np.isclose(np.linalg.norm(direction), 1.0)
        assert np.allclose(origin, camera.position)
        nearest = pick_sphere(origin, direction, layout.positions, layout.radii)
        # The pick is that sphere, or one in front of it along the same ray.
        hit_distance = np.dot(layout.positions[nearest] - origin, direction)
        assert nearest == neuron or hit_distance < np.dot(layout.positions[neuron] - origin, direction)


def test_ray_at_window_corner_points_to_the_corner():
    camera = Camera(fov=60.0)
    camera.look_at([0, 0, 0], 10.0, 0.0, 0.0)
    _, direction = camera.ray(WIDTH, HEIGHT, WIDTH, HEIGHT)  # top right, y up
    point = camera.position + direction * 10.0
    assert np.allclose(camera.project(point, WIDTH, HEIGHT)[0], [WIDTH, HEIGHT], atol=1e-3)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_shows_its_whole_subject(layout, name):
    camera = Camera.preset(name, layout, WIDTH / HEIGHT)
    subject = layout.layer_positions(0) if name == "input" else layout.positions
    window = camera.project(subject, WIDTH, HEIGHT)
    assert np.all(window >= 0) and np.all(window[:, 0] <= WIDTH) and np.all(window[:, 1] <= HEIGHT)
    # Framed tightly: the subject spans most of the window one way or the other.
    span = (window.max(axis=0) - window.min(axis=0)) / [WIDTH, HEIGHT]
    assert span.max() > 0.75
    # And centred.
    middle = (window.max(axis=0) + window.min(axis=0)) / 2
    assert np.allclose(middle, [WIDTH / 2, HEIGHT / 2], atol=0.06 * HEIGHT)


def test_input_preset_reads_the_image_the_right_way_round(layout):
    camera = Camera.preset("input", layout, WIDTH / HEIGHT)
    corners = [layout.neuron_index(0, i) for i in (0, 27, 27 * 28)]  # top-left, top-right, bottom-left
    (tl_x, tl_y), (tr_x, tr_y), (bl_x, bl_y) = camera.project(layout.positions[corners], WIDTH, HEIGHT)
    assert tr_x > tl_x + 100 and abs(tr_y - tl_y) < 1
    assert bl_y < tl_y - 100 and abs(bl_x - tl_x) < 1  # y up: the bottom row is lower


def test_default_preset_has_input_left_of_output_and_the_digit_upright(layout):
    camera = Camera.preset("default", layout, WIDTH / HEIGHT)
    window = camera.project(layout.positions, WIDTH, HEIGHT)
    assert window[:784, 0].mean() < window[-10:, 0].mean()
    image = window[:784].reshape(28, 28, 2)
    assert image[0, :, 1].mean() > image[-1, :, 1].mean()  # row 0 above row 27
    assert image[:, 0, 0].mean() < image[:, -1, 0].mean()  # column 0 left of column 27


def test_frame_fits_a_box():
    camera = Camera(yaw=20.0, pitch=-10.0)
    lo, hi = np.array([-5.0, -1.0, -2.0]), np.array([15.0, 3.0, 2.0])
    camera.frame((lo, hi), WIDTH / HEIGHT)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    window = camera.project(corners, WIDTH, HEIGHT)
    assert np.all(window >= -1e-6) and np.all(window <= [WIDTH + 1e-6, HEIGHT + 1e-6])
    assert (window[:, 0].max() - window[:, 0].min()) > 0.85 * WIDTH


def test_unknown_preset_is_a_user_error(layout):
    with pytest.raises(NnvizError, match="front"):
        Camera.preset("isometric", layout, 1.0)


@pytest.mark.parametrize("area", [(-1.0, -1.0, 0.5, 1.0), (-0.4, -0.6, 1.0, 0.55), (-0.9, -0.2, -0.1, 0.9)])
def test_framing_into_an_off_centre_area_keeps_every_sphere_inside_it_and_fills_it(layout, area):
    width, height = 1280, 720
    camera = Camera()
    camera.yaw, camera.pitch = -35.0, -15.0
    camera.frame_points(layout.positions, layout.radii, width / height, area)
    centre = camera.project(layout.positions, width, height)
    edge = camera.project(layout.positions + camera.right * layout.radii[:, None], width, height)
    reach = np.linalg.norm(edge - centre, axis=1)
    x0, y0, x1, y1 = ((area[0] + 1) / 2 * width, (area[1] + 1) / 2 * height,
                      (area[2] + 1) / 2 * width, (area[3] + 1) / 2 * height)
    left, right = np.min(centre[:, 0] - reach), np.max(centre[:, 0] + reach)
    low, high = np.min(centre[:, 1] - reach), np.max(centre[:, 1] + reach)
    assert x0 <= left and right <= x1 and y0 <= low and high <= y1
    # Tight along one axis: the framed scene spans its share of the area (within the frame margin).
    assert max((right - left) / (x1 - x0), (high - low) / (y1 - y0)) > 0.9
