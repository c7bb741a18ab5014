"""Every key the window understands: one table drives dispatch and the help overlay."""

from __future__ import annotations

from dataclasses import dataclass

from pyglet.window import key


@dataclass(frozen=True)
class Binding:
    keys: tuple[int, ...]
    action: str
    help: str
    shift: bool = False  # binding needs Shift held (checked before the plain one)


BINDINGS: tuple[Binding, ...] = (
    Binding((key.SPACE,), "toggle_pause", "pause / resume training"),
    Binding((key.N, key.RIGHT), "step_epoch", "train to the end of this epoch, then pause", shift=True),
    Binding((key.N, key.RIGHT), "step_batch", "train exactly one mini-batch (while paused)"),
    Binding((key.PLUS, key.EQUAL, key.NUM_ADD), "faster", "train more batches per frame"),
    Binding((key.MINUS, key.NUM_SUBTRACT), "slower", "train fewer batches per frame"),
    Binding((key.M,), "toggle_max_speed", "smooth (frame rate first) / max speed (training first)"),
    Binding((key.BRACKETRIGHT,), "lr_up", "learning rate x 1.5"),
    Binding((key.BRACKETLEFT,), "lr_down", "learning rate / 1.5"),
    Binding((key._1,), "activation_sigmoid", "activation: sigmoid"),
    Binding((key._2,), "activation_tanh", "activation: tanh"),
    Binding((key._3,), "activation_relu", "activation: ReLU"),
    Binding((key._4,), "activation_leaky_relu", "activation: leaky ReLU"),
    Binding((key.R,), "reset", "reset the network to fresh random weights"),
    Binding((key.T,), "next_wrong", "show the next test digit the network gets wrong", shift=True),
    Binding((key.T,), "next_sample", "show the next test digit"),
    Binding((key.K,), "save", "save weights (.npz, timestamped)"),
    Binding((key.L,), "load", "load the last saved (or --load) weights"),
    Binding((key.P, key.F12), "screenshot", "save a screenshot (PNG)"),
    Binding((key.C,), "cycle_colormap", "next weight colour map (incl. colour-blind safe)"),
    Binding((key.PERIOD,), "threshold_up", "hide more weak weights"),
    Binding((key.COMMA,), "threshold_down", "show more weak weights"),
    Binding((key.F,), "frame_all", "frame the whole network"),
    Binding((key.HOME,), "home", "reset the camera"),
    Binding((key.O,), "toggle_orbit", "fly / orbit camera"),
    Binding((key.TAB,), "toggle_mouse_look", "capture the mouse to look around (Tab or Esc releases)"),
    Binding((key.H, key.F1), "toggle_help", "show / hide this help"),
    Binding((key.U,), "toggle_hud", "hide / show the HUD (clean screenshots)"),
    Binding((key.ESCAPE,), "quit", "quit (first closes help or releases the mouse)"),
)

#: Keys held for movement (not dispatched as actions): (forward, right, up) axes.
MOVEMENT = {
    key.W: (1, 0, 0), key.S: (-1, 0, 0), key.D: (0, 1, 0), key.A: (0, -1, 0),
    key.E: (0, 0, 1), key.Q: (0, 0, -1), key.UP: (1, 0, 0), key.DOWN: (-1, 0, 0),
}
MOVEMENT_HELP = (
    ("W A S D", "fly forward / left / back / right"),
    ("Q / E", "down / up"),
    ("Shift", "move faster"),
    ("right drag", "look around (orbit mode: turn around the network)"),
    ("wheel", "fly speed (orbit mode: zoom)"),
    ("left click", "select a neuron; click empty space to clear"),
)


def action_for(symbol: int, modifiers: int) -> str | None:
    shift = bool(modifiers & key.MOD_SHIFT)
    for binding in BINDINGS:
        if symbol in binding.keys and (binding.shift == shift or not binding.shift and not _has_shift_variant(symbol)):
            return binding.action
    return None


def _has_shift_variant(symbol: int) -> bool:
    return any(b.shift and symbol in b.keys for b in BINDINGS)


def help_lines() -> list[tuple[str, str]]:
    rows = list(MOVEMENT_HELP)
    for binding in BINDINGS:
        names = " / ".join(_key_name(k) for k in binding.keys)
        rows.append((("Shift+" if binding.shift else "") + names, binding.help))
    return rows


_PRETTY = {"BRACKETLEFT": "[", "BRACKETRIGHT": "]", "PLUS": "+", "EQUAL": "=", "MINUS": "-", "PERIOD": ".",
           "COMMA": ",", "NUM_ADD": "num +", "NUM_SUBTRACT": "num -", "ESCAPE": "Esc", "SPACE": "Space",
           "RIGHT": "→", "HOME": "Home", "TAB": "Tab"}


def _key_name(symbol: int) -> str:
    name = key.symbol_string(symbol).lstrip("_")
    return _PRETTY.get(name, name)
