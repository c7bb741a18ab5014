"""Where the HUD's clickable parts are, in window pixels (y up): shared by the HUD that draws them and the
app core that hit-tests clicks, with no window toolkit."""

from __future__ import annotations

import math
from dataclasses import dataclass

MARGIN = 12
DIGIT_SCALE = 4  # screen pixels per input pixel in the digit panel (half in a small window)
CAPTION_ROOM = 62  # three caption lines under the digit
CAPTION_WIDTH = 190
BUTTON_HEIGHT = 22
#: A window smaller than this gets the compact HUD: smaller type, a smaller digit, fewer figures.
COMPACT_BELOW = (960, 600)


def compact(width: int, height: int) -> bool:
    return width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]


def digit_scale(width: int, height: int) -> int:
    return DIGIT_SCALE // 2 if compact(width, height) else DIGIT_SCALE


def caption_width(width: int, height: int) -> int:
    return 150 if compact(width, height) else CAPTION_WIDTH


def caption_room(width: int, height: int) -> int:
    return 46 if compact(width, height) else CAPTION_ROOM


def digit_panel_rect(width: int, height: int, image_shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the top-right panel: the input on show, its label and the answer."""
    scale = digit_scale(width, height)
    image_width, image_height = image_shape[1] * scale, image_shape[0] * scale
    # The caption's top-3 line is wider than the digit.
    panel_width = max(image_width, caption_width(width, height)) + 16
    panel_height = image_height + 16 + caption_room(width, height)
    return width - MARGIN - panel_width, height - MARGIN - panel_height, panel_width, panel_height


def draw_button_rect(width: int, height: int, image_shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """The "draw a digit" button, just under the digit panel."""
    x, y, w, _ = digit_panel_rect(width, height, image_shape)
    return x, y - 4 - BUTTON_HEIGHT, w, BUTTON_HEIGHT


def contains(rect: tuple[float, float, float, float], x: float, y: float) -> bool:
    left, bottom, w, h = rect
    return left <= x <= left + w and bottom <= y <= bottom + h


STATS_WIDTH = 346  # the stats panel, top left (narrower in a compact HUD)
COMPACT_STATS_WIDTH = 230


def stats_width(width: int, height: int) -> int:
    return COMPACT_STATS_WIDTH if compact(width, height) else STATS_WIDTH
MIN_OPEN_SHARE = 0.3  # a clear area less tall than this share of the window is not worth framing into
STATS_HEIGHT, COMPACT_STATS_HEIGHT = 226, 104  # about: the text decides
SCENE_ASPECT = 1.6  # width / height of the network seen from the default camera


def open_area(width: int, height: int, image_shape: tuple[int, int],
              scene_aspect: float = SCENE_ASPECT) -> tuple[float, float, float, float]:
    """The part of the window no HUD panel covers, as (x0, y0, x1, y1) in normalised device coordinates.

    Of the two clear rectangles above the timeline, between the side panels
    or under them, the one that holds a scene of `scene_aspect` larger; the
    whole window where both are too small (the panels then overlap it).
    """
    from nnviz.app.timeline import bar_rect  # the strip's place is the timeline's to say

    _, bar_bottom, _, bar_height = bar_rect(width, height)
    bottom, top = bar_bottom + bar_height + 8, height - MARGIN
    panel_x = digit_panel_rect(width, height, image_shape)[0]
    button_bottom = draw_button_rect(width, height, image_shape)[1]
    stats_bottom = height - MARGIN - (COMPACT_STATS_HEIGHT if compact(width, height) else STATS_HEIGHT)
    between = (MARGIN + stats_width(width, height) + 8, bottom, panel_x - 8, top)
    under = (MARGIN, bottom, width - MARGIN, min(stats_bottom, button_bottom) - 8)

    def room(rect):
        return min((rect[2] - rect[0]) / scene_aspect, rect[3] - rect[1])

    best = max(between, under, key=room)
    if room(best) < MIN_OPEN_SHARE * height:
        best = (0, 0, width, height)
    left, low, right, high = best
    return 2 * left / width - 1, 2 * low / height - 1, 2 * right / width - 1, 2 * high / height - 1


# ---------------------------------------------- analysis panels: confusion matrix (G), receptive fields (V)
# Both sit bottom left, above the timeline strip and a message line, left of the digit panel: the
# confusion matrix first, the gallery beside it. They stay under the stats panel where they fit there
# and grow over it where they would not (a small window), never off the window.
PANEL_PAD = 8
PANEL_TITLE = 18  # the title line at the top of a panel
PANEL_FOOTER = 16  # the line under a panel's grid: what the mouse points at
PANEL_GAP = 8
MESSAGE_ROOM = 22  # above the timeline strip: the latest message stays readable
CONFUSION_LABELS = 20  # the true classes, left of the grid
CONFUSION_HEADER = 14  # the predicted classes, over the grid
CELL_RANGE = (10, 28)  # the matrix's cell size in pixels: smallest comfortable, largest
CONFUSION_SHARE = 0.6  # of the dock's width at most: the gallery keeps room beside it
TILE_BOXES = (56, 42, 28, 21, 14)  # gallery tile sizes (the input's longer side), largest tried first
TILE_GAP = 4
UNSCALED_BOX = 28  # one screen pixel per input pixel (MNIST): tiles get smaller only in a tiny window
MAX_TILES = 64  # shown at a time; the wheel scrolls through more
GALLERY_SHARE = 0.4  # of the window's width at most
SCROLLBAR = 6


def panel_dock(width: int, height: int, image_shape: tuple[int, int]) -> tuple[float, float, float, float, float]:
    """(left, bottom, right, top, under_stats) of the analysis panels' corner, window pixels, y up."""
    from nnviz.app.timeline import bar_rect  # the strip's place is the timeline's to say

    _, bar_bottom, _, bar_height = bar_rect(width, height)
    bottom = bar_bottom + bar_height + MESSAGE_ROOM
    top = height - MARGIN
    stats_height = COMPACT_STATS_HEIGHT if compact(width, height) else STATS_HEIGHT
    under_stats = top - stats_height - PANEL_GAP
    right = digit_panel_rect(width, height, image_shape)[0] - PANEL_GAP
    return MARGIN, bottom, max(right, MARGIN + 1), top, under_stats


def _fit_on_screen(x: float, y: float, w: float, h: float, height: int):
    """Moved down (over the strip if it must) rather than off the top of the window."""
    return x, max(0.0, min(y, height - h)), w, h


def confusion_rect(width: int, height: int, classes: int,
                   image_shape: tuple[int, int] = (28, 28)) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the confusion matrix panel: a square grid of classes x classes cells."""
    left, bottom, right, top, under_stats = panel_dock(width, height, image_shape)
    fixed_w, fixed_h = 2 * PANEL_PAD + CONFUSION_LABELS, 2 * PANEL_PAD + PANEL_TITLE + CONFUSION_HEADER + PANEL_FOOTER
    most_w = (right - left) * CONFUSION_SHARE
    smallest, largest = CELL_RANGE

    def cell(ceiling: float) -> int:
        return int(min(largest, (most_w - fixed_w) // classes, (ceiling - bottom - fixed_h) // classes))

    size = cell(under_stats)
    if size < smallest:
        size = cell(top)
    if size < smallest:  # a tiny window: whatever fits in it, however small
        size = int(min(smallest, (width - 2 * MARGIN - fixed_w) // classes, (height - fixed_h) // classes))
    size = max(size, 2)
    return _fit_on_screen(left, bottom, fixed_w + classes * size, fixed_h + classes * size, height)


def _confusion_grid(rect, classes: int) -> tuple[float, float, float]:
    """(left, top, cell size) of the grid inside a confusion panel."""
    x, y, w, h = rect
    return x + PANEL_PAD + CONFUSION_LABELS, y + h - PANEL_PAD - PANEL_TITLE - CONFUSION_HEADER, \
        (w - 2 * PANEL_PAD - CONFUSION_LABELS) / classes


def confusion_cell_rect(rect, classes: int, true: int, predicted: int) -> tuple[float, float, float, float]:
    """The cell of true class `true` (its row, from the top) and predicted class `predicted` (its column)."""
    left, top, size = _confusion_grid(rect, classes)
    return left + predicted * size, top - (true + 1) * size, size, size


def confusion_cell_at(rect, classes: int, x: float, y: float) -> tuple[int, int] | None:
    """(true, predicted) of the cell under window point (x, y), or None off the grid."""
    left, top, size = _confusion_grid(rect, classes)
    column, row = math.floor((x - left) / size), math.floor((top - y) / size)
    return (row, column) if 0 <= row < classes and 0 <= column < classes else None


@dataclass(frozen=True)
class GalleryGrid:
    """The receptive-field gallery's panel and its grid of tiles (row by row from the top left)."""

    rect: tuple[float, float, float, float]
    columns: int
    rows: int  # on show at once: the wheel scrolls when there are more
    tile: tuple[int, int]  # (w, h) in pixels: the input's shape, scaled

    @property
    def page(self) -> int:
        return self.columns * self.rows

    def tile_rect(self, slot: int) -> tuple[float, float, float, float]:
        row, column = divmod(slot, self.columns)
        x, y, _, h = self.rect
        tw, th = self.tile
        top = y + h - PANEL_PAD - PANEL_TITLE
        return x + PANEL_PAD + column * (tw + TILE_GAP), top - row * (th + TILE_GAP) - th, tw, th

    def scrollbar_rect(self) -> tuple[float, float, float, float]:
        x, y, w, h = self.rect
        return x + w - PANEL_PAD - SCROLLBAR, y + PANEL_PAD + PANEL_FOOTER, SCROLLBAR, \
            h - 2 * PANEL_PAD - PANEL_TITLE - PANEL_FOOTER


def _tile_size(image_shape: tuple[int, int], box: int) -> tuple[int, int]:
    rows, cols = image_shape
    scale = box / max(rows, cols)
    return max(1, round(cols * scale)), max(1, round(rows * scale))


def gallery_grid(width: int, height: int, neurons: int, image_shape: tuple[int, int] = (28, 28),
                 beside: tuple[float, float, float, float] | None = None) -> GalleryGrid:
    """The gallery for `neurons` tiles: the largest tiles that show all of them (up to MAX_TILES) at once,
    in the squarest arrangement; right of `beside` (the confusion panel) when that one shows."""
    left, bottom, right, top, under_stats = panel_dock(width, height, image_shape)
    if beside is not None:
        left = beside[0] + beside[2] + PANEL_GAP
    shown = max(1, min(neurons, MAX_TILES))
    scrolls = neurons > shown
    fixed_w = 2 * PANEL_PAD + (SCROLLBAR + TILE_GAP if scrolls else 0)
    fixed_h = 2 * PANEL_PAD + PANEL_TITLE + PANEL_FOOTER
    most_w = min(right - left, GALLERY_SHARE * width)

    def room(box: int, ceiling: float) -> tuple[tuple[int, int], int, int]:
        tw, th = _tile_size(image_shape, box)
        return (tw, th), int((most_w - fixed_w + TILE_GAP) // (tw + TILE_GAP)), \
            int((ceiling - bottom - fixed_h + TILE_GAP) // (th + TILE_GAP))

    def grid(tile, columns, rows, scrollbar=scrolls) -> GalleryGrid:
        w = 2 * PANEL_PAD + (SCROLLBAR + TILE_GAP if scrollbar else 0) + columns * (tile[0] + TILE_GAP) - TILE_GAP
        h = fixed_h + rows * (tile[1] + TILE_GAP) - TILE_GAP
        return GalleryGrid(_fit_on_screen(left, bottom, w, h, height), columns, rows, tile)

    def squarest(columns_room: int, rows_room: int) -> tuple[int, int] | None:
        fits = [(columns, math.ceil(shown / columns)) for columns in range(1, min(columns_room, shown) + 1)
                if math.ceil(shown / columns) <= rows_room]
        return min(fits, key=lambda f: (abs(f[0] - f[1]), -f[0])) if fits else None

    # All of them at once, the tiles at least the input's own size: under the stats panel, else up to the top.
    for ceiling in (under_stats, top):
        for box in (box for box in TILE_BOXES if box >= UNSCALED_BOX):
            tile, most_columns, most_rows = room(box, ceiling)
            arrangement = squarest(most_columns, most_rows)
            if arrangement is not None:
                return grid(tile, *arrangement)
    # More than fit: tiles of the input's size, as many as fit, and the wheel for the rest.
    for ceiling in (under_stats, top):
        tile, most_columns, most_rows = room(UNSCALED_BOX, ceiling)
        if most_columns >= 2 and most_rows >= 2:
            columns = min(most_columns, math.ceil(math.sqrt(shown)))
            return grid(tile, columns, min(most_rows, math.ceil(neurons / columns)), scrollbar=True)
    # A tiny window: the smallest tiles.
    tile, most_columns, most_rows = room(TILE_BOXES[-1], top)
    columns = max(1, min(most_columns, math.ceil(math.sqrt(shown))))
    return grid(tile, columns, max(1, min(most_rows, math.ceil(neurons / columns))), scrollbar=True)


def gallery_tile_at(grid: GalleryGrid, x: float, y: float) -> int | None:
    """The slot (0 = top left, row by row) of the tile under window point (x, y); None between tiles or off them."""
    gx, gy, _, gh = grid.rect
    tw, th = grid.tile
    dx, dy = x - (gx + PANEL_PAD), (gy + gh - PANEL_PAD - PANEL_TITLE) - y
    column, row = math.floor(dx / (tw + TILE_GAP)), math.floor(dy / (th + TILE_GAP))
    if not (0 <= column < grid.columns and 0 <= row < grid.rows):
        return None
    if dx - column * (tw + TILE_GAP) > tw or dy - row * (th + TILE_GAP) > th:
        return None  # the gap between tiles
    return row * grid.columns + column


def analysis_panels(width: int, height: int, image_shape: tuple[int, int], classes: int | None,
                    neurons: int | None) -> tuple[tuple[float, float, float, float] | None, GalleryGrid | None]:
    """The confusion panel's rect (classes None: hidden) and the gallery's grid (neurons None: hidden)."""
    matrix = None if classes is None else confusion_rect(width, height, classes, image_shape)
    gallery = None if neurons is None else gallery_grid(width, height, neurons, image_shape, beside=matrix)
    return matrix, gallery


PANEL_FONT_SIZE = 9  # points: the analysis panels' titles and footers (one less in a compact HUD)


def panel_font_size(width: int, height: int) -> int:
    return PANEL_FONT_SIZE - 1 if compact(width, height) else PANEL_FONT_SIZE


def panel_chars(rect: tuple[float, float, float, float], font_size: float) -> int:
    """About how many characters of a panel's (monospaced) font fit across it: 0.6 em each, at 96 dpi."""
    return max(int((rect[2] - 2 * PANEL_PAD) / (0.602 * font_size * 96 / 72)), 1)
