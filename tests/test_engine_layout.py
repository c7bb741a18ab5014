"""Neuron positions: shapes, ordering, and the input image's orientation."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.engine.layout import layout_network

DEFAULT = [784, 16, 16, 10]


@pytest.fixture(scope="module")
def layout():
    return layout_network(DEFAULT, input_shape=(28, 28))


def test_arrays_have_one_entry_per_neuron(layout):
    assert layout.positions.shape == (826, 3) and layout.positions.dtype == np.float32
    assert layout.radii.shape == (826,) and layout.radii.dtype == np.float32
    assert list(layout.layer_offsets) == [0, 784, 800, 816, 826]
    assert list(layout.edge_offsets) == [0, 784 * 16, 784 * 16 + 256, 784 * 16 + 256 + 160]
    assert layout.num_neurons == 826 and layout.num_edges == 12960


def test_layers_go_left_to_right_along_x(layout):
    xs = [np.unique(layout.layer_positions(k)[:, 0]) for k in range(4)]
    assert all(len(x) == 1 for x in xs)
    assert xs[0][0] < xs[1][0] < xs[2][0] < xs[3][0]


def test_index_conversions_round_trip(layout):
    for neuron in (0, 783, 784, 799, 800, 825):
        layer, index = layout.layer_of_neuron(neuron)
        assert layout.neuron_index(layer, index) == neuron
    assert layout.layer_of_neuron(790) == (1, 6)
    with pytest.raises(IndexError):
        layout.layer_of_neuron(826)
    with pytest.raises(IndexError):
        layout.neuron_index(1, 16)


def test_edge_index_follows_row_major_weight_order(layout):
    w = np.arange(16 * 16).reshape(16, 16)
    assert layout.edge_index(1, 3, 5) == layout.edge_offsets[1] + w.ravel().tolist().index(w[3, 5])
    assert layout.edge_index(0, 783, 15) == 784 * 16 - 1
    assert layout.edge_index(2, 0, 0) == 784 * 16 + 256


def test_input_grid_keeps_image_orientation(layout):
    grid = layout.layer_positions(0).reshape(28, 28, 3)
    # Row 0 on top (largest y), rows going down; column 0 at the smallest z.
    assert np.all(np.diff(grid[:, 0, 1]) < 0)
    assert np.all(np.diff(grid[0, :, 2]) > 0)
    assert np.allclose(grid[:, :, 1], grid[:, :1, 1])  # a row shares its height
    assert np.allclose(grid[:, :, 2], grid[:1, :, 2])  # a column shares its z
    assert abs(grid[..., 1].mean()) < 1e-5 and abs(grid[..., 2].mean()) < 1e-5


def test_small_layers_are_vertical_columns_neuron_zero_on_top(layout):
    for k in (1, 2, 3):
        column = layout.layer_positions(k)
        assert np.allclose(column[:, 2], 0.0)
        assert np.all(np.diff(column[:, 1]) < 0)


def test_large_layers_are_square_ish_grids():
    layout = layout_network([784, 512, 512, 10], input_shape=(28, 28))
    hidden = layout.layer_positions(1)
    rows, cols = len(np.unique(hidden[:, 1])), len(np.unique(hidden[:, 2]))
    assert rows * cols >= 512 and abs(rows - cols) <= 1
    assert layout.layer_shapes[3] == (10, 1)


def test_input_shape_that_does_not_match_is_ignored():
    layout = layout_network([100, 10], input_shape=(28, 28))
    assert layout.layer_shapes[0] == (10, 10)
    assert layout_network([784, 10]).layer_shapes[0] == (28, 28)  # large layers are grids anyway


@pytest.mark.parametrize("sizes", [DEFAULT, [784, 128, 128, 10], [784, 512, 512, 10], [2, 1], [33, 40, 3]])
def test_spheres_in_a_layer_do_not_overlap_and_fit_in_bounds(sizes):
    layout = layout_network(sizes, input_shape=(28, 28))
    for k in range(layout.num_layers):
        points = layout.layer_positions(k)
        radii = layout.radii[layout.layer_offsets[k]:layout.layer_offsets[k + 1]]
        if len(points) > 1:
            distance = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points)) * 1e9
            assert np.all(distance >= radii[:, None] + radii[None])
    lo, hi = layout.bounds()
    assert np.all(layout.positions - layout.radii[:, None] >= lo - 1e-5)
    assert np.all(layout.positions + layout.radii[:, None] <= hi + 1e-5)


def test_rejects_degenerate_networks():
    with pytest.raises(ValueError):
        layout_network([784])
    with pytest.raises(ValueError):
        layout_network([784, 0, 10])
