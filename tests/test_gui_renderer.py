"""GuiRenderer: Dear ImGui's draw data drawn through ModernGL, checked on pixels read back from EGL + llvmpipe.

Each test has its own small ImGui context (destroyed at the end), draws
solid rectangles of known places and colours, and reads the offscreen
target back (row 0 at the top, as ImGui counts).
"""

from __future__ import annotations

import numpy as np
import pytest
from imgui_bundle import imgui

from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.engine.gui_renderer import GuiRenderer
from nnviz.engine.offscreen import OffscreenTarget

pytestmark = pytest.mark.gl

DISPLAY = (200, 100)  # ImGui's display size (window coordinates, y down)
RED = (1.0, 0.0, 0.0, 1.0)
GREEN = (0.0, 1.0, 0.0, 1.0)
#: The window of most tests: top left and size, off-centre on both axes so a flip shows.
WINDOW_POS, WINDOW_SIZE = (10, 20), (80, 50)
_BARE = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_saved_settings
         | imgui.WindowFlags_.no_background)


class Gui:
    """An ImGui context of its own, a GuiRenderer and an offscreen target the framebuffer's size."""

    def __init__(self, ctx, display=DISPLAY, framebuffer=DISPLAY):
        self.previous = imgui.get_current_context()
        self.context = imgui.create_context()
        imgui.set_current_context(self.context)
        io = imgui.get_io()
        io.set_ini_filename("")
        io.display_size = display
        style = imgui.get_style()
        style.window_border_size = 0.0
        style.window_rounding = 0.0
        style.window_padding = (0.0, 0.0)
        self.renderer = GuiRenderer(ctx)
        self.framebuffer = framebuffer
        self.target = OffscreenTarget(ctx, *framebuffer, samples=0)

    def frame(self, body) -> np.ndarray:
        """One ImGui frame of `body` drawn onto black; the image read back, (H, W, 3) uint8, row 0 on top."""
        imgui.set_current_context(self.context)
        imgui.get_io().delta_time = 1 / 60
        imgui.new_frame()
        body()
        imgui.render()
        self.before_render()
        self.target.use()
        self.target.clear((0.0, 0.0, 0.0))
        self.renderer.render(imgui.get_draw_data(), self.framebuffer)
        return self.target.read_rgb()

    def before_render(self) -> None:
        """Between imgui.render() and the GuiRenderer's: a test may look at the textures' requests here."""

    def release(self) -> None:
        self.renderer.release()
        self.target.release()
        imgui.destroy_context(self.context)
        if self.previous is not None:
            imgui.set_current_context(self.previous)


@pytest.fixture
def gui(gl_ctx):
    made = []

    def make(**options) -> Gui:
        made.append(Gui(gl_ctx, **options))
        return made[-1]

    yield make
    for one in reversed(made):
        one.release()


def _window(name: str = "w", colour=RED, pos=WINDOW_POS, size=WINDOW_SIZE, flags=0):
    """Begin a window with no decoration filled with `colour` (the caller ends it)."""
    imgui.set_next_window_pos(pos)
    imgui.set_next_window_size(size)
    imgui.push_style_color(imgui.Col_.window_bg, imgui.ImVec4(*colour))
    imgui.begin(name, None, imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.no_move
                | imgui.WindowFlags_.no_saved_settings | flags)
    imgui.pop_style_color()


def _red_window():
    _window()
    imgui.end()


def _mask(image: np.ndarray, colour) -> np.ndarray:
    return np.all(image == (np.array(colour[:3]) * 255).astype(np.uint8), axis=-1)


def _expected(shape, left, top, width, height) -> np.ndarray:
    mask = np.zeros(shape[:2], bool)
    mask[top:top + height, left:left + width] = True
    return mask


def _bounds(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom), inclusive, of the True pixels."""
    where = np.argwhere(mask)
    if not where.size:
        return None
    (top, left), (bottom, right) = where.min(axis=0), where.max(axis=0)
    return int(left), int(top), int(right), int(bottom)


def test_a_window_lands_where_imgui_placed_it_the_right_way_up(gui):
    image = gui().frame(_red_window)
    red = _mask(image, RED)
    assert _bounds(red) == (10, 20, 89, 69)  # columns 10..89, rows 20..69: y counts down from the top
    assert np.array_equal(red, _expected(image.shape, *WINDOW_POS, *WINDOW_SIZE))
    assert not image[~red].any()  # nothing else drawn: the rest stays black


def test_a_framebuffer_twice_the_display_size_gets_the_window_at_twice_the_pixels(gui):
    big = (DISPLAY[0] * 2, DISPLAY[1] * 2)
    image = gui(framebuffer=big).frame(_red_window)
    assert image.shape[:2] == (big[1], big[0])
    red = _mask(image, RED)
    assert _bounds(red) == (20, 40, 179, 139)
    assert np.array_equal(red, _expected(image.shape, 20, 40, 160, 100))


def test_a_clip_rectangle_keeps_what_is_drawn_inside_it(gui):
    """A rectangle over the whole display, drawn inside a clip rectangle: only the clip rectangle shows it."""

    def body():
        _window(flags=imgui.WindowFlags_.no_background)
        draw = imgui.get_window_draw_list()
        draw.push_clip_rect((30, 25), (60, 40))  # within the window's own clip rectangle
        draw.add_rect_filled((0, 0), DISPLAY, imgui.get_color_u32(imgui.ImVec4(*GREEN)))
        draw.pop_clip_rect()
        imgui.end()

    image = gui().frame(body)
    green = _mask(image, GREEN)
    assert _bounds(green) == (30, 25, 59, 39)
    assert np.array_equal(green, _expected(image.shape, 30, 25, 30, 15))
    assert not image[~green].any()


def test_a_child_windows_contents_stay_inside_it(gui):
    """What a child window draws beyond its edges (a wide rectangle) is clipped to the child."""
    child_pos, child_size = (40, 30), (30, 20)

    def body():
        _window(size=(150, 70), flags=imgui.WindowFlags_.no_background)
        imgui.set_cursor_screen_pos(child_pos)
        imgui.begin_child("child", child_size)
        imgui.get_window_draw_list().add_rect_filled((0, 0), DISPLAY, imgui.get_color_u32(imgui.ImVec4(*GREEN)))
        imgui.end_child()
        imgui.end()

    image = gui().frame(body)
    green = _mask(image, GREEN)
    assert green[35, 50]  # inside the child
    bounds = _bounds(green)
    assert bounds is not None
    left, top, right, bottom = bounds
    assert left >= child_pos[0] and top >= child_pos[1]
    assert right < child_pos[0] + child_size[0] and bottom < child_pos[1] + child_size[1]
    assert not image[~green].any()


def test_a_framebuffer_twice_the_display_size_clips_at_twice_the_pixels(gui):
    big = (DISPLAY[0] * 2, DISPLAY[1] * 2)

    def body():
        _window(flags=imgui.WindowFlags_.no_background)
        draw = imgui.get_window_draw_list()
        draw.push_clip_rect((30, 25), (60, 40))
        draw.add_rect_filled((0, 0), DISPLAY, imgui.get_color_u32(imgui.ImVec4(*GREEN)))
        draw.pop_clip_rect()
        imgui.end()

    image = gui(framebuffer=big).frame(body)
    green = _mask(image, GREEN)
    assert np.array_equal(green, _expected(image.shape, 60, 50, 60, 30))


_NEW_GLYPHS = "ÄÖÜ€ß"


def _lit(image: np.ndarray, left: int, top: int, right: int, bottom: int) -> int:
    return int(np.count_nonzero(image[top:bottom, left:right].max(axis=-1) > 128))


def test_glyphs_rasterised_after_the_first_frame_reach_the_texture(gui):
    """Dear ImGui 1.92 bakes glyphs when first drawn: the atlas asks the backend to update its texture."""
    g = gui()
    asked = []
    g.before_render = lambda: asked.extend(t.status for t in imgui.get_platform_io().textures)

    def text(what: str):
        def body():
            imgui.set_next_window_pos((0, 0))
            imgui.set_next_window_size(DISPLAY)
            imgui.begin("text", None, _BARE)
            imgui.set_cursor_screen_pos((20, 30))
            imgui.push_font(None, 32.0)
            imgui.text(what)
            imgui.pop_font()
            imgui.end()
        return body

    # The first frame: the atlas texture is made (with what was baked by then).
    first = g.frame(text("ab"))
    assert imgui.ImTextureStatus.want_create in asked
    assert _lit(first, 0, 0, *DISPLAY) > 30  # the renderer draws text at all
    asked.clear()
    image = g.frame(text(_NEW_GLYPHS))
    assert imgui.ImTextureStatus.want_updates in asked  # the test exercises updates, not a new texture
    lit = _lit(image, 15, 25, 190, 75)
    assert lit > 100, f"new glyphs drawn blank ({lit} lit pixels)"
    # The same glyphs drawn again (now in the texture from the start of the frame) look the same.
    again = g.frame(text(_NEW_GLYPHS))
    assert np.array_equal(again, image)
