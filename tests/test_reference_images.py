"""Frames of the app core compared with committed reference images (tests/reference_images/).

Each scene is reached the way a user reaches it (keys, clicks, mouse moves on
the core), rendered on llvmpipe with 4x MSAA, and compared with a tolerance
(tests/image_compare.py). `pytest --regen-references` rewrites them; look at
the PNGs before committing.
"""

from __future__ import annotations

import numpy as np
import pytest

from core_fixtures import make_core, screen_point  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from image_compare import assert_image_matches
from nnviz.model.config import TrainConfig

pytestmark = pytest.mark.gl


@pytest.fixture
def regenerate(request) -> bool:
    return request.config.getoption("--regen-references")


def _render(core) -> np.ndarray:
    core.render()
    return core.target.read_rgb()


def _with_biases(core, seed=7):
    """Init gives zero biases: draw some so their rings show."""
    network = core.session.trainer.network
    rng = np.random.default_rng(seed)
    for b in network.biases:
        b[...] = rng.normal(scale=0.5, size=b.shape)
    return core


def test_default_view(make_core, regenerate):
    core = _with_biases(make_core())
    assert_image_matches("default-view", _render(core), regenerate)


def test_selected_first_layer_neuron_paints_its_weights_on_the_input(make_core, regenerate):
    core = make_core()
    core.mouse_press(*screen_point(core, 1, 5), "left")
    assert core.state()["selected"] == [1, 5]
    assert_image_matches("selected-first-layer-neuron", _render(core), regenerate)


def test_threshold_raised(make_core, regenerate):
    core = make_core()
    for _ in range(8):  # |w| < 0.085: most of the input fan goes
        core.key_press("PERIOD")
    assert_image_matches("threshold-raised", _render(core), regenerate)


def test_bias_rings_and_prediction_rings(make_core, regenerate):
    core = _with_biases(make_core(size=(320, 240)))
    core.rig.camera.yaw, core.rig.camera.pitch = 0.0, 0.0
    core.rig.camera.frame(core.layout.layer_bounds(3), 320 / 240)
    image = _render(core)
    frame = core.frame
    assert frame.true_class == 7 and frame.predicted_class not in (None, 7)  # a wrong answer: red and dashed rings
    assert_image_matches("bias-and-prediction-rings", image, regenerate)


def test_hovered_neuron_glows(make_core, regenerate):
    core = make_core(size=(320, 240))
    core.rig.camera.yaw, core.rig.camera.pitch = 0.0, 0.0
    neighbours = [core.layout.neuron_index(2, i) for i in range(4, 9)]
    core.rig.camera.frame_points(core.layout.positions[neighbours], core.layout.radii[neighbours] * 2, 320 / 240)
    x, y = screen_point(core, 2, 6)
    core.mouse_motion(x, y, 0, 0)
    image = _render(core)
    assert core.view.hovered == core.layout.neuron_index(2, 6)
    assert_image_matches("hover", image, regenerate)
    core.mouse_leave()
    plain = _render(core)
    assert core.view.hovered is None
    # The glow lights the sphere's rim: the disc around the cursor gets brighter, nothing else changes.
    rows, cols = np.mgrid[:240, :320]
    radius = core.renderer.drawn_radii[core.layout.neuron_index(2, 6)]
    edge = core.rig.camera.project(core.layout.positions[[core.layout.neuron_index(2, 6)]]
                                   + core.rig.camera.right * radius, 320, 240)[0]
    disc = (cols + 0.5 - x) ** 2 + (240 - rows - 0.5 - y) ** 2 <= (edge[0] - x) ** 2
    gain = image.astype(float).sum(axis=2) - plain.astype(float).sum(axis=2)
    assert gain[disc].mean() > 15 and np.abs(gain[~disc]).max() <= 3 * 3


def test_colour_blind_safe_map(make_core, regenerate):
    core = _with_biases(make_core())
    core.key_press("C")
    image = _render(core)
    assert core.style.colormap == "orange-purple"
    assert_image_matches("colormap-orange-purple", image, regenerate)


def test_relu_network(make_core, regenerate):
    """Unbounded activations: the colour range comes from what the layer shows."""
    core = make_core(TrainConfig(activation="relu", init="he"))
    assert_image_matches("relu", _render(core), regenerate)
