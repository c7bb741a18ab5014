"""Fly and orbit controls: frame-rate independent, and the orbit keeps its centre."""

import numpy as np
import pytest

from nnviz.app.camera_rig import CameraRig
from nnviz.engine.layout import layout_network


@pytest.fixture
def rig():
    return CameraRig(layout_network([784, 16, 16, 10], input_shape=(28, 28)), aspect=16 / 9)


def test_movement_depends_on_time_not_on_frame_count(rig):
    start = np.array(rig.camera.position, dtype=float)
    for _ in range(10):
        rig.move(0.01, forward=1, right=0, up=0)
    ten_frames = np.array(rig.camera.position) - start
    rig.camera.position = start.copy()
    rig.move(0.1, forward=1, right=0, up=0)
    np.testing.assert_allclose(np.array(rig.camera.position) - start, ten_frames, rtol=1e-9)
    assert np.dot(ten_frames, rig.camera.forward) == pytest.approx(rig.speed * 0.1)


def test_shift_is_faster_and_strafe_is_sideways(rig):
    start = np.array(rig.camera.position, dtype=float)
    rig.move(0.1, forward=0, right=1, up=0, fast=True)
    moved = np.array(rig.camera.position) - start
    assert np.dot(moved, rig.camera.right) > rig.speed * 0.1 * 2
    assert abs(np.dot(moved, rig.camera.forward)) < 1e-9


def test_drag_turns_the_view_and_pitch_stops_short_of_vertical(rig):
    yaw, pitch = rig.camera.yaw, rig.camera.pitch
    rig.drag(10, 0)
    assert rig.camera.yaw > yaw and rig.camera.pitch == pitch
    rig.drag(0, 10_000)
    assert rig.camera.pitch == pytest.approx(89.0)


def test_orbit_keeps_the_distance_to_the_centre_and_faces_it(rig):
    rig.toggle_orbit()
    centre = rig.centre
    distance = np.linalg.norm(np.array(rig.camera.position) - centre)
    rig.drag(40, -15)
    assert np.linalg.norm(np.array(rig.camera.position) - centre) == pytest.approx(distance)
    to_centre = (centre - np.array(rig.camera.position)) / distance
    np.testing.assert_allclose(rig.camera.forward, to_centre, atol=1e-9)
    rig.scroll(2)  # zoom in
    assert np.linalg.norm(np.array(rig.camera.position) - centre) < distance


def test_wheel_changes_fly_speed_and_home_restores_it(rig):
    speed, position = rig.speed, np.array(rig.camera.position)
    rig.scroll(3)
    assert rig.speed > speed
    rig.move(1.0, 1, 0, 0)
    rig.reset(16 / 9)
    assert rig.speed == speed
    np.testing.assert_allclose(rig.camera.position, position)


def test_frame_all_brings_every_neuron_into_view(rig):
    rig.move(5.0, forward=-1, right=1, up=0)  # wander off
    rig.frame_all(16 / 9)
    window = rig.camera.project(rig.layout.positions, 1600, 900)
    assert np.all((window >= 0) & (window <= [1600, 900]))
