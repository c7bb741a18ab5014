"""Where every neuron sits in the world, computed once per network shape.

World axes: layers are side by side along +x (input at x = 0, output at the
largest x); +y is up. A layer is a flat sheet in the y–z plane:
  * the input layer, when `input_shape` matches its size, is an image grid:
    image row r at height -r (row 0 on top), image column c at z = +c, which
    reads the right way round from cameras on the -x side looking towards +x
    (the "input" preset) and from the default three-quarter view;
  * a small layer (<= COLUMN_MAX neurons) is a vertical column, neuron 0 on top;
  * a large layer is a square-ish grid, row-major like an image.
Every sheet is centred on the x axis. All positions come from one vectorised
grid function and live in one (N, 3) float32 array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnviz.engine.connectivity import DenseConnectivity

# Tuned for 784-16-16-10 seen from the default camera: the input image is
# ~27 units tall, hidden columns a little shorter, layers far enough apart for
# the weight fans to spread out.
INPUT_SPACING = 1.0
INPUT_RADIUS = 0.36
LAYER_GAP = 30.0
COLUMN_MAX = 32
COLUMN_EXTENT = 22.0
COLUMN_MAX_SPACING = 2.4
COLUMN_RADIUS_FRACTION = 0.4
COLUMN_MAX_RADIUS = 0.85
GRID_EXTENT = 27.0
GRID_MAX_SPACING = 1.6
GRID_RADIUS_FRACTION = 0.36


@dataclass(frozen=True)
class NetworkLayout:
    layer_sizes: tuple[int, ...]
    positions: np.ndarray  # (N, 3) float32
    radii: np.ndarray  # (N,) float32
    layer_shapes: tuple[tuple[int, int], ...]  # (rows, cols) of each layer's sheet
    connectivity: DenseConnectivity  # which neurons each line joins

    @property
    def layer_offsets(self) -> np.ndarray:
        """(L + 1,) int64: neurons of layer k are [offsets[k], offsets[k+1])."""
        return self.connectivity.layer_offsets

    @property
    def edge_offsets(self) -> np.ndarray:
        """(L,) int64: lines of weight matrix k are [edge_offsets[k], edge_offsets[k+1])."""
        return self.connectivity.edge_offsets

    @property
    def num_layers(self) -> int:
        return len(self.layer_sizes)

    @property
    def num_neurons(self) -> int:
        return int(self.layer_offsets[-1])

    @property
    def num_edges(self) -> int:
        return self.connectivity.num_edges

    def layer_of_neuron(self, neuron: int) -> tuple[int, int]:
        """(layer, index within layer) of a global neuron index."""
        layer = self.connectivity.layer_of(neuron)
        return layer, int(neuron) - int(self.layer_offsets[layer])

    def neuron_index(self, layer: int, index: int) -> int:
        if not 0 <= layer < self.num_layers:
            raise IndexError(f"layer {layer} out of range 0..{self.num_layers - 1}")
        if not 0 <= index < self.layer_sizes[layer]:
            raise IndexError(f"neuron {index} out of range for layer {layer} of size {self.layer_sizes[layer]}")
        return int(self.layer_offsets[layer]) + index

    def edge_index(self, layer: int, source: int, target: int) -> int:
        """Line index of weight W_layer[source, target] (row-major W.ravel() order)."""
        self.neuron_index(layer, source)
        self.neuron_index(layer + 1, target)
        return self.connectivity.edge_index(layer, source, target)

    def sheet_point(self, layer: int, origin, direction) -> tuple[float, float] | None:
        """Where a ray meets a layer's sheet, as fractional (row, column) of its grid; None if it never does.

        Row and column are in neuron spacings from neuron (0, 0), so rounding
        gives the neuron under the ray when it is inside the sheet.
        """
        rows, cols = self.layer_shapes[layer]
        positions = self.layer_positions(layer)
        first = positions[0].astype(np.float64)
        origin, direction = np.asarray(origin, np.float64), np.asarray(direction, np.float64)
        if abs(direction[0]) < 1e-12:
            return None  # parallel to the sheet
        t = (first[0] - origin[0]) / direction[0]
        if t <= 0:
            return None  # the sheet is behind the camera
        hit = origin + t * direction
        spacing = float(positions[1, 2] - first[2]) if cols > 1 else float(first[1] - positions[cols, 1])
        return float((first[1] - hit[1]) / spacing), float((hit[2] - first[2]) / spacing)

    def layer_positions(self, layer: int) -> np.ndarray:
        return self.positions[self.layer_offsets[layer]:self.layer_offsets[layer + 1]]

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(min_xyz, max_xyz) of all spheres, radii included."""
        return _sphere_bounds(self.positions, self.radii)

    def layer_bounds(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.layer_offsets[layer], self.layer_offsets[layer + 1]
        return _sphere_bounds(self.positions[lo:hi], self.radii[lo:hi])


def layout_network(layer_sizes, input_shape: tuple[int, int] | None = None) -> NetworkLayout:
    sizes = tuple(int(n) for n in layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"a network needs at least two layers of at least one neuron, got {list(sizes)}")

    shapes, spacings, radii = [], [], []
    for k, n in enumerate(sizes):
        rows, cols, spacing, radius = _sheet_geometry(n, input_shape if k == 0 else None)
        shapes.append((rows, cols))
        spacings.append(spacing)
        radii.append(radius)

    connectivity = DenseConnectivity(sizes)
    layer_offsets = connectivity.layer_offsets
    layer_of = np.repeat(np.arange(len(sizes)), sizes)
    index_in_layer = np.arange(layer_offsets[-1]) - layer_offsets[layer_of]
    shape_array = np.array(shapes, dtype=np.int64)
    rows, cols = shape_array[layer_of, 0], shape_array[layer_of, 1]
    spacing = np.array(spacings, dtype=np.float64)[layer_of]
    row, col = np.divmod(index_in_layer, cols)

    positions = np.empty((len(layer_of), 3), dtype=np.float32)
    positions[:, 0] = layer_of * LAYER_GAP
    positions[:, 1] = ((rows - 1) / 2.0 - row) * spacing  # row 0 on top
    positions[:, 2] = (col - (cols - 1) / 2.0) * spacing  # column 0 towards -z
    return NetworkLayout(
        layer_sizes=sizes,
        positions=positions,
        radii=np.array(radii, dtype=np.float32)[layer_of],
        layer_shapes=tuple(shapes),
        connectivity=connectivity,
    )


def _sheet_geometry(n: int, image_shape: tuple[int, int] | None) -> tuple[int, int, float, float]:
    """(rows, cols, spacing, radius) for a layer of n neurons."""
    if image_shape is not None and int(image_shape[0]) * int(image_shape[1]) == n:
        return int(image_shape[0]), int(image_shape[1]), INPUT_SPACING, INPUT_RADIUS
    if n <= COLUMN_MAX:
        spacing = COLUMN_MAX_SPACING if n == 1 else min(COLUMN_MAX_SPACING, COLUMN_EXTENT / (n - 1))
        return n, 1, spacing, min(COLUMN_MAX_RADIUS, COLUMN_RADIUS_FRACTION * spacing)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    spacing = min(GRID_MAX_SPACING, GRID_EXTENT / (max(rows, cols) - 1))
    return rows, cols, spacing, GRID_RADIUS_FRACTION * spacing


def _sphere_bounds(centers: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = radii[:, None]
    return (centers - r).min(axis=0), (centers + r).max(axis=0)
