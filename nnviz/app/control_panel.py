"""The control panel: a Dear ImGui window docked at the right edge of the window.

It shows the training's hyper-parameters and the architecture and changes
them live through a NetworkEditor (nnviz/app/live_edit.py); it knows nothing
of how an edit is done. Input reaches it from the app core, which asks it
first whether it wants each event: the mouse over the panel, and the keyboard
only while one of its text fields has focus, so the scene's keys keep working.

Coordinates: the app core's are pyglet's (origin bottom left), ImGui's start
top left; the panel converts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import imgui_bundle
import moderngl
from imgui_bundle import imgui
from imgui_bundle.imgui import internal as imgui_internal

from nnviz.app.hud_colors import BUTTON_COLOR, PANEL_COLOR, TEXT_COLOR
from nnviz.app.session import SAVE_FORMATS, SPEED_LEVELS
from nnviz.engine.gui_renderer import GuiRenderer
from nnviz.engine.rules import MAX_LAYERS
from nnviz.model.activations import ACTIVATIONS
from nnviz.model.optimizers import OPTIMIZERS

#: The panel's width in window pixels, and the narrowest window it is shown in by default.
PANEL_WIDTH = 320  # leaves a 1280-wide window 960 for the HUD: its full (not compact) layout
SHOWN_FROM_WIDTH = 1100
FONT_SIZE = 15.0
_FONT = Path(imgui_bundle.__file__).parent / "assets" / "fonts" / "DroidSans.ttf"
_WINDOW_FLAGS = (imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_resize | imgui.WindowFlags_.no_collapse
                 | imgui.WindowFlags_.no_saved_settings)
_MOUSE_BUTTONS = {"left": 0, "right": 1}
#: The scene's key names (pyglet's) that text fields need, as ImGui keys.
_TEXT_KEYS = {
    "BACKSPACE": imgui.Key.backspace, "DELETE": imgui.Key.delete, "LEFT": imgui.Key.left_arrow,
    "RIGHT": imgui.Key.right_arrow, "HOME": imgui.Key.home, "END": imgui.Key.end, "RETURN": imgui.Key.enter,
    "ENTER": imgui.Key.enter, "NUM_ENTER": imgui.Key.keypad_enter, "TAB": imgui.Key.tab,
    "ESCAPE": imgui.Key.escape, "A": imgui.Key.a, "C": imgui.Key.c, "V": imgui.Key.v, "X": imgui.Key.x,
    "Z": imgui.Key.z,
}
#: Modifier keys: ImGui wants the key itself and the modifier flag it sets.
_MODIFIER_KEYS = {"LCTRL": (imgui.Key.left_ctrl, imgui.Key.mod_ctrl), "RCTRL": (imgui.Key.right_ctrl, imgui.Key.mod_ctrl),
                  "LSHIFT": (imgui.Key.left_shift, imgui.Key.mod_shift),
                  "RSHIFT": (imgui.Key.right_shift, imgui.Key.mod_shift)}
_SPEED_NAMES = [("as fast as frames allow" if level is None else f"{level} batch{'es' if level > 1 else ''} a frame")
                for level in SPEED_LEVELS]
_OPTIMIZER_NAMES = list(OPTIMIZERS)
_ACTIVATION_NAMES = list(ACTIVATIONS)


def _rgba(colour: tuple[int, int, int, int], alpha: float | None = None) -> imgui.ImVec4:
    r, g, b, a = (c / 255 for c in colour)
    return imgui.ImVec4(r, g, b, a if alpha is None else alpha)


def _use_hud_colours() -> None:
    """Dear ImGui's dark style in the HUD's colours, so the panel looks part of the same window."""
    imgui.style_colors_dark()
    style = imgui.get_style()
    style.window_rounding = 0.0
    style.frame_rounding = 3.0
    colours = {
        imgui.Col_.window_bg: _rgba(PANEL_COLOR, 0.94),
        imgui.Col_.text: _rgba(TEXT_COLOR),
        imgui.Col_.title_bg: _rgba(BUTTON_COLOR, 1.0),
        imgui.Col_.title_bg_active: _rgba(BUTTON_COLOR, 1.0),
        imgui.Col_.button: _rgba(BUTTON_COLOR),
        imgui.Col_.frame_bg: _rgba((24, 32, 60, 255)),
    }
    for slot, colour in colours.items():
        style.set_color_(slot, colour)


def default_visible(window_width: int) -> bool:
    return window_width >= SHOWN_FROM_WIDTH


class ControlPanel:
    def __init__(self, ctx: moderngl.Context, editor, window_size: tuple[int, int], *, visible: bool = True,
                 on_load: Callable[[str], None] | None = None):
        self.editor = editor
        self.visible = visible
        self.on_load = on_load  # given the Load weights field's text when Load (or Enter) is pressed
        self.load_path = ""  # what the Load weights field holds
        self._focus_load_path = False  # the next frame puts the keyboard in the Load weights field
        self._context = imgui.create_context()
        imgui.set_current_context(self._context)  # creating one leaves another panel's current
        io = imgui.get_io()
        io.set_ini_filename("")  # the panel is docked: nothing to remember between runs
        if _FONT.is_file():
            io.fonts.add_font_from_file_ttf(str(_FONT), FONT_SIZE)
        _use_hud_colours()
        self.renderer = GuiRenderer(ctx)
        self.window_size = tuple(window_size)  # the core's, told on resize
        self._owns_mouse = False  # a press began on the panel: its drag and release are the panel's
        self._let_go = False  # the next frame ends any typing (a press landed elsewhere)
        #: Each widget's rectangle (x0, y0, x1, y1) in the core's coordinates as last laid out, by label:
        #: where to click for scripted input (tests, the window driver, docs/make_images.py).
        self.widget_rects: dict[str, tuple[float, float, float, float]] = {}
        self.last_frame_seconds = 0.0

    # ------------------------------------------------------------ geometry
    def width(self, window_width: int) -> int:
        return min(PANEL_WIDTH, max(window_width // 2, 1)) if self.visible else 0

    def rect(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) in the core's coordinates (origin bottom left)."""
        width, height = self.window_size
        panel = self.width(width)
        return width - panel, 0, panel, height

    def _over(self, x: float, y: float) -> bool:
        px, py, pw, ph = self.rect()
        return self.visible and px <= x <= px + pw and py <= y <= py + ph

    # --------------------------------------------------------------- input
    def _use(self) -> None:
        imgui.set_current_context(self._context)

    def wants_mouse(self, x: float, y: float) -> bool:
        if not self.visible:
            return False
        self._use()
        # A click anywhere while a drop-down is open closes it (and is the panel's); otherwise only the
        # panel's own rectangle: ImGui's want_capture_mouse is a frame old, and would take a scene click
        # made just after the mouse left the panel.
        return self._owns_mouse or self._over(x, y) or imgui.is_popup_open("", imgui.PopupFlags_.any_popup_id)

    def mouse_motion(self, x: float, y: float) -> None:
        self._use()
        imgui.get_io().add_mouse_pos_event(x, self.window_size[1] - y)

    def mouse_leave(self) -> None:
        self._use()
        imgui.get_io().add_mouse_pos_event(-imgui.FLT_MAX, -imgui.FLT_MAX)

    def mouse_button(self, x: float, y: float, button: str, down: bool) -> bool:
        """Take a press over the panel (True), and the release of a press it took.

        A press elsewhere while a field is being typed into ends the typing (as a click beside a text
        field does anywhere): the scene's keys must not stay captured."""
        if down and not self.wants_mouse(x, y) and self.typing:
            self._let_go = True
        if button not in _MOUSE_BUTTONS or (down and not self.wants_mouse(x, y)) or (not down and not self._owns_mouse):
            return False
        self.mouse_motion(x, y)
        imgui.get_io().add_mouse_button_event(_MOUSE_BUTTONS[button], down)
        self._owns_mouse = down
        return True

    def scroll(self, clicks: float, x: float, y: float) -> bool:
        if not self.wants_mouse(x, y):
            return False
        imgui.get_io().add_mouse_wheel_event(0.0, clicks)
        return True

    @property
    def owns_mouse(self) -> bool:
        return self._owns_mouse

    @property
    def typing(self) -> bool:
        """A text field has focus: keys are text, not commands."""
        if not self.visible:
            return False
        self._use()
        return imgui.get_io().want_text_input

    def key(self, name: str, down: bool) -> None:
        self._use()
        io = imgui.get_io()
        if name in _MODIFIER_KEYS:
            for key in _MODIFIER_KEYS[name]:
                io.add_key_event(key, down)
        elif name in _TEXT_KEYS:
            io.add_key_event(_TEXT_KEYS[name], down)

    def text(self, characters: str) -> None:
        self._use()
        io = imgui.get_io()
        for character in characters:
            io.add_input_character(ord(character))

    # --------------------------------------------------------------- frame
    def draw(self, window_size: tuple[int, int], framebuffer_size: tuple[int, int], dt: float) -> None:
        """Lay out the panel (acting on what was clicked) and draw it onto the bound framebuffer."""
        self.window_size = window_size
        if not self.visible:
            return
        self._use()
        io = imgui.get_io()
        io.display_size = window_size
        io.display_framebuffer_scale = (framebuffer_size[0] / max(window_size[0], 1),
                                        framebuffer_size[1] / max(window_size[1], 1))
        io.delta_time = max(dt, 1e-4)
        imgui.new_frame()
        if self._let_go:
            imgui_internal.clear_active_id()  # the field keeps what was typed, as on Enter
            self._let_go = False
        x, _, width, height = self.rect()
        imgui.set_next_window_pos((x, 0), imgui.Cond_.always)
        imgui.set_next_window_size((width, height), imgui.Cond_.always)
        imgui.begin("Controls   (F2 hides)", None, _WINDOW_FLAGS)
        self._training()
        self._optimisation()
        self._architecture()
        self._weights()
        imgui.end()
        imgui.render()
        self.renderer.render(imgui.get_draw_data(), framebuffer_size)

    def _remember(self, label: str, frame_width: float | None = None) -> None:
        """Note the last widget's place; `frame_width`: only its frame, not the label beside it (sliders)."""
        (x0, y0), (x1, y1) = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        if frame_width is not None:
            x1 = x0 + frame_width
        height = self.window_size[1]
        self.widget_rects[label] = (x0, height - y1, x1, height - y0)

    def widget_centre(self, label: str) -> tuple[float, float]:
        x0, y0, x1, y1 = self.widget_rects[label]
        return (x0 + x1) / 2, (y0 + y1) / 2

    def _training(self) -> None:
        editor = self.editor
        imgui.separator_text("Training")
        if imgui.button("Resume" if editor.paused else "Pause"):
            editor.toggle_pause()
        self._remember("pause")
        imgui.same_line()
        if imgui.button("Step"):
            editor.step_batch()
        self._remember("step")
        imgui.same_line()
        if imgui.button("Reset weights"):
            editor.reset()
        self._remember("reset")
        changed, level = imgui.combo("speed", editor.speed_level, _SPEED_NAMES)
        if changed:
            editor.set_speed_level(level)
        self._remember("speed", imgui.calc_item_width())
        changed, max_speed = imgui.checkbox("max speed (training first)", editor.max_speed)
        self._remember("max speed")
        if changed:
            editor.set_max_speed(max_speed)

    def _optimisation(self) -> None:
        editor, config = self.editor, self.editor.config
        imgui.separator_text("Optimisation")
        changed, rate = imgui.slider_float("learning rate", config.learning_rate, 1e-5, 10.0, "%.5g",
                                           imgui.SliderFlags_.logarithmic)
        self._remember("learning rate", imgui.calc_item_width())
        if changed:
            editor.set_hyperparameter("learning_rate", rate)
        choice = self._choice("optimizer", "optimizer", config.optimizer, _OPTIMIZER_NAMES)
        if choice is not None:
            editor.set_optimizer(choice)
        imgui.begin_disabled(config.optimizer != "momentum")
        changed, momentum = imgui.slider_float("momentum", config.momentum, 0.0, 0.99, "%.2f")
        self._remember("momentum", imgui.calc_item_width())
        imgui.end_disabled()
        if changed:
            editor.set_hyperparameter("momentum", momentum)
        changed, batch = imgui.slider_int("batch size", config.batch_size, 1, 1024, "%d",
                                          imgui.SliderFlags_.logarithmic)
        self._remember("batch size", imgui.calc_item_width())
        if changed:
            editor.set_hyperparameter("batch_size", batch)
        changed, decay = imgui.slider_float("L2 weight decay", config.weight_decay, 0.0, 0.1, "%.2g",
                                            imgui.SliderFlags_.logarithmic)
        self._remember("weight decay", imgui.calc_item_width())
        if changed:
            editor.set_hyperparameter("weight_decay", decay)

    def _architecture(self) -> None:
        editor = self.editor
        layers, activations = editor.config.layers, editor.config.hidden_activations()
        imgui.separator_text("Architecture")
        imgui.text(f"input    {layers[0]} ({editor.input_description})")
        full = len(layers) >= MAX_LAYERS  # no room for another layer in the scene
        for hidden in range(1, len(layers) - 1):
            imgui.push_id(f"layer{hidden}")
            imgui.begin_disabled(full)
            if imgui.small_button("+ layer"):
                editor.insert_layer(hidden)
            imgui.end_disabled()
            self._remember(f"insert layer {hidden}")
            imgui.set_item_tooltip(f"insert a hidden layer here, before hidden layer {hidden}")
            imgui.text(f"hidden {hidden}  {layers[hidden]:>4}")
            imgui.same_line()
            imgui.set_next_item_width(110)
            choice = self._choice("##activation", f"activation {hidden}", activations[hidden - 1], _ACTIVATION_NAMES)
            if choice is not None:
                editor.set_layer_activation(hidden, choice)
            imgui.same_line()
            if imgui.small_button("+"):
                editor.add_neurons(hidden, 1)
            self._remember(f"add neuron {hidden}")
            imgui.set_item_tooltip("add a neuron (starts with zero outgoing weights: the outputs do not change)")
            imgui.same_line()
            if imgui.small_button("-"):
                editor.remove_neuron(hidden)
            self._remember(f"remove neuron {hidden}")
            imgui.set_item_tooltip("remove the selected neuron of this layer, else its least used one")
            imgui.same_line()
            if imgui.small_button("x"):
                editor.remove_layer(hidden)
            self._remember(f"remove layer {hidden}")
            imgui.set_item_tooltip("remove this layer (its neighbours are joined by the product of its weights)")
            imgui.pop_id()
        imgui.begin_disabled(full)
        if imgui.small_button("+ layer##last"):
            editor.insert_layer(len(layers) - 1)
        imgui.end_disabled()
        self._remember(f"insert layer {len(layers) - 1}")
        imgui.set_item_tooltip("insert a hidden layer just before the output layer")
        imgui.text(f"output   {layers[-1]} classes ({editor.config.output})")
        imgui.begin_disabled(not editor.can_add_not_a_digit)
        if imgui.button('add a "not a digit" class'):
            editor.add_not_a_digit()
        self._remember("not a digit")
        imgui.end_disabled()
        imgui.set_item_tooltip("an 11th output, trained on Fashion-MNIST pictures mixed into the digits")
        imgui.spacing()
        imgui.text_disabled("J adds a neuron to the selected neuron's layer,\nShift+J removes the selected neuron.")

    def focus_load_path(self) -> None:
        """Put the keyboard in the Load weights field (from the next frame): L without weights to load."""
        self._focus_load_path = True

    def _weights(self) -> None:
        """A path to load weights or a run from: the app's L loads only what it saved or was started with."""
        if self.on_load is None:
            return
        imgui.separator_text("Load weights")
        if self._focus_load_path:
            imgui.set_keyboard_focus_here()
            self._focus_load_path = False
        imgui.set_next_item_width(-imgui.calc_text_size("Load").x - 3 * imgui.get_style().frame_padding.x)
        entered, self.load_path = imgui.input_text_with_hint("##load path", "path: .npz, .onnx, .safetensors, .keras ...", self.load_path,
                                                             imgui.InputTextFlags_.enter_returns_true)
        self._remember("load path")
        imgui.same_line()
        pressed = imgui.button("Load")
        self._remember("load")
        if entered or pressed:
            self.on_load(self.load_path)
        imgui.separator_text("Save weights (K)")
        chosen = self._choice("format", "save format", self.editor.save_format, list(SAVE_FORMATS))
        if chosen is not None:
            self.editor.set_save_format(chosen)
        imgui.set_item_tooltip(".npz: nnviz's own; .safetensors: a PyTorch state dict (nn.Sequential of Linear); "
                               ".onnx: for any ONNX runtime")

    def _choice(self, label: str, name: str, current: str, options: list[str]) -> str | None:
        """A drop-down list; the option picked this frame (None: none). Each option's place is remembered."""
        chosen = None
        width = imgui.calc_item_width()
        opened = imgui.begin_combo(label, current)
        self._remember(name, width)
        if opened:
            for option in options:
                if imgui.selectable(option, option == current)[0] and option != current:
                    chosen = option
                self._remember(f"{name}: {option}")
            imgui.end_combo()
        return chosen

    def release(self) -> None:
        self._use()
        self.renderer.release()
        imgui.destroy_context(self._context)
