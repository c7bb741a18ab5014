"""Which neuron is under the mouse: a vectorised ray–sphere test."""

from __future__ import annotations

import numpy as np


def pick_sphere(origin, direction, centers: np.ndarray, radii: np.ndarray) -> int | None:
    """Index of the sphere the ray enters first, or None when it hits nothing.

    `direction` need not be unit length. Spheres behind the origin are
    ignored; a sphere containing the origin counts at distance 0.
    """
    origin = np.asarray(origin, dtype=np.float64)
    direction = np.asarray(direction, dtype=np.float64)
    direction = direction / np.linalg.norm(direction)
    to_center = np.asarray(centers, dtype=np.float64) - origin
    along = to_center @ direction  # ray parameter of the closest approach
    miss_squared = np.einsum("ij,ij->i", to_center, to_center) - along * along
    radii_squared = np.asarray(radii, dtype=np.float64) ** 2
    half_chord = np.sqrt(np.maximum(radii_squared - miss_squared, 0.0))
    entry = along - half_chord
    exit_ = along + half_chord
    hit = (miss_squared <= radii_squared) & (exit_ >= 0.0)
    if not hit.any():
        return None
    distance = np.where(hit, np.maximum(entry, 0.0), np.inf)
    return int(np.argmin(distance))
