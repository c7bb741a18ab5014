"""Time travel through the app core: stepping, scrubbing, replay, resuming, and the line modes."""

from __future__ import annotations

import numpy as np
import pytest

from core_fixtures import make_core  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.app.timeline import axis_fraction, bar_rect

pytestmark = pytest.mark.gl


def _trained(make_core, batches=300, **options):
    core = make_core(**options)
    core.session.trainer.train_batches(batches)
    core.render()
    return core


def test_stepping_back_shows_exactly_that_snapshots_network(make_core):
    core = _trained(make_core)
    session = core.session
    network = session.trainer.network
    live_image = core.target.read_rgb()
    for _ in range(3):
        core.key_press("LEFT")
    core.render()
    index = len(session.history) - 3
    snapshot = session.history[index]
    assert session.timeline.position == index and session.paused
    np.testing.assert_array_equal(core.frame.weights, snapshot.params[:network.num_weights])
    np.testing.assert_array_equal(core.frame.biases, snapshot.params[network.num_weights:])
    assert core.frame.samples_seen == snapshot.samples_seen < session.trainer.samples_seen
    past_image = core.target.read_rgb()
    assert not np.array_equal(past_image, live_image)

    # On pixels: the same picture as a live network that holds the snapshot's parameters.
    twin = make_core()
    twin.session.trainer.network.params[...] = snapshot.params
    twin.render()
    np.testing.assert_array_equal(twin.target.read_rgb(), past_image)

    core.key_press("END")
    core.render()
    assert session.timeline.live
    np.testing.assert_array_equal(core.frame.weights, network.flat_weights)


def test_right_steps_forward_in_the_past_and_trains_one_batch_when_live(make_core):
    core = _trained(make_core, batches=50)
    session = core.session
    core.key_press("LEFT")
    core.key_press("LEFT")
    core.key_press("RIGHT")
    assert session.timeline.position == len(session.history) - 1
    core.key_press("RIGHT")
    assert session.timeline.live
    before = session.trainer.batches_trained
    core.key_press("RIGHT")
    assert session.trainer.batches_trained == before + 1
    core.key_press("LEFT", shift=True)
    assert session.timeline.position == 0
    core.render()
    assert core.frame.samples_seen == 0


def test_no_training_while_looking_back_and_space_goes_live(make_core):
    core = _trained(make_core, batches=20, paused=False)
    session = core.session
    core.key_press("LEFT")
    core.key_press("LEFT")
    before = session.trainer.batches_trained
    core.key_press("N")  # looking back, N moves on like → instead of training
    session.paused = False  # whatever unpaused it, the past is not trained on
    core.tick()
    assert session.trainer.batches_trained == before and not session.timeline.live
    session.paused = True
    core.key_press("SPACE")
    assert session.timeline.live and not session.paused
    core.tick()
    assert session.trainer.batches_trained > before


def test_dragging_the_timeline_scrubs_and_its_right_end_is_live(make_core):
    core = _trained(make_core, size=(640, 360))
    session = core.session
    left, bottom, width, height = bar_rect(640, 360)
    target = session.history[40]
    x = left + width * axis_fraction(target.samples_seen, session.trainer.samples_seen)
    core.mouse_press(x + 0.01, bottom + height / 2, "left")
    assert session.timeline.position == 40 and core.view.selected is None
    core.render()
    assert core.frame.samples_seen == target.samples_seen
    core.mouse_drag(left + width, bottom + height / 2, 300, 0, {"left"})
    assert session.timeline.live
    core.mouse_release(left + width, bottom + height / 2, "left")
    core.mouse_drag(left + 10, bottom + height / 2, -300, 0, {"left"})  # button up: no more scrubbing
    assert session.timeline.live


def test_replay_plays_the_run_and_stops_at_its_end(make_core):
    core = _trained(make_core, batches=40)
    session = core.session
    core.key_press("B")
    assert session.timeline.replaying and session.timeline.position == 0
    seen = []
    for _ in range(200):
        session.timeline.advance(0.1)
        seen.append(session.timeline.position)
        if not session.timeline.replaying:
            break
    assert seen == sorted(seen) and seen[-1] == len(session.history) - 1
    assert not session.timeline.replaying
    assert session.trainer.batches_trained == 40  # replaying never trains


def test_resume_from_here_trains_on_exactly_as_the_run_did(make_core):
    core = _trained(make_core, batches=260)
    session = core.session
    history = session.history
    back, later = history.index_at(150), history.index_at(230)
    later_batches, later_params = history[later].batches, history[later].params.copy()
    session.timeline.position = back
    core.key_press("X")
    assert session.timeline.live and not session.paused
    assert session.trainer.batches_trained == history[back].batches and len(history) == back + 1
    assert "later snapshots dropped" in session.current_messages()[-1]
    session.trainer.train_batches(later_batches - session.trainer.batches_trained)
    np.testing.assert_array_equal(session.trainer.network.params, later_params)


def test_change_mode_colours_lines_by_the_change_since_the_previous_snapshot(make_core):
    core = _trained(make_core, batches=30)
    session = core.session
    core.key_press("Y")
    core.key_press("LEFT")
    core.render()
    position = session.timeline.position
    change = session.history[position].params - session.history[position - 1].params
    network = session.trainer.network
    np.testing.assert_allclose(core.frame.edge_values("change"), change[:network.num_weights])
    assert core.style.line_channel == "change" and core.style.ring_channel == "bias_change"
    weights_image = None
    core.key_press("Y")
    core.key_press("Y")  # back to weights
    core.render()
    weights_image = core.target.read_rgb()
    core.key_press("Y")
    core.render()
    assert not np.array_equal(core.target.read_rgb(), weights_image)


def test_gradient_mode_shows_this_digits_backprop(make_core):
    core = _trained(make_core, batches=30)
    session = core.session
    for _ in range(2):
        core.key_press("Y")
    core.render()
    network = session.trainer.network
    image, label = session.sample()
    deltas, gradients = network.backprop_one(image.reshape(-1) / np.float32(255), label)
    np.testing.assert_allclose(core.frame.edge_values("gradient"), np.concatenate([g.ravel() for g in gradients]),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(core.frame.neuron_values("delta")[784:], np.concatenate(deltas), rtol=1e-5, atol=1e-7)
    assert core.style.neuron_channel == "delta"
    # Dark pixels contribute nothing: their lines carry a zero gradient.
    dark = np.flatnonzero(image.reshape(-1) == 0)
    first_layer = core.frame.edge_values("gradient")[:784 * 16].reshape(784, 16)
    assert not first_layer[dark].any() and first_layer.any()


def test_the_hud_shows_the_moment_on_show(make_core):
    core = _trained(make_core, batches=100)
    core.key_press("LEFT", shift=True)
    core.render()
    hud = core.hud_state()
    assert hud.lines[1].startswith("LOOKING BACK") and hud.lines[2].startswith("at batch 0")
    assert not hud.timeline.live and hud.timeline.shown == 0
    assert "snapshot 1 of" in hud.timeline.caption


def test_live_change_mode_compares_with_the_last_snapshot_before_now(make_core):
    core = _trained(make_core, batches=30)  # every batch is a snapshot here, the newest of this very batch
    session = core.session
    core.key_press("Y")
    core.render()
    history = session.history
    assert history[len(history) - 1].batches == session.trainer.batches_trained
    before = history[len(history) - 2].params
    change = session.trainer.network.params - before
    np.testing.assert_allclose(core.frame.edge_values("change"), change[:session.trainer.network.num_weights])
    assert np.abs(core.frame.edge_values("change")).max() > 0
