"""Drawing your own digit on the input grid, through the app core (EGL, no window)."""

from __future__ import annotations

import numpy as np
import pytest

from core_fixtures import make_core, screen_point  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)

pytestmark = pytest.mark.gl


def _grid_point(core, row: float, col: float) -> tuple[float, float]:
    """Window point over grid position (row, col) of the input layer."""
    rows, cols = core.layout.layer_shapes[0]
    corner = core.layout.layer_positions(0)
    spacing = float(corner[1, 2] - corner[0, 2])
    point = corner[0] + np.array([0.0, -row * spacing, col * spacing])
    x, y = core.rig.camera.project(point[None], *core.window_size)[0]
    return float(x), float(y)


def _drag(core, points, button="left"):
    """Press at the first point, drag through the others (a frame each), release at the last."""
    core.mouse_press(*_grid_point(core, *points[0]), button)
    inputs = []
    for row, col in points[1:]:
        core.mouse_drag(*_grid_point(core, row, col), 0, 0, {button})
        core.render()
        inputs.append(core.frame.layer_activations(0).reshape(28, 28).copy())
    core.mouse_release(*_grid_point(core, *points[-1]), button)
    return inputs


@pytest.fixture
def drawing_core(make_core):
    core = make_core(size=(640, 480))
    core.rig.camera.apply_preset("input", core.layout, 640 / 480)
    core.key_press("I")
    assert core.session.drawing is not None
    return core


def test_a_stroke_paints_where_the_cursor_went_and_the_network_sees_it_normalised(drawing_core):
    core = drawing_core
    shown = _drag(core, [(5, 6), (5, 12), (5, 18), (12, 15), (19, 12)])  # a "7", drawn small and off-centre
    stroke = shown[-1]
    assert stroke[5, 6:19].min() > 0.5 and stroke[12, 15] > 0.5 and stroke[19, 12] > 0.5  # under the cursor
    assert stroke[25, 25] == 0 and stroke[0, 27] == 0

    core.render()  # stroke over: the grid shows what the network sees
    seen = core.frame.layer_activations(0).reshape(28, 28)
    rows, cols = np.nonzero(seen > 0.1)
    mass = seen / seen.sum()
    centre = (np.arange(28) @ mass.sum(axis=1), np.arange(28) @ mass.sum(axis=0))
    assert abs(centre[0] - 13.5) < 1.0 and abs(centre[1] - 13.5) < 1.0  # centred by mass (pixel centres)
    assert 18 <= max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 <= 21  # fits 20x20
    np.testing.assert_allclose(core.frame.input_image.reshape(-1) / 255, seen.reshape(-1), atol=1e-6)
    assert core.frame.predicted_class is not None and core.frame.true_class is None


def test_the_answer_changes_as_the_stroke_grows(drawing_core):
    core = drawing_core
    outputs = []
    core.mouse_press(*_grid_point(core, 6, 10), "left")
    for col in range(10, 19):
        core.mouse_drag(*_grid_point(core, 6, col), 0, 0, {"left"})
        core.render()
        outputs.append(core.frame.layer_activations(3).copy())
    assert not np.allclose(outputs[0], outputs[-1])


def test_right_button_erases_and_backspace_clears(drawing_core):
    core = drawing_core
    _drag(core, [(14, 4), (14, 24)])
    ink = core.session.drawing.ink()
    assert ink[14, 10] > 128 and ink[14, 20] > 128
    _drag(core, [(14, 18), (14, 26)], button="right")
    ink = core.session.drawing.ink()
    assert ink[14, 10] > 128 and ink[14, 20] == 0 and ink[14, 24] == 0  # the erased end only
    core.key_press("BACKSPACE")
    core.render()
    assert core.session.drawing.empty and not core.frame.layer_activations(0).any()


def test_a_press_off_the_grid_still_selects_and_i_brings_the_test_digits_back(drawing_core):
    core = drawing_core
    core.rig.camera.apply_preset("default", core.layout, 640 / 480)
    core.render()
    core.mouse_press(*screen_point(core, 3, 4), "left")
    assert core.state()["selected"] == [3, 4] and core.session.drawing.empty
    core.key_press("I")
    core.render()
    assert core.session.drawing is None and core.frame.true_class == 7  # test image 0
