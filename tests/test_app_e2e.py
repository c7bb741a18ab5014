"""The real window under Xvfb, driven by real X input events (xdotool)."""

import struct

import numpy as np
import pytest

from nnviz.testing.window_driver import App

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
#: Big enough for the full HUD (a smaller window gets the compact one, with a network too small to click on).
SIZE = (960, 600)


@pytest.fixture(scope="module")
def app(tmp_path_factory, mnist_dir):
    # --quality high: these tests compare screenshots taken moments apart, which dynamic resolution
    # (the fast profile's, on this software renderer) could draw at different scales.
    application = App(tmp_path_factory.mktemp("app"), "--data", str(mnist_dir), "--size", "x".join(map(str, SIZE)),
                      "--quality", "high")
    application.wait_for(lambda s: s["data_loaded"], what="data loaded")
    yield application
    application.close()


def test_title_and_training_runs(app):
    assert app.title().startswith("nnviz")
    first = app.state()["batches_trained"]
    app.wait_for(lambda s: s["batches_trained"] > first + 5, what="training in the render loop")


def test_pause_then_step_exactly_one_batch(app):
    app.key("space")
    paused = app.wait_for(lambda s: s["paused"], what="paused")
    settled = app.wait_frames(5)
    assert settled["batches_trained"] == paused["batches_trained"]
    app.key("n")
    stepped = app.wait_for(lambda s: s["batches_trained"] != settled["batches_trained"], what="one step")
    assert stepped["batches_trained"] == settled["batches_trained"] + 1
    assert app.wait_frames(5)["batches_trained"] == stepped["batches_trained"]
    app.key("space")
    app.wait_for(lambda s: not s["paused"], what="resumed")


def test_holding_w_flies_forward(app):
    before = app.state()
    app.hold("w", 0.8)
    after = app.wait_frames(2)
    camera = app.camera(before)
    moved = np.array(after["camera"]["position"]) - np.array(before["camera"]["position"])
    assert np.dot(moved, camera.forward) > 0.5
    assert np.linalg.norm(np.cross(moved, camera.forward)) < 1e-6 * np.linalg.norm(moved) + 1e-9
    app.key("Home")
    app.wait_for(lambda s: s["camera"]["position"] == before["camera"]["position"], what="camera home")


@pytest.mark.parametrize("layer,index", [(3, 7), (1, 4), (0, 28 * 14 + 14)])
def test_click_selects_the_neuron_under_the_cursor(app, layer, index):
    x, y = app.screen_position(layer, index)
    app.click(x, y)
    state = app.wait_for(lambda s: s["selected"] is not None, what="a selection")
    assert state["selected"] == [layer, index]
    app.click(3, 3)  # a corner: empty space
    app.wait_for(lambda s: s["selected"] is None, what="selection cleared")


def test_picking_stays_exact_after_resize(app):
    state = app.resize(640, 300)
    x, y = app.screen_position(2, 9, state)
    app.click(x, y)
    assert app.wait_for(lambda s: s["selected"] is not None)["selected"] == [2, 9]
    assert state["framebuffer_size"] == [640, 300]
    app.click(3, 3)
    app.resize(*SIZE)


def test_hidden_window_keeps_running(app):
    app.xdotool("windowunmap", "--sync", app.window)
    before = app.state()["batches_trained"]
    app.wait_for(lambda s: s["batches_trained"] > before, what="training while hidden")
    app.xdotool("windowmap", "--sync", app.window)
    app.wait_frames(3)
    app.check_alive()


def test_screenshot_key_writes_a_png_of_the_window_size(app):
    app.key("p")
    state = app.wait_for(lambda s: s["last_screenshot"], what="a screenshot")
    with open(state["last_screenshot"], "rb") as handle:
        header = handle.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert [width, height] == state["framebuffer_size"]
    assert f"screenshot saved to {state['last_screenshot']}" in app.log()


def test_a_failed_screenshot_is_reported_and_the_session_goes_on(app):
    moved = app.screenshot_dir.with_name("moved-away")
    app.screenshot_dir.rename(moved)
    try:
        app.key("p")
        app.wait_for(lambda s: any("could not save the screenshot" in m for m in s["messages"]),
                     what="the failure message")
        app.wait_frames(3)
        app.check_alive()
    finally:
        moved.rename(app.screenshot_dir)


def test_weak_weight_keys(app):
    app.key("comma")
    app.wait_for(lambda s: any("all weights are shown" in m for m in s["messages"]), what="message")
    assert app.state()["threshold"] == 0.0
    app.key("period")
    assert app.wait_for(lambda s: s["threshold"] > 0, what="threshold up")["threshold"] == pytest.approx(0.005)
    app.key("comma")
    app.wait_for(lambda s: s["threshold"] == 0.0, what="threshold back to zero")


def test_tab_captures_the_mouse_for_looking_and_esc_releases_it(app):
    app.key("Tab")
    app.wait_for(lambda s: s["mouse_captured"], what="mouse captured")
    before = app.state()["camera"]["yaw"]
    app.xdotool("mousemove_relative", "--", "60", "0")
    app.wait_for(lambda s: s["camera"]["yaw"] != before, what="looking around")
    app.key("Escape")
    app.wait_for(lambda s: not s["mouse_captured"], what="mouse released")
    app.wait_frames(3)
    app.check_alive()  # the first Esc released the mouse; it did not quit
    app.key("Home")


def test_u_hides_the_hud_for_a_clean_screenshot(app):
    app.key("p")
    with_hud = app.wait_for(lambda s: s["last_screenshot"], what="screenshot")["last_screenshot"]
    app.key("u")
    try:
        app.wait_for(lambda s: not s["hud_visible"], what="HUD hidden")
        app.key("p")
        without = app.wait_for(lambda s: s["last_screenshot"] != with_hud, what="second screenshot")["last_screenshot"]
        from nnviz.engine.image_io import load_png

        # The top-left corner holds the stats panel's text only while the HUD shows.
        corner_with, corner_without = load_png(with_hud)[10:60, 10:200], load_png(without)[10:60, 10:200]
        assert corner_with.max() > 150 and corner_without.max() < corner_with.max()
    finally:  # the tests after this one need the HUD
        app.key("u")
        app.wait_for(lambda s: s["hud_visible"], what="HUD back")


def test_help_overlay_is_drawn_over_the_scene_and_esc_closes_it(app):
    app.key("space")
    app.wait_for(lambda s: s["paused"], what="paused")  # the scene holds still between the two pictures
    name, without = app.screenshot()
    app.key("h")
    app.wait_for(lambda s: s["help_visible"], what="help shown")
    _, with_help = app.screenshot()
    height, width, _ = without.shape
    changed = np.abs(with_help - without).max(axis=2) > 40
    centre = changed[height // 3: 2 * height // 3, width // 4: 3 * width // 4]
    assert centre.mean() > 0.05  # the panel's text, over the middle of the window
    app.key("Escape")
    app.wait_for(lambda s: not s["help_visible"], what="help closed by Esc")
    app.check_alive()
    app.key("space")
    app.wait_for(lambda s: not s["paused"], what="resumed")


def test_dragging_the_timeline_looks_back_and_end_returns_live(app):
    from nnviz.app.timeline import bar_rect

    state = app.wait_for(lambda s: s["snapshots"] > 50, what="a recorded run")
    width, height = state["window_size"]
    left, bottom, bar_width, bar_height = bar_rect(width, height)
    y = height - (bottom + bar_height / 2)  # xdotool counts rows from the top
    app.xdotool("mousemove", "--window", app.window, str(int(left + bar_width - 2)), str(int(y)),
                "mousedown", "1", "mousemove", "--window", app.window, str(int(left + bar_width * 0.3)), str(int(y)),
                "mouseup", "1")
    back = app.wait_for(lambda s: s["timeline_position"] is not None, what="looking back")
    assert back["paused"] and back["selected"] is None
    frozen = back["batches_trained"]
    app.wait_frames(3)
    assert app.state()["batches_trained"] == frozen  # the past is not trained on
    app.key("End")
    app.wait_for(lambda s: s["timeline_position"] is None, what="live again")
    app.key("space")
    app.wait_for(lambda s: not s["paused"] and s["batches_trained"] > frozen, what="training again")


def test_drawing_a_digit_with_real_mouse_drags(app):
    app.key("i")
    app.wait_for(lambda s: s["drawing"], what="drawing mode")
    try:
        height = app.state()["window_size"][1]
        path = [app.screen_position(0, 28 * 10 + col) for col in range(6, 22, 2)]
        x, y = path[0]
        app.xdotool("mousemove", "--window", app.window, str(int(x)), str(int(height - y)), "mousedown", "1")
        for x, y in path[1:]:
            app.xdotool("mousemove", "--window", app.window, str(int(x)), str(int(height - y)))
            app.wait_frames(1)
        app.wait_frames(2)  # the last drag event drawn before the button goes up
        app.xdotool("mouseup", "1")
        # X delivers the events when it will: under load the last ones come frames later (a timeout if never).
        state = app.wait_for(lambda s: s["ink_cells"] and max(cell % 28 for cell in s["ink_cells"]) >= 19,
                             what="ink along the whole drag")
        rows, cols = zip(*(divmod(cell, 28) for cell in state["ink_cells"]))
        assert set(rows) <= {9, 10, 11} and min(cols) <= 7  # along the drag, nowhere else
        assert state["predicted"] is not None
        app.key("BackSpace")
        app.wait_for(lambda s: s["ink_cells"] == [], what="cleared")
    finally:  # the tests after this one need drawing mode off
        app.key("i")
        app.wait_for(lambda s: not s["drawing"], what="drawing ended")


def test_output_spheres_carry_their_class_and_a_probability_bar(app):
    app.key("Home")
    app.key("u")  # panels away; the labels belong to the scene and stay
    app.wait_for(lambda s: not s["hud_visible"] and s["predicted"] is not None, what="HUD hidden")
    path, shot = app.screenshot()
    height, width, _ = shot.shape
    state = app.state()
    predicted = state["predicted"]
    text, bars = [], []
    for index in range(10):
        x, y = app.screen_position(3, index, state)
        row, col = int(height - y), int(x)
        label = shot[row - 14: row + 1, col + 6: col + 40]  # the class name sits above the bar
        text.append(int((label.min(axis=2) > 150).sum()))  # light grey glyphs
        bar = shot[row + 1: row + 10, col + 6: col + 70]
        bars.append(int(((bar[:, :, 0] > 200) & (bar[:, :, 1] > 150) & (bar[:, :, 2] < 140)).sum()))
    assert min(text) > 5, (text, path)  # every output has its label
    assert bars[predicted] == max(bars) and bars[predicted] > 20, bars  # the likeliest class: the longest bar
    app.key("u")
    app.wait_for(lambda s: s["hud_visible"], what="HUD back")
    app.resize(*SIZE)


def test_confusion_matrix_cell_click_shows_a_digit_of_that_kind_and_the_diagonal_shines(app):
    from nnviz.app import hud_layout

    app.key("space")
    app.wait_for(lambda s: s["paused"], what="paused")  # the network holds still: the matrix and the answers too
    app.key("g")
    state = app.wait_for(lambda s: s["confusion"] is not None and s["confusion"]["batches"] == s["batches_trained"],
                         what="the paused network's confusion matrix")
    counts = np.array(state["confusion"]["counts"])
    assert counts.sum() == 10_000 and np.trace(counts) > 0.8 * counts.sum()
    true, predicted = np.unravel_index(np.argmax(counts - np.diag(np.diag(counts))), counts.shape)
    width, height = state["window_size"]
    rect = hud_layout.confusion_rect(width, height, 10, (28, 28))

    def centre(t, p):
        x, y, w, h = hud_layout.confusion_cell_rect(rect, 10, t, p)
        return x + w / 2, y + h / 2

    app.click(*centre(true, predicted))
    shown = app.wait_for(lambda s: (s["true_class"], s["predicted"]) == (true, predicted),
                         what=f"a {true} predicted as {predicted}")
    assert any(f"test digit {shown['sample_index']}: a {true} predicted as {predicted}" in m
               for m in shown["messages"])

    path, shot = app.screenshot()
    light = {(t, p): shot[int(height - y), int(x)].sum() for t in range(10) for p in range(10)
             for x, y in [centre(t, p)]}
    diagonal = [light[c, c] for c in range(10)]
    elsewhere = [value for (t, p), value in light.items() if t != p]
    assert min(diagonal) > max(elsewhere) and np.mean(diagonal) > 2 * np.mean(elsewhere), (path, diagonal)

    app.key("v")  # the receptive fields beside it: a tile click selects its neuron
    grid = hud_layout.gallery_grid(width, height, 16, (28, 28), beside=rect)
    x, y, w, h = grid.tile_rect(5)
    app.click(x + w / 2, y + h / 2)
    app.wait_for(lambda s: s["selected"] == [1, 5], what="neuron 5 of layer 1 selected from its tile")
    app.key("g", "v", "space")
    app.wait_for(lambda s: not s["confusion_visible"] and not s["gallery_visible"] and not s["paused"],
                 what="panels closed, training again")
    app.click(3, 3)
