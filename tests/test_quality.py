"""Quality profiles: chosen from the renderer, forced by option; the lines drawn; dynamic resolution."""

from __future__ import annotations

import numpy as np
import pytest

from core_fixtures import make_core  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from image_compare import assert_image_matches
from nnviz.engine import rules
from nnviz.engine.connectivity import DenseConnectivity
from nnviz.engine.quality import PROFILES, choose_profile, is_software_renderer

RENDERERS = {
    "llvmpipe (LLVM 15.0.6, 256 bits)": True,
    "softpipe": True,
    "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)": True,
    "NVIDIA GeForce RTX 4090/PCIe/SSE2": False,
    "AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 17.0.6, DRM 3.54)": False,
    "Mesa Intel(R) UHD Graphics 620 (KBL GT2)": False,
    "Apple M2": False,
}


@pytest.mark.parametrize("renderer, software", RENDERERS.items())
def test_auto_picks_fast_on_software_rasterisers_and_high_on_gpus(renderer, software):
    assert is_software_renderer(renderer) == software
    assert choose_profile("auto", renderer).name == ("fast" if software else "high")
    for forced in PROFILES:
        assert choose_profile(forced, renderer).name == forced


# ------------------------------------------------------------------ lines drawn
def _reference_drawn_lines(values, candidates, matrices, scales, gains, line_width, min_opacity, selected_in,
                           selected_out):
    """The rule as the line shader applied it per line before it moved to the CPU, one line at a time."""
    drawn = {}
    incoming, outgoing = set(selected_in.tolist()), set(selected_out.tolist())
    for line in candidates.tolist():
        strength = min(abs(float(values[line])) / float(scales[matrices[line]]), 1.0)
        opacity = float(gains[matrices[line]]) * strength * strength
        width = line_width * (0.5 + 0.8 * strength)
        if incoming or outgoing:
            if line in incoming or line in outgoing:
                fan = len(incoming) if line in incoming else len(outgoing)
                opacity = (0.04 + 0.96 * strength * strength) * min(1.0, 6.0 / np.sqrt(fan))
                width *= 1.4
            else:
                opacity *= 0.08
        drawn_width = max(width, 1.0)
        opacity *= width / drawn_width
        if opacity < min_opacity:
            if rules.line_hashes(line + 1)[line] * min_opacity >= opacity:
                continue
            opacity = min_opacity
        drawn[line] = (opacity, drawn_width)
    return drawn


@pytest.mark.parametrize("selected", [None, 784 + 5, 784 + 16 + 3])
@pytest.mark.parametrize("min_opacity", [3 / 255, 6 / 255])
def test_the_lines_drawn_are_those_the_per_line_rule_keeps(selected, min_opacity):
    connectivity = DenseConnectivity([784, 16, 16, 10])
    rng = np.random.default_rng(4)
    values = rng.normal(scale=0.3, size=connectivity.num_edges).astype(np.float32)
    values[rng.random(values.size) < 0.05] = 0.0
    _, _, matrices = connectivity.endpoints()
    scales = np.array([0.5, 0.9, 1.1], np.float32)
    gains = np.array([0.03, 0.6, 1.0], np.float32)
    candidates = rules.visible_lines(values, 0.02)
    ends = (connectivity.incoming(selected), connectivity.outgoing(selected)) if selected else (None, None)
    ids, opacity, width = rules.drawn_lines(values, candidates, matrices, scales, gains,
                                            rules.line_hashes(connectivity.num_edges), 1.5, min_opacity, *ends)
    empty = np.zeros(0, np.int64)
    expected = _reference_drawn_lines(values, candidates, matrices, scales, gains, 1.5, min_opacity,
                                      *(e if e is not None else empty for e in ends))
    assert ids.tolist() == sorted(expected)
    np.testing.assert_allclose(opacity, [expected[i][0] for i in ids.tolist()], rtol=1e-5)
    np.testing.assert_allclose(width, [expected[i][1] for i in ids.tolist()], rtol=1e-5)
    assert len(ids) < len(candidates)  # faint lines thinned: fewer sent to the GPU


# ------------------------------------------------------------------ the app core
def _render(core) -> np.ndarray:
    core.render()
    return core.target.read_rgb()


def test_each_profile_can_be_forced_on_llvmpipe(make_core):
    assert "llvmpipe" in make_core().ctx.info["GL_RENDERER"]  # what these tests run on
    fast, high, auto = (make_core(quality=name, samples=None) for name in ("fast", "high", "auto"))
    for core in (fast, high, auto):
        core.render()
    assert (fast.quality.name, fast.target.samples, fast.target_fps) == ("fast", 0, 30.0)
    assert (high.quality.name, high.target.samples, high.target_fps) == ("high", 4, 60.0)
    assert auto.quality.name == "fast"
    assert fast.renderer.drawn_line_count < high.renderer.drawn_line_count
    assert fast.hud_state().lines[4].endswith("fast") and high.hud_state().lines[4].endswith("high")


def test_the_fast_picture_stays_close_to_the_high_one(make_core):
    high = _render(make_core(size=(480, 270), quality="high", samples=None)).astype(float)
    fast = _render(make_core(size=(480, 270), quality="fast", samples=None)).astype(float)
    mse = np.mean((high - fast) ** 2)
    assert 10 * np.log10(255.0**2 / mse) > 30.0  # PSNR in dB


def test_slow_frames_draw_the_scene_smaller_and_fast_ones_grow_it_back(make_core):
    core = make_core(size=(480, 270), quality="fast", samples=None)
    full = _render(core).astype(float)
    for _ in range(60):
        core.record_frame_cost(0.01)  # slow on this thread's CPU: a smaller scene would not help
    assert core.resolution.scale == 1.0
    assert core.budget.cpu_seconds == pytest.approx(0.01, rel=0.01)  # training gets what the CPU leaves
    for _ in range(60):
        core.record_frame_cost(0.2, cpu_seconds=0.01)  # waiting 190 ms for the rasteriser: too many pixels
    assert core.resolution.scale == core.quality.min_scale == 0.5
    assert core.budget.cpu_seconds == pytest.approx(0.01, rel=0.01)
    small = _render(core)
    assert core.scene_target.size == (240, 135) and small.shape == full.shape  # the window's size still
    mse = np.mean((full - small.astype(float)) ** 2)
    assert 10 * np.log10(255.0**2 / mse) > 20.0  # the same picture, softer
    assert core.hud_state().lines[4].endswith("fast 50%")  # a compact HUD: beside the test accuracy
    for _ in range(1000):
        core.record_frame_cost(0.011, cpu_seconds=0.01)  # no waiting: room to grow, a step at a time
    assert core.resolution.scale == 1.0
    np.testing.assert_array_equal(_render(core), full.astype(np.uint8))


def test_quality_high_keeps_full_resolution_however_slow(make_core):
    core = make_core(quality="high", samples=None)
    for _ in range(60):
        core.record_frame_cost(0.5, cpu_seconds=0.01)
    assert core.resolution.scale == 1.0


@pytest.fixture
def regenerate(request) -> bool:
    return request.config.getoption("--regen-references")


def test_fast_profile_default_view(make_core, regenerate):
    """The software profile's own reference: no MSAA, analytic anti-aliasing, lines thinned at 6/255."""
    core = make_core(quality="fast", samples=None)
    network = core.session.trainer.network
    rng = np.random.default_rng(7)
    for b in network.biases:
        b[...] = rng.normal(scale=0.5, size=b.shape)
    assert_image_matches("fast-default-view", _render(core), regenerate)


def test_a_window_frame_draws_hands_the_frame_over_then_trains_then_finishes(make_core):
    core = make_core(quality="fast", samples=None, paused=False)
    trainer, calls = core.session.trainer, []
    core.tick()  # training under way
    before = trainer.samples_seen
    core.draw_then_train(lambda: calls.append(("flush", trainer.samples_seen)),
                         lambda: calls.append(("present", trainer.samples_seen)))
    assert calls[0] == ("flush", before)  # the scene goes to the rasteriser before this frame trains
    assert calls[1][0] == "present" and calls[1][1] > before  # and is shown after


def test_the_time_the_overlays_take_to_rasterise_is_used_for_more_training(make_core):
    core = make_core(quality="fast", samples=None, paused=False)
    given = []
    train_more = core.session.train_more
    core.session.train_more = lambda seconds: given.append(seconds) or train_more(seconds)
    core.draw_then_train(lambda: None, lambda: None)
    assert given == []  # nothing known yet about the overlays
    for _ in range(40):
        core.record_swap_wait(0.04)  # each swap waited 40 ms for the overlays' pixels
    core.draw_then_train(lambda: None, lambda: None)
    assert given and given[-1] == pytest.approx(0.5 * 0.04, rel=0.05)
    session, trainer = core.session, core.session.trainer
    before = trainer.samples_seen
    assert session.train_more(0.01) > 0 and trainer.samples_seen > before
    session.change_speed(-1)  # a set number of batches a frame: train_frame's alone to give
    assert session.train_more(0.01) == 0


def test_a_window_frame_trains_until_its_overlays_and_swap_would_end_it_a_period_after_it_was_due(make_core):
    from nnviz.app.frame_budget import PACED_HEADROOM

    now = [1000.0]
    core = make_core(quality="fast", samples=None, paused=False, clock=lambda: now[0])
    given = []
    core.session.train_frame = lambda seconds: given.append(seconds) or 0
    period = 1 / core.target_fps
    for frame in range(60):
        due = 1000.0 + frame * period
        now[0] = due + 0.004  # the event loop started the frame 4 ms late
        core.draw_then_train(lambda: None, lambda: None, due=due)
        now[0] += 0.011  # overlays, the swap's wait
        core.record_swap_wait(0.0)
    # Training fills the frame to its deadline, counted from when it was due, less the 11 ms that follow it.
    assert given[-1] == pytest.approx(period * (1 - PACED_HEADROOM) - 0.004 - 0.011, abs=2e-4)
