"""Every key the app understands: one table drives dispatch and the help overlay.

Keys are named as pyglet's ``key.symbol_string`` names them ("SPACE", "N",
"_1", "BRACKETRIGHT"), so the window adapter passes names straight through
and the app core needs no window toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    keys: tuple[str, ...]
    action: str
    help: str
    shift: bool = False  # binding needs Shift held (checked before the plain one)


BINDINGS: tuple[Binding, ...] = (
    Binding(("SPACE",), "toggle_pause", "pause / resume training"),
    Binding(("N", "RIGHT"), "step_epoch", "train to the end of this epoch, then pause", shift=True),
    Binding(("N",), "step_batch", "train exactly one mini-batch (while paused)"),
    Binding(("RIGHT",), "time_forward", "one snapshot later (live: train one mini-batch)"),
    Binding(("LEFT",), "time_start", "back to the first snapshot of the run", shift=True),
    Binding(("LEFT",), "time_back", "one snapshot back in time (pauses; End returns to live)"),
    Binding(("END",), "time_live", "back to live training"),
    Binding(("B",), "replay_speed", "replay speed (snapshots per second)", shift=True),
    Binding(("B",), "toggle_replay", "play / stop a replay of the run"),
    Binding(("X",), "resume_here", "train on from the moment shown (drops what came after)"),
    Binding(("Y",), "cycle_line_mode", "lines: weights / change since last snapshot / gradient for this digit"),
    Binding(("PLUS", "EQUAL", "NUM_ADD"), "faster", "train more batches per frame"),
    Binding(("MINUS", "NUM_SUBTRACT"), "slower", "train fewer batches per frame"),
    Binding(("M",), "toggle_max_speed", "smooth (frame rate first) / max speed (training first)"),
    Binding(("BRACKETRIGHT",), "lr_up", "learning rate x 1.5"),
    Binding(("BRACKETLEFT",), "lr_down", "learning rate / 1.5"),
    Binding(("_1",), "activation_sigmoid", "activation: sigmoid"),
    Binding(("_2",), "activation_tanh", "activation: tanh"),
    Binding(("_3",), "activation_relu", "activation: ReLU"),
    Binding(("_4",), "activation_leaky_relu", "activation: leaky ReLU"),
    Binding(("R",), "reset", "reset the network to fresh random weights"),
    Binding(("I",), "toggle_drawing", "draw your own digit on the input grid (left paints, right erases)"),
    Binding(("BACKSPACE", "DELETE"), "clear_drawing", "clear the digit you drew"),
    Binding(("T",), "next_wrong", "show the next test digit the network gets wrong", shift=True),
    Binding(("T",), "next_sample", "show the next test digit"),
    Binding(("G",), "toggle_confusion", "test-set confusion matrix (click a cell: a digit of that kind)"),
    Binding(("V",), "toggle_gallery", "receptive fields of hidden layer 1 (click selects, wheel scrolls)"),
    Binding(("F2",), "toggle_panel", "show / hide the control panel (hyper-parameters, layers)"),
    Binding(("J",), "remove_neuron", "remove the selected hidden neuron", shift=True),
    Binding(("J",), "add_neuron", "add a neuron to the selected neuron's hidden layer (outputs unchanged)"),
    Binding(("K",), "save", "save weights (.npz, timestamped)"),
    Binding(("L",), "load", "load the weights K saved last, else --load FILE, else a path you type"),
    Binding(("P", "F12"), "screenshot", "save a screenshot (PNG)"),
    Binding(("F9",), "toggle_recording", "record the window to an .mp4 beside the screenshots (F9 stops)"),
    Binding(("C",), "cycle_colormap", "next weight colour map (incl. colour-blind safe)"),
    Binding(("PERIOD",), "threshold_up", "hide more weak weights"),
    Binding(("COMMA",), "threshold_down", "show more weak weights"),
    Binding(("F",), "frame_all", "frame the whole network"),
    Binding(("HOME",), "home", "reset the camera"),
    Binding(("O",), "toggle_orbit", "fly / orbit camera"),
    Binding(("TAB",), "toggle_mouse_look", "capture the mouse to look around (Tab or Esc releases)"),
    Binding(("H", "F1"), "toggle_help", "show / hide this help"),
    Binding(("U",), "toggle_hud", "hide / show the HUD (clean screenshots)"),
    Binding(("ESCAPE",), "quit", "quit (first closes help, frees the mouse; press twice if unsaved)"),
)

#: Keys held for movement (not dispatched as actions): (forward, right, up) axes.
MOVEMENT = {
    "W": (1, 0, 0), "S": (-1, 0, 0), "D": (0, 1, 0), "A": (0, -1, 0),
    "E": (0, 0, 1), "Q": (0, 0, -1), "UP": (1, 0, 0), "DOWN": (-1, 0, 0),
}
MOVEMENT_HELP = (
    ("W A S D", "fly forward / left / back / right"),
    ("Q / E", "down / up"),
    ("Shift", "move faster"),
    ("right drag", "look around (orbit mode: turn around the network)"),
    ("wheel", "fly speed (orbit mode: zoom)"),
    ("left click", "select a neuron; click empty space to clear"),
)


SHIFT_KEYS = ("LSHIFT", "RSHIFT")


def action_for(symbol: str, shift: bool) -> str | None:
    for binding in BINDINGS:
        if symbol in binding.keys and (binding.shift == shift or not binding.shift and not _has_shift_variant(symbol)):
            return binding.action
    return None


def key_label(action: str) -> str:
    """The key that does `action`, as the help names it ("K", "Esc"): for messages that tell which to press."""
    binding = next(b for b in BINDINGS if b.action == action)
    return ("Shift+" if binding.shift else "") + _key_name(binding.keys[0])


def _has_shift_variant(symbol: str) -> bool:
    return any(b.shift and symbol in b.keys for b in BINDINGS)


def help_lines() -> list[tuple[str, str]]:
    rows = list(MOVEMENT_HELP)
    for binding in BINDINGS:
        names = " / ".join(_key_name(k) for k in binding.keys)
        rows.append((("Shift+" if binding.shift else "") + names, binding.help))
    return rows


_PRETTY = {"BRACKETLEFT": "[", "BRACKETRIGHT": "]", "PLUS": "+", "EQUAL": "=", "MINUS": "-", "PERIOD": ".",
           "COMMA": ",", "NUM_ADD": "num +", "NUM_SUBTRACT": "num -", "ESCAPE": "Esc", "SPACE": "Space",
           "RIGHT": "→", "LEFT": "←", "HOME": "Home", "END": "End", "TAB": "Tab",
           "BACKSPACE": "Backspace", "DELETE": "Delete"}


def _key_name(symbol: str) -> str:
    name = symbol.lstrip("_")
    return _PRETTY.get(name, name)
