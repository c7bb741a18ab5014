"""Ray–sphere picking: nearest hit wins, misses are None, agrees with brute force."""

from __future__ import annotations

import numpy as np

from nnviz.engine.picking import pick_sphere


def test_nearest_of_two_overlapping_spheres_wins():
    centers = np.array([[0.0, 0.0, -10.0], [0.0, 0.3, -9.5]])
    radii = np.array([1.0, 1.0])
    assert pick_sphere([0, 0, 0], [0, 0, -1], centers, radii) == 1
    # Listed the other way round, the answer follows the sphere, not the order.
    assert pick_sphere([0, 0, 0], [0, 0, -1], centers[::-1], radii) == 0


def test_partly_hidden_sphere_is_picked_where_it_shows():
    centers = np.array([[0.0, 0.0, -5.0], [3.0, 0.0, -10.0]])
    radii = np.array([1.0, 2.5])
    assert pick_sphere([0, 0, 0], [0.0, 0, -1], centers, radii) == 0
    # A ray just past the near sphere's edge reaches the far one behind it.
    assert pick_sphere([0, 0, 0], [3.0, 0.0, -10.0], centers, radii) == 1


def test_miss_returns_none_and_spheres_behind_are_ignored():
    centers = np.array([[0.0, 0.0, 10.0], [5.0, 0.0, -10.0]])
    radii = np.array([1.0, 1.0])
    assert pick_sphere([0, 0, 0], [0, 0, -1], centers, radii) is None


def test_origin_inside_a_sphere_picks_it():
    centers = np.array([[0.0, 0.0, 0.5], [0.0, 0.0, -5.0]])
    assert pick_sphere([0, 0, 0], [0, 0, -1], centers, np.array([1.0, 1.0])) == 0


def _brute_force(origin, direction, centers, radii):
    direction = direction / np.linalg.norm(direction)
    best, best_t = None, np.inf
    for index, (center, radius) in enumerate(zip(centers, radii)):
        # Solve |origin + t d - c|^2 = r^2 for the smallest t >= 0.
        oc = origin - center
        b = np.dot(oc, direction)
        c = np.dot(oc, oc) - radius * radius
        disc = b * b - c
        if disc < 0:
            continue
        roots = [t for t in (-b - np.sqrt(disc), -b + np.sqrt(disc)) if t >= 0]
        if not roots:
            continue
        t = 0.0 if c <= 0 else min(roots)
        if t < best_t:
            best, best_t = index, t
    return best


def test_agrees_with_brute_force_on_random_scenes():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(300):
        centers = rng.uniform(-10, 10, size=(40, 3))
        radii = rng.uniform(0.2, 1.5, size=40)
        origin = rng.uniform(-15, 15, size=3)
        direction = rng.uniform(-8, 8, size=3) - origin  # towards the cloud, hitting or not
        expected = _brute_force(origin, direction, centers, radii)
        assert pick_sphere(origin, direction, centers, radii) == expected
        hits += expected is not None
    assert 30 < hits < 270  # the scenes exercise both hits and misses
