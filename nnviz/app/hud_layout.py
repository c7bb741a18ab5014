"""Where the HUD's clickable parts are, in window pixels (y up): shared by the HUD that draws them and the
app core that hit-tests clicks, with no window toolkit."""

from __future__ import annotations

MARGIN = 12
DIGIT_SCALE = 4  # screen pixels per input pixel in the digit panel
CAPTION_ROOM = 62  # three caption lines under the digit
CAPTION_WIDTH = 190
BUTTON_HEIGHT = 22


def digit_panel_rect(width: int, height: int, image_shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the top-right panel: the input on show, its label and the answer."""
    image_width, image_height = image_shape[1] * DIGIT_SCALE, image_shape[0] * DIGIT_SCALE
    panel_width = max(image_width, CAPTION_WIDTH) + 16  # the caption's top-3 line is wider than the digit
    panel_height = image_height + 16 + CAPTION_ROOM
    return width - MARGIN - panel_width, height - MARGIN - panel_height, panel_width, panel_height


def draw_button_rect(width: int, height: int, image_shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """The "draw a digit" button, just under the digit panel."""
    x, y, w, _ = digit_panel_rect(width, height, image_shape)
    return x, y - 4 - BUTTON_HEIGHT, w, BUTTON_HEIGHT


def contains(rect: tuple[float, float, float, float], x: float, y: float) -> bool:
    left, bottom, w, h = rect
    return left <= x <= left + w and bottom <= y <= bottom + h
