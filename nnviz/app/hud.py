"""Heads-up display: training stats, the timeline with the loss/accuracy plot, the digit on show, help.

Drawn with pyglet (text, shapes, a sprite) on top of the 3-D frame, in window
pixels, so text stays crisp at any window size. It knows nothing of the
trainer: the app core hands it a HudState each frame.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyglet

from nnviz.app.hud_layout import (CAPTION_WIDTH, DIGIT_SCALE, MARGIN, caption_width, compact, digit_panel_rect,
                                  digit_scale, draw_button_rect, stats_width)
from nnviz.app.hud_layout import CONFUSION_LABELS, PANEL_PAD, TILE_GAP, confusion_cell_rect, panel_font_size
from nnviz.app.hud_state import HudState, TimelineState
from nnviz.app.hud_colors import BUTTON_COLOR, PANEL_COLOR, TEXT_COLOR
from nnviz.app.timeline import axis_fraction, bar_rect

PLOT_REFRESH_SECONDS = 1.0
MIN_HELP_SCALE = 0.3  # of FONT_SIZE: the help's type shrinks to fit a small window, to this at most
FONT = ("DejaVu Sans Mono", "Menlo", "Consolas", "Liberation Mono", "monospace")
FONT_SIZE = 11
DIM_TEXT = (150, 160, 180, 255)
LOSS_COLOR = (255, 150, 60, 255)
ACCURACY_COLOR = (90, 220, 120, 255)
RIGHT_COLOR = (90, 220, 120, 255)
WRONG_COLOR = (255, 90, 80, 255)
PLAYHEAD_COLOR = (255, 255, 255, 230)
BAR_COLOR = (255, 200, 90, 255)
DRAWING_BUTTON_COLOR = (150, 70, 40, 230)
BAR_TRACK_COLOR = (60, 66, 90, 200)
OUTPUT_BAR_WIDTH = 36  # pixels for probability 1
OUTPUT_FONT_SIZE = 10
PAST_PLAYHEAD_COLOR = (120, 200, 255, 255)
MAX_PLOT_POINTS = 200
STATS_REFRESH_SECONDS = 0.25
HELP_LAYOUT_WIDTH = 1000  # wraps nothing: panels are sized to the text's own width
HELP_PADDING = 20
HELP_GAP = 40
MESSAGE_WIDTH = 900  # messages wrap at this width (narrower beside the analysis panels)


class Hud:
    def __init__(self, width: int, height: int, help_rows: list[tuple[str, str]], image_shape: tuple[int, int],
                 stats_refresh_seconds: float = STATS_REFRESH_SECONDS):
        self.stats_refresh_seconds = stats_refresh_seconds
        self.batch = pyglet.graphics.Batch()  # everything U hides
        self.help_batch = pyglet.graphics.Batch()
        background = pyglet.graphics.Group(order=0)
        foreground = pyglet.graphics.Group(order=1)
        self._groups = (background, foreground)
        label = dict(font_name=FONT, font_size=FONT_SIZE, color=TEXT_COLOR, batch=self.batch, group=foreground)

        self.stats_panel = pyglet.shapes.Rectangle(0, 0, 10, 10, color=PANEL_COLOR, batch=self.batch, group=background)
        self.stats = pyglet.text.Label("", multiline=True, width=330, anchor_y="top", **label)

        self.plot_panel = pyglet.shapes.Rectangle(0, 0, 10, 10, color=PANEL_COLOR, batch=self.batch,
                                                  group=background)
        self.plot_caption = pyglet.text.Label("", **{**label, "font_size": FONT_SIZE - 2, "color": DIM_TEXT})
        self.playhead = pyglet.shapes.Line(0, 0, 0, 0, thickness=2, color=PLAYHEAD_COLOR, batch=self.batch,
                                           group=foreground)
        self._plot_lines: list[pyglet.shapes.MultiLine] = []
        self._plotted: tuple | None = None
        self._plotted_at = -math.inf
        self._refreshed: dict[str, float] = {}  # label -> when it was last laid out (see _due)

        self.digit_panel = pyglet.shapes.Rectangle(0, 0, 10, 10, color=PANEL_COLOR, batch=self.batch,
                                                   group=background)
        self.digit_sprite: pyglet.sprite.Sprite | None = None
        self._digit_bytes: bytes | None = None
        # Pixels on screen, sized for the input from the start: the panel keeps its place before any image.
        self._image_shape = tuple(image_shape)  # the digit panel is sized for it before any image arrives
        self.digit_caption = pyglet.text.Label("", multiline=True, width=CAPTION_WIDTH, anchor_y="top", **label)
        self.selection = pyglet.text.Label("", multiline=True, width=300, anchor_y="top", **label)
        self.draw_button = pyglet.shapes.Rectangle(0, 0, 10, 10, color=BUTTON_COLOR, batch=self.batch, group=background)
        self.draw_button_text = pyglet.text.Label("", anchor_x="center", anchor_y="center",
                                                  **{**label, "font_size": FONT_SIZE - 1})
        self.selection_panel = pyglet.shapes.Rectangle(0, 0, 10, 10, color=PANEL_COLOR, batch=self.batch,
                                                       group=background)
        self.output_batch = pyglet.graphics.Batch()  # labels beside the output spheres: part of the scene
        self._output_label = dict(font_name=FONT, font_size=OUTPUT_FONT_SIZE, color=TEXT_COLOR,
                                  batch=self.output_batch, group=foreground, anchor_y="center")
        self._output_marks: list[tuple[pyglet.text.Label, pyglet.shapes.Rectangle, pyglet.shapes.Rectangle]] = []
        self.message_batch = pyglet.graphics.Batch()
        self.messages = pyglet.text.Label("", multiline=True, width=900, anchor_x="center", anchor_y="bottom",
                                          align="center", **{**label, "batch": self.message_batch})

        self.help_panel = pyglet.shapes.Rectangle(0, 0, 10, 10, color=(6, 9, 22, 235), batch=self.help_batch,
                                                  group=background)
        # One column where the window is tall enough, else two side by side.
        half = (len(help_rows) + 1) // 2
        help_label = {**label, "batch": self.help_batch, "multiline": True, "width": HELP_LAYOUT_WIDTH,
                      "anchor_x": "left", "anchor_y": "top"}
        self.help = pyglet.text.Label(_help_text(help_rows), **help_label)
        self.help_columns = [pyglet.text.Label(_help_text(help_rows[:half]), **help_label),
                             pyglet.text.Label(_help_text(help_rows[half:], title=" "), **help_label)]
        # Wrapped labels report their wrap width, not their text's: measure the
        # (monospaced) text by its longest line instead.
        char_width = pyglet.text.Label("M" * 40, font_name=FONT, font_size=FONT_SIZE).content_width / 40
        self._help_widths = {id(lab): char_width * max(map(len, lab.text.splitlines()))
                             for lab in (self.help, *self.help_columns)}
        self.panels = AnalysisPanels(self.batch)  # G and V: hidden until their state comes
        self.resize(width, height)

    # ---------------------------------------------------------------- layout
    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        small = compact(width, height)
        for label in (self.stats, self.digit_caption, self.selection, self.draw_button_text):
            label.font_size = FONT_SIZE - 2 if small else FONT_SIZE
        self.digit_caption.width = caption_width(width, height)
        self.stats.position = (MARGIN + 8, height - MARGIN - 8, 0)
        x, y, w, h = bar_rect(width, height)
        self.plot_panel.position = (x, y)
        self.plot_panel.width, self.plot_panel.height = w, h
        self.plot_caption.position = (x + 4, MARGIN + 2, 0)
        self.messages.position = (width / 2, y + h + 6, 0)
        one_column = self.help.content_height + 2 * HELP_PADDING <= height
        self.help.visible = one_column
        for column in self.help_columns:
            column.visible = not one_column
        columns = [self.help] if one_column else self.help_columns
        widths = [self._help_widths[id(column)] for column in columns]
        # Shrink the text (monospaced: widths scale with the size) when even two columns are too wide.
        room = width - 2 * MARGIN - HELP_GAP * (len(columns) - 1) - 2 * HELP_PADDING
        # Not below MIN_HELP_SCALE: FreeType renders glyphs of a point or so as nothing (a NULL bitmap).
        scale = min(1.0, max(room / sum(widths), MIN_HELP_SCALE))
        for column in columns:
            column.font_size = FONT_SIZE * scale
        widths = [w * scale for w in widths]
        panel_width = sum(widths) + HELP_GAP * (len(columns) - 1) + 2 * HELP_PADDING
        panel_height = max(column.content_height for column in columns) + 2 * HELP_PADDING
        left, bottom = width / 2 - panel_width / 2, height / 2 - panel_height / 2
        self.help_panel.position = (left, bottom)
        self.help_panel.width, self.help_panel.height = panel_width, panel_height
        x = left + HELP_PADDING
        for column, column_width in zip(columns, widths):
            column.position = (x, bottom + panel_height - HELP_PADDING, 0)
            x += column_width + HELP_GAP
        self._plotted = None  # redraw the plot at its new place
        self._layout_stats()
        self._layout_digit()

    def _layout_stats(self) -> None:
        self.stats_panel.position = (MARGIN, self.height - MARGIN - self.stats.content_height - 16)
        self.stats_panel.width = stats_width(self.width, self.height)
        self.stats_panel.height = self.stats.content_height + 16

    def _layout_digit(self) -> None:
        image_shape = self._image_shape
        scale = digit_scale(self.width, self.height)
        width, height = image_shape[1] * scale, image_shape[0] * scale
        top = self.height - MARGIN
        x, y, panel_width, panel_height = digit_panel_rect(self.width, self.height, image_shape)
        self.digit_panel.position = (x, y)
        self.digit_panel.width, self.digit_panel.height = panel_width, panel_height
        if self.digit_sprite is not None:
            self.digit_sprite.scale = scale / DIGIT_SCALE  # the image is made at full scale
            self.digit_sprite.position = (x + (panel_width - width) / 2, top - height - 8, 0)
        self.digit_caption.position = (x + 8, top - height - 14, 0)
        bx, by, bw, bh = draw_button_rect(self.width, self.height, image_shape)
        self.draw_button.position = (bx, by)
        self.draw_button.width, self.draw_button.height = bw, bh
        self.draw_button_text.position = (bx + bw / 2, by + bh / 2, 0)
        right = self.width - MARGIN
        below = by - 12
        self.selection.position = (right - 300, below, 0)
        self.selection_panel.position = (right - 308, below - self.selection.content_height - 8)
        self.selection_panel.width = 308
        self.selection_panel.height = self.selection.content_height + 16 if self.selection.text else 0

    # ---------------------------------------------------------------- update
    def update(self, state: HudState) -> None:
        # Laying text out costs milliseconds: labels change only when their text
        # does, and the ever-changing stats at most STATS_REFRESH_SECONDS apart.
        stats = "\n".join(state.lines)
        if stats != self.stats.text and self._due("stats"):
            self.stats.text = stats
            self._layout_stats()
        self._update_digit(state)
        _set_text(self.draw_button_text, "stop drawing (I)" if state.drawing else "draw your own digit (I)")
        self.draw_button.color = DRAWING_BUTTON_COLOR if state.drawing else BUTTON_COLOR
        selection = "\n".join(state.selection_lines)
        if selection != self.selection.text:
            self.selection.text = selection
            self._layout_digit()
        _set_text(self.messages, "\n".join(state.messages))
        self._update_timeline(state.timeline)
        self._update_outputs(state.outputs)
        self.panels.update(state, self.width, self.height)
        self._place_messages(self.panels.right_edge(state))

    def _place_messages(self, panels_right: float | None) -> None:
        """Messages sit centred above the timeline strip; beside the analysis panels while they show, not on them."""
        _, y, _, h = bar_rect(self.width, self.height)
        if panels_right is None:
            centre, room = self.width / 2, MESSAGE_WIDTH
        else:
            left, right = panels_right + MARGIN, self.width - MARGIN
            centre, room = (left + right) / 2, max(right - left, 120)
        if tuple(self.messages.position[:2]) != (centre, y + h + 6):
            self.messages.position = (centre, y + h + 6, 0)
        if self.messages.width != room:
            self.messages.width = room

    def _update_outputs(self, marks) -> None:
        """Class label and probability bar beside each output sphere (moved every frame: the camera moves)."""
        while len(self._output_marks) < len(marks):
            track = pyglet.shapes.Rectangle(0, 0, OUTPUT_BAR_WIDTH, 3, color=BAR_TRACK_COLOR, batch=self.output_batch,
                                            group=self._groups[0])
            bar = pyglet.shapes.Rectangle(0, 0, 0, 3, color=BAR_COLOR, batch=self.output_batch, group=self._groups[1])
            self._output_marks.append((pyglet.text.Label("", **self._output_label), track, bar))
        for index, (label, track, bar) in enumerate(self._output_marks):
            shown = index < len(marks)
            label.visible = track.visible = bar.visible = shown
            if not shown:
                continue
            mark = marks[index]
            _set_text(label, mark.label)
            place = (round(mark.x + 4), round(mark.y + 5), 0)
            if tuple(label.position) != place:  # moving a label lays its text out again: only when it moved
                label.position = place
                track.position = bar.position = (place[0], place[1] - 12)
            width = round(OUTPUT_BAR_WIDTH * min(max(mark.probability, 0.0), 1.0), 1)
            if bar.width != width:
                bar.width = width

    def _due(self, name: str) -> bool:
        """Whether a label of ever-changing figures may be laid out again (at most every stats_refresh_seconds)."""
        now = time.monotonic()
        if now - self._refreshed.get(name, -math.inf) < self.stats_refresh_seconds:
            return False
        self._refreshed[name] = now
        return True

    def _update_digit(self, state: HudState) -> None:
        if state.image is not None:
            grey = np.repeat(np.repeat(state.image, DIGIT_SCALE, axis=0), DIGIT_SCALE, axis=1)
            # RGB, not "L": a core-profile context has no luminance textures.
            raw = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2)).tobytes()
            if raw != self._digit_bytes:
                self._digit_bytes = raw
                height, width = grey.shape
                self._image_shape = state.image.shape
                # Negative pitch: our rows run top to bottom, OpenGL's bottom to top.
                image = pyglet.image.ImageData(width, height, "RGB", raw, pitch=-3 * width)
                if self.digit_sprite is None:
                    self.digit_sprite = pyglet.sprite.Sprite(image, batch=self.batch, group=self._groups[1])
                else:
                    self.digit_sprite.image = image
                self._layout_digit()
        verdict = "" if state.correct is None else ("  ✓" if state.correct else "  ✗")
        answer = f"label     {state.true_text}\npredicted {state.predicted_text}{verdict}"
        # A new answer shows at once; the probabilities, which move with every batch, a few times a second.
        if answer != self.digit_caption.text.rsplit("\n", 1)[0] or self._due("digit"):
            changed = _set_text(self.digit_caption, f"{answer}\n{state.top_classes}")
        else:
            changed = False
        if changed:
            colour = TEXT_COLOR if state.correct is None else (RIGHT_COLOR if state.correct else WRONG_COLOR)
            self.digit_caption.color = colour

    def _update_timeline(self, timeline: TimelineState) -> None:
        x0, y0, w, h = self.plot_panel.x, self.plot_panel.y, self.plot_panel.width, self.plot_panel.height
        head = x0 + w * axis_fraction(timeline.shown, timeline.end)
        self.playhead.x, self.playhead.y, self.playhead.x2, self.playhead.y2 = head, y0, head, y0 + h
        self.playhead.color = PLAYHEAD_COLOR if timeline.live else PAST_PLAYHEAD_COLOR
        if self._due("plot"):  # its figures change with every batch: a few times a second is readable
            _set_text(self.plot_caption, timeline.caption)
        # The curves change when a point is added or measured, or the axis grows: re-made only then.
        key = (timeline.curve_key, _bucket(timeline.end), w)
        now = time.monotonic()
        # Rebuilding the curves costs milliseconds: at most every PLOT_REFRESH_SECONDS while training adds points.
        if key == self._plotted or (self._plotted is not None and self._plotted[-1] == w
                                    and now - self._plotted_at < PLOT_REFRESH_SECONDS):
            return
        self._plotted, self._plotted_at = key, now
        for line in self._plot_lines:
            line.delete()
        self._plot_lines = []
        loss_max = max((v for _, v in timeline.loss if math.isfinite(v)), default=1.0) or 1.0
        for values, top, colour in ((timeline.loss, loss_max, LOSS_COLOR), (timeline.accuracy, 1.0, ACCURACY_COLOR)):
            points = _plot_points(values, top, timeline.end, x0 + 2, y0 + 4, w - 4, h - 8)
            if len(points) >= 2:
                self._plot_lines.append(pyglet.shapes.MultiLine(*points, thickness=2, color=colour, batch=self.batch,
                                                                group=self._groups[1]))

    # ------------------------------------------------------------------ draw
    def draw(self, state: HudState, show_hud: bool, show_help: bool) -> None:
        self.update(state)
        self.output_batch.draw()  # the output layer's labels belong to the scene: shown with the HUD hidden too
        if show_hud:
            self.batch.draw()
        self.message_batch.draw()  # feedback for keys stays visible with the rest hidden
        if show_help:
            self.help_batch.draw()


def _help_text(rows: list[tuple[str, str]], title: str = "nnviz keys") -> str:
    return f"{title}\n\n" + "\n".join(f"{keys:<18} {text}" for keys, text in rows)


def _set_text(label: pyglet.text.Label, text: str) -> bool:
    """Set a label's text only if it differs (setting it re-lays it out); say whether it did."""
    if label.text == text:
        return False
    label.text = text
    return True


def _plot_points(values, top, end, x, y, width, height) -> list[tuple[float, float]]:
    """(samples seen, value) points placed on the timeline's axis; at most MAX_PLOT_POINTS of them."""
    finite = [(at, v) for at, v in values if math.isfinite(v)]
    if len(finite) < 2 or end <= 0:
        return []
    stride = max(1, len(finite) // MAX_PLOT_POINTS)
    finite = finite[::stride] + ([finite[-1]] if (len(finite) - 1) % stride else [])
    # Plain floats: pyglet's line maths breaks on NumPy scalars.
    return [(float(x + width * axis_fraction(at, end)), float(y + height * min(max(v / top, 0.0), 1.0)))
            for at, v in finite]


def _bucket(end: int) -> int:
    """The axis end in steps of about 1 %: the curves are re-laid as it grows, not every frame."""
    return 0 if end <= 0 else int(math.log(end) * 100)


# ------------------------------------------------------ analysis panels: confusion matrix (G), receptive fields (V)
ANALYSIS_PANEL_COLOR = (8, 12, 28, 240)  # nearly opaque: in a small window they cover the stats
HOVER_COLOR = (255, 255, 255, 255)
SHOWN_CELL_COLOR = (120, 200, 255, 255)  # the cell of the digit on show
SELECTED_TILE_COLOR = (255, 255, 255, 255)
HOVERED_TILE_COLOR = (150, 190, 255, 220)
SCROLL_TRACK_COLOR = (60, 66, 90, 200)
SCROLL_THUMB_COLOR = (170, 180, 205, 230)


def _rgba_image(pixels: np.ndarray) -> pyglet.image.ImageData:
    """(h, w, 4) uint8, rows top to bottom, as pyglet image data."""
    height, width = pixels.shape[:2]
    return pyglet.image.ImageData(width, height, "RGBA", np.ascontiguousarray(pixels).tobytes(), pitch=-4 * width)


def _set_sprite(sprite: pyglet.sprite.Sprite | None, image, batch, group) -> pyglet.sprite.Sprite:
    if sprite is None:
        return pyglet.sprite.Sprite(image, batch=batch, group=group)
    sprite.image = image
    return sprite


def _scaled(tiles: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(n, h, w, 3) tiles resized to size (w, h) by nearest pixel: crisp at whole multiples."""
    width, height = size
    rows = np.arange(height) * tiles.shape[1] // height
    cols = np.arange(width) * tiles.shape[2] // width
    return tiles[:, rows][:, :, cols]


class _PanelFrame:
    """A panel's background, title (top) and footer (bottom)."""

    def __init__(self, batch, groups, label_style):
        self.groups = groups
        self.background = pyglet.shapes.Rectangle(0, 0, 10, 10, color=ANALYSIS_PANEL_COLOR, batch=batch,
                                                  group=groups[0])
        self.title = pyglet.text.Label("", anchor_y="top", **label_style)
        self.footer = pyglet.text.Label("", anchor_y="bottom", **{**label_style, "color": DIM_TEXT})
        self._rect = None

    @property
    def parts(self) -> list:
        return [self.background, self.title, self.footer]

    def place(self, rect, title: str, footer: str, font_size: float) -> bool:
        """Lay out at rect; True if it moved (what depends on the place must move too)."""
        _set_text(self.title, title)
        _set_text(self.footer, footer)
        if rect == self._rect and self.title.font_size == font_size:
            return False
        self._rect = rect
        x, y, w, h = rect
        self.background.position = (x, y)
        self.background.width, self.background.height = w, h
        for label in (self.title, self.footer):
            label.font_size = font_size
        self.title.position = (x + PANEL_PAD, y + h - 6, 0)
        self.footer.position = (x + PANEL_PAD, y + 5, 0)
        return True


class ConfusionPanel:
    """The test set's confusion matrix: one picture of the cells, class labels on both axes."""

    def __init__(self, batch, groups, label_style):
        self.batch, self.groups, self.label_style = batch, groups, label_style
        self.frame = _PanelFrame(batch, groups, label_style)
        self.sprite: pyglet.sprite.Sprite | None = None
        self.row_labels: list[pyglet.text.Label] = []
        self.column_labels: list[pyglet.text.Label] = []
        self.hover = pyglet.shapes.Box(0, 0, 1, 1, thickness=2, color=HOVER_COLOR, batch=batch, group=groups[1])
        self.shown = pyglet.shapes.Box(0, 0, 1, 1, thickness=1, color=SHOWN_CELL_COLOR, batch=batch,
                                       group=groups[1])
        self._picture = None  # what the sprite shows: (rect, colour bytes)
        self._labelled = None

    def update(self, state, font_size: float) -> None:
        visible = state is not None
        for part in (*self.frame.parts, *self.row_labels, *self.column_labels):
            part.visible = visible
        if self.sprite is not None:
            self.sprite.visible = visible and state.colors is not None
        if not visible:
            self.hover.visible = self.shown.visible = False
            return
        classes = len(state.labels)
        moved = self.frame.place(state.rect, state.title, state.footer, font_size)
        cell = confusion_cell_rect(state.rect, classes, 0, 0)[2]
        if moved or self._labelled != state.labels:
            self._label_axes(state, classes, cell)
        if state.colors is not None and (state.rect, state.colors.tobytes()) != self._picture:
            self._picture = (state.rect, state.colors.tobytes())
            self._draw_cells(state, classes, cell)
        for box, where in ((self.hover, state.hovered), (self.shown, state.shown)):
            box.visible = where is not None and state.colors is not None
            if box.visible:  # just outside the cell's colour (which leaves its right and bottom pixel dark)
                x, y, w, h = confusion_cell_rect(state.rect, classes, *where)
                grow = box.thickness
                box.position, box.width, box.height = (x - grow, y + 1 - grow), w - 1 + 2 * grow, h - 1 + 2 * grow

    def _label_axes(self, state, classes: int, cell: float) -> None:
        self._labelled = list(state.labels)
        for label in self.row_labels + self.column_labels:
            label.delete()
        style = {**self.label_style, "font_size": min(max(cell * 0.5, 6), FONT_SIZE - 2), "color": DIM_TEXT}
        self.row_labels = [pyglet.text.Label(name, anchor_x="right", anchor_y="center", **style)
                           for name in state.labels]
        self.column_labels = [pyglet.text.Label(name, anchor_x="center", anchor_y="bottom", **style)
                              for name in state.labels]
        for index in range(classes):
            x, y, w, h = confusion_cell_rect(state.rect, classes, index, index)
            left, top = state.rect[0] + PANEL_PAD + CONFUSION_LABELS, y + h + index * cell
            self.row_labels[index].position = (left - 5, y + h / 2, 0)
            self.column_labels[index].position = (x + w / 2, top + 2, 0)

    def _draw_cells(self, state, classes: int, cell: float) -> None:
        size = int(round(cell))
        gap = 1 if size >= 6 else 0
        pixels = np.zeros((classes * size, classes * size, 4), np.uint8)
        block = np.repeat(np.repeat(state.colors, size, axis=0), size, axis=1)
        pixels[:, :, :3] = block
        pixels[:, :, 3] = 255
        if gap:  # a dark line between cells: one pixel off each cell's right and bottom edge
            pixels[size - 1::size, :, 3] = 0
            pixels[:, size - 1::size, 3] = 0
        self.sprite = _set_sprite(self.sprite, _rgba_image(pixels), self.batch, self.groups[1])
        x, y, _, _ = confusion_cell_rect(state.rect, classes, classes - 1, 0)
        self.sprite.position = (x, y, 0)
        self.sprite.visible = True


class GalleryPanel:
    """The receptive fields: one picture of the page's tiles, outlines for the selected and hovered ones."""

    def __init__(self, batch, groups, label_style):
        self.batch, self.groups = batch, groups
        self.frame = _PanelFrame(batch, groups, label_style)
        self.sprite: pyglet.sprite.Sprite | None = None
        self.selected = pyglet.shapes.Box(0, 0, 1, 1, thickness=2, color=SELECTED_TILE_COLOR, batch=batch,
                                          group=groups[1])
        self.hovered = pyglet.shapes.Box(0, 0, 1, 1, thickness=1, color=HOVERED_TILE_COLOR, batch=batch,
                                         group=groups[1])
        self.track = pyglet.shapes.Rectangle(0, 0, 1, 1, color=SCROLL_TRACK_COLOR, batch=batch, group=groups[0])
        self.thumb = pyglet.shapes.Rectangle(0, 0, 1, 1, color=SCROLL_THUMB_COLOR, batch=batch, group=groups[1])
        self._tiles = None  # the tiles array the sprite shows (kept: its identity says when it changes)
        self._grid = None

    def update(self, state, font_size: float) -> None:
        visible = state is not None
        for part in self.frame.parts:
            part.visible = visible
        if self.sprite is not None:
            self.sprite.visible = visible
        if not visible:
            self.selected.visible = self.hovered.visible = self.track.visible = self.thumb.visible = False
            return
        grid = state.grid
        self.frame.place(grid.rect, state.title, state.footer, font_size)
        if state.tiles is not self._tiles or grid != self._grid:
            self._tiles, self._grid = state.tiles, grid
            self._draw_tiles(state.tiles, grid)
        for box, slot, grow in ((self.selected, state.selected, 2), (self.hovered, state.hovered, 1)):
            box.visible = slot is not None and slot < len(state.tiles)
            if box.visible:
                x, y, w, h = grid.tile_rect(slot)
                box.position, box.width, box.height = (x - grow, y - grow), w + 2 * grow, h + 2 * grow
        rows = -(-state.total // grid.columns)
        self.track.visible = self.thumb.visible = rows > grid.rows
        if self.track.visible:
            x, y, w, h = grid.scrollbar_rect()
            self.track.position, self.track.width, self.track.height = (x, y), w, h
            thumb = h * grid.rows / rows
            top = y + h - h * (state.first // grid.columns) / rows
            self.thumb.position, self.thumb.width, self.thumb.height = (x, top - thumb), w, thumb

    def _draw_tiles(self, tiles: np.ndarray, grid) -> None:
        (tw, th), gap = grid.tile, TILE_GAP
        width, height = grid.columns * (tw + gap) - gap, grid.rows * (th + gap) - gap
        pixels = np.zeros((height, width, 4), np.uint8)  # clear between the tiles: the panel shows through
        for slot, tile in enumerate(_scaled(tiles, grid.tile)[:grid.page]):
            row, column = divmod(slot, grid.columns)
            top, left = row * (th + gap), column * (tw + gap)
            pixels[top:top + th, left:left + tw, :3] = tile
            pixels[top:top + th, left:left + tw, 3] = 255
        self.sprite = _set_sprite(self.sprite, _rgba_image(pixels), self.batch, self.groups[1])
        x, _, _, _ = grid.tile_rect(0)
        _, y, _, _ = grid.tile_rect((grid.rows - 1) * grid.columns)
        self.sprite.position = (x, y, 0)
        self.sprite.visible = True


class AnalysisPanels:
    """Both panels, over the rest of the HUD (their own, later groups)."""

    def __init__(self, batch):
        groups = (pyglet.graphics.Group(order=2), pyglet.graphics.Group(order=3))
        label_style = dict(font_name=FONT, font_size=FONT_SIZE - 2, color=TEXT_COLOR, batch=batch, group=groups[1])
        self.confusion = ConfusionPanel(batch, groups, label_style)
        self.gallery = GalleryPanel(batch, groups, label_style)

    def update(self, state: HudState, width: int, height: int) -> None:
        font_size = panel_font_size(width, height)
        self.confusion.update(state.confusion, font_size)
        self.gallery.update(state.gallery, font_size)

    def right_edge(self, state: HudState) -> float | None:
        """Where the panels on show end on the right (None: none shows)."""
        rects = [panel.rect for panel in (state.confusion,) if panel is not None]
        rects += [state.gallery.grid.rect] if state.gallery is not None else []
        return max((x + w for x, _, w, _ in rects), default=None)
