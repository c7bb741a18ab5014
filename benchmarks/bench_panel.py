"""What the control panel costs per frame, which backend draws it cheaper, and how long a live edit takes to show.

    python benchmarks/bench_panel.py [--data DIR] [--synthetic] [--quick] [--size 1280x720]
                                     [--parts panel,backends,edits]

Three measurements, each side by side in one run (the machine is noisy: only
the ratios within a run mean much):

  1. panel: the app core's full frame (AppCore.render + ctx.finish()) on a
     standalone EGL context at --size, 4x MSAA, 784-16-16-10, training paused
     so only drawing is timed, with the control panel shown and hidden (F2,
     the scene then gets the full width), alternating in blocks of frames to
     cancel drift; median and 90th percentile. A third condition, in the same
     rotation, times the panel alone: core.panel_seconds (ImGui layout + draw
     calls, what the core records) and, with ctx.finish() before and after the
     panel, its layout + draw calls + rasterisation (on llvmpipe the pixels
     are filled on the CPU, after the draw calls return). The HUD's text is
     the window's (pyglet) and is not drawn on EGL.
  2. backends: the same panel (ControlPanel's layout, with a stub editor) in a
     real pyglet window, drawn by imgui-bundle's own pyglet backend
     (imgui_bundle.python_backends.pyglet_backend, through PyOpenGL) and by
     nnviz's GuiRenderer (ModernGL) on the window's own context, alternating
     in blocks; per frame: layout + draw calls, the renderer's part of that,
     and all of it + glFinish; the two must draw the same pixels. A
     third row draws it with GuiRenderer into a 4x MSAA offscreen target, as
     the app does. This part runs in a child process, under xvfb-run when
     there is no $DISPLAY: it needs an X window and its GLX context, while the
     other parts use a standalone EGL context. Both renderers share that one
     window and context. It needs PyOpenGL, which nnviz does not:
     pip install PyOpenGL into the venv for this benchmark only; without it,
     or without a display or xvfb-run, this part is skipped with a message.
  3. edits: for 784-16-16-10 and 784-512-512-10, the time from a live edit
     (NetworkEditor: add a neuron to hidden layer 1, remove one, insert a
     layer before hidden layer 2, remove it) to the rebuilt scene: the edit
     call returning (surgery, the trainer's new state, test-set evaluations
     where the edit reports accuracy, new layout and renderer.rebuild) plus
     the next frame rendered and finished; median of the repetitions, and
     the plain frame of that network measured in the same loop.

MNIST comes from --data or $NNVIZ_DATA (or the download cache); without it
(or with --synthetic) a synthetic stand-in of the same sizes is used: the
frames cost the same, and the edits' test-set evaluations see as many images.
BLAS threads are not pinned: the app does not pin them either.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnviz.errors import NnvizError  # noqa: E402
from nnviz.model.config import TrainConfig  # noqa: E402
from nnviz.testing.synthetic_data import striped_dataset  # noqa: E402

SMALL, LARGE = (784, 16, 16, 10), (784, 512, 512, 10)
EDITS = (
    ("add a neuron to hidden 1", lambda editor: editor.add_neurons(1, 1)),
    ("remove a neuron of hidden 1", lambda editor: editor.remove_neuron(1)),
    ("insert a layer before hidden 2", lambda editor: editor.insert_layer(2)),
    ("remove that layer", lambda editor: editor.remove_layer(2)),
)


def p90(values) -> float:
    return float(np.percentile(values, 90))


def ms(value: float) -> str:
    value *= 1e3
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# ---------------------------------------------------------------- data
def synthetic_dataset():
    """As many test images as MNIST's, so evaluations cost alike."""
    return striped_dataset(6000, 10_000)


def dataset(data_dir: str | None, synthetic: bool):
    if synthetic:
        return synthetic_dataset(), "synthetic (--synthetic)"
    from nnviz.data import load_dataset
    try:
        return load_dataset("mnist", data_dir, download=False, progress=False), "MNIST"
    except NnvizError as error:
        return synthetic_dataset(), f"synthetic (no MNIST: {error})"


def make_core(ctx, data, layers, size, workdir):
    from nnviz.app.core import AppCore
    from nnviz.app.session import TrainingSession

    session = TrainingSession(TrainConfig(layers=layers), load_data=lambda progress: data, input_shape=(28, 28))
    session.start_loading()
    session.wait_for_data(60)
    session.toggle_pause()  # only drawing is timed
    return AppCore(session, ctx, window_size=size, screenshot_dir=workdir)


def timed_frame(core) -> float:
    core.ctx.finish()
    start = time.perf_counter()
    core.render()
    core.ctx.finish()
    return time.perf_counter() - start


# ------------------------------------------------------- 1. panel cost
def measure_panel(ctx, data, size, frames, block, workdir) -> dict:
    core = make_core(ctx, data, SMALL, size, workdir)
    panel, ctx = core.panel, core.ctx
    if not panel.visible:
        core.perform("toggle_panel")
    draw = panel.draw
    isolated = []

    def finished_draw(*args):  # the panel alone, rasterisation included
        ctx.finish()
        start = time.perf_counter()
        draw(*args)
        ctx.finish()
        isolated.append(time.perf_counter() - start)

    for _ in range(3):  # warm-up: shaders, the font atlas, the target
        timed_frame(core)
    results = {"hidden": [], "visible": [], "panel_seconds": []}
    for _ in range(max(1, frames // block)):
        for condition in ("visible", "hidden", "isolated"):
            if panel.visible != (condition != "hidden"):
                core.perform("toggle_panel")  # as F2 does: the scene's area follows
            panel.draw = finished_draw if condition == "isolated" else draw
            for _ in range(block):
                seconds = timed_frame(core)
                if condition == "isolated":
                    continue
                results[condition].append(seconds)
                if condition == "visible":
                    results["panel_seconds"].append(core.panel_seconds)
    panel.draw = draw
    core.release()
    results["isolated"] = isolated
    return results


def print_panel(results, size, block) -> None:
    visible, hidden = results["visible"], results["hidden"]
    print(f"\n1. Control panel in the app core's frame: 784-16-16-10 paused, {size[0]}x{size[1]}, 4x MSAA, EGL; "
          f"{len(visible)} frames per condition, rotating in blocks of {block}")
    print("| what | median ms | p90 ms |")
    print("| --- | ---: | ---: |")
    print(f"| full frame, panel hidden (F2) | {ms(statistics.median(hidden))} | {ms(p90(hidden))} |")
    print(f"| full frame, panel shown | {ms(statistics.median(visible))} | {ms(p90(visible))} |")
    print(f"| panel: layout + draw calls (core.panel_seconds) | {ms(statistics.median(results['panel_seconds']))} "
          f"| {ms(p90(results['panel_seconds']))} |")
    print(f"| panel: layout + draw calls + rasterised (finish before and after) | "
          f"{ms(statistics.median(results['isolated']))} | {ms(p90(results['isolated']))} |")
    ratio = statistics.median(visible) / statistics.median(hidden)
    share = statistics.median(results["isolated"]) / statistics.median(visible)
    print(f"shown / hidden (medians): {ratio:.3f}x; the panel, rasterised, is {share:.1%} of a frame with it shown")


# ----------------------------------------- 2. pyglet backend vs GuiRenderer
class StubEditor:
    """What the panel reads, for drawing it without a trainer; its buttons do nothing."""

    def __init__(self):
        self.config = TrainConfig()
        self.paused, self.speed_level, self.max_speed = True, 7, False
        self.input_description, self.can_add_not_a_digit = "28x28 pixels", False

    def __getattr__(self, name):  # toggle_pause, add_neurons, ...: every action is a no-op
        return lambda *args, **kwargs: None


def backends_worker(size, frames, block) -> dict:
    """Runs in the child process, in an X window: both renderers on that window's context, alternating."""
    import moderngl
    import pyglet
    from imgui_bundle import imgui

    from imgui_bundle.python_backends.pyglet_backend import PygletProgrammablePipelineRenderer
    from nnviz.app.control_panel import ControlPanel
    from nnviz.engine.offscreen import OffscreenTarget

    config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True, double_buffer=True)
    window = pyglet.window.Window(width=size[0], height=size[1], config=config, vsync=False, caption="bench_panel")
    ctx = moderngl.create_context(require=330)
    window_size, framebuffer_size = window.get_size(), window.get_framebuffer_size()

    # Two panels at once: each configures "the current" ImGui context in its __init__, but
    # imgui.create_context() leaves the previous context current when there is one, so the second
    # panel would set up the first's context (font, colours, texture flag) and draw with defaults.
    # Make each new context current while its panel is built.
    create_context = imgui.create_context

    def create_current(*args):
        context = create_context(*args)
        imgui.set_current_context(context)
        return context

    imgui.create_context = create_current
    try:
        ours = ControlPanel(ctx, StubEditor(), window_size, visible=True)
        theirs = ControlPanel(ctx, StubEditor(), window_size, visible=True)  # its own context, same font and style
    finally:
        imgui.create_context = create_context
    theirs.renderer.release()  # never drew: it made no textures
    theirs._use()
    backend = PygletProgrammablePipelineRenderer(window)  # as its examples do: it also sets the cursor
    in_renderer = [0.0]  # the last frame's time in the renderer alone (the rest of panel.draw is ImGui's layout)

    def timed(render):
        def wrapper(draw_data, framebuffer_size):
            start = time.perf_counter()
            try:
                render(draw_data, framebuffer_size)
            finally:
                in_renderer[0] = time.perf_counter() - start
        return wrapper

    theirs.renderer = types.SimpleNamespace(render=timed(lambda draw_data, framebuffer: backend.render(draw_data)),
                                            release=lambda: None)
    ours.renderer.render = timed(ours.renderer.render)
    offscreen = OffscreenTarget(ctx, *framebuffer_size, samples=4)
    conditions = {
        "pyglet": (theirs, ctx.screen),
        "moderngl": (ours, ctx.screen),
        "moderngl_msaa": (ours, offscreen),
    }

    def frame(panel, target):
        window.dispatch_events()
        target.use()
        ctx.clear(0.05, 0.06, 0.1)
        ctx.finish()
        start = time.perf_counter()
        panel.draw(window_size, framebuffer_size, 1 / 60)
        submitted = time.perf_counter()
        ctx.finish()
        done = time.perf_counter()
        ctx.screen.use()
        window.flip()  # not timed: the same for both
        return submitted - start, in_renderer[0], done - start

    for name, (panel, target) in conditions.items():
        for _ in range(10):  # warm-up: the font atlas, shaders, buffers grown
            frame(panel, target)
    images = []  # both draw the same pixels, or the comparison means nothing (read from a plain framebuffer:
    plain = ctx.simple_framebuffer(framebuffer_size)  # reading the window's fails on this driver)
    for panel in (theirs, ours):
        plain.use()
        ctx.clear(0.05, 0.06, 0.1)
        panel.draw(window_size, framebuffer_size, 1 / 60)
        images.append(np.frombuffer(plain.read(components=3), np.uint8).astype(np.int16))
    plain.release()
    difference = np.abs(images[0] - images[1]).reshape(-1, 3).max(axis=1)
    inked = np.abs(images[1].reshape(-1, 3) - images[1].reshape(-1, 3)[0]).max(axis=1) > 0
    results = {name: {"cpu": [], "renderer": [], "finished": []} for name in conditions}
    for _ in range(max(1, frames // block)):
        for name, (panel, target) in conditions.items():
            for _ in range(block):
                for key, seconds in zip(("cpu", "renderer", "finished"), frame(panel, target)):
                    results[name][key].append(seconds)
    info = {"renderer": ctx.info["GL_RENDERER"], "pyopengl": __import__("OpenGL").__version__,
            "error_checking": bool(__import__("OpenGL").ERROR_CHECKING),
            "pixels_drawn": int(inked.sum()), "pixels_differing": int((difference > 2).sum())}
    ours.release()
    theirs.release()  # its ImGui context; the backend's GL objects go with the window
    offscreen.release()
    window.close()
    return {"info": info, "results": results}


def measure_backends(size, frames, block) -> dict | str:
    """The child process's results, or why there are none."""
    if importlib.util.find_spec("OpenGL") is None:
        return ("skipped: imgui-bundle's pyglet backend needs PyOpenGL, which nnviz does not install "
                "(pip install PyOpenGL into the venv to run this part)")
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "backends",
               "--size", f"{size[0]}x{size[1]}", "--backend-frames", str(frames), "--block", str(block)]
    if not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            return "skipped: no $DISPLAY and no xvfb-run (apt-get install xvfb xauth)"
        command = ["xvfb-run", "-a", "-s", f"-screen 0 {size[0] + 64}x{size[1] + 64}x24"] + command
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "skipped: the window process took over 300 s"
    if run.returncode != 0:
        tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
        return "skipped: the window process failed:\n    " + "\n    ".join(tail)
    return json.loads(run.stdout.strip().splitlines()[-1])


def print_backends(outcome, size, block) -> None:
    print(f"\n2. The same panel by two renderers, in one pyglet window ({size[0]}x{size[1]}, Xvfb), "
          f"alternating in blocks of {block}")
    if isinstance(outcome, str):
        print(outcome)
        return
    info, results = outcome["info"], outcome["results"]
    print(f"{info['renderer']}; PyOpenGL {info['pyopengl']} (error checking "
          f"{'on, its default' if info['error_checking'] else 'off'}); "
          f"{len(results['pyglet']['cpu'])} frames each; the two drew {info['pixels_drawn']:,} panel pixels, "
          f"{info['pixels_differing']:,} of them different (by over 2/255)")
    print("| renderer | layout + draw calls, median ms | p90 | of it: the renderer, median ms | p90 "
          "| + glFinish, median ms | p90 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    names = {"pyglet": "imgui-bundle pyglet backend (PyOpenGL), window",
             "moderngl": "nnviz GuiRenderer (ModernGL), window",
             "moderngl_msaa": "nnviz GuiRenderer, 4x MSAA offscreen target (as the app)"}
    for key, label in names.items():
        row = " | ".join(f"{ms(statistics.median(results[key][column]))} | {ms(p90(results[key][column]))}"
                         for column in ("cpu", "renderer", "finished"))
        print(f"| {label} | {row} |")
    for column, what in (("cpu", "layout + draw calls"), ("renderer", "the renderer alone"),
                         ("finished", "with glFinish")):
        ratio = statistics.median(results["pyglet"][column]) / statistics.median(results["moderngl"][column])
        print(f"pyglet backend / GuiRenderer, {what} (medians, same window): {ratio:.2f}x")


# ------------------------------------------------------- 3. live edits
def measure_edits(ctx, data, layers, size, repetitions, workdir, warm_up) -> dict:
    core = make_core(ctx, data, layers, size, workdir)
    spent = {"scene": 0.0, "evaluations": 0.0}

    def timed(key, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - start
        return wrapper

    # The edit call's parts: the scene's (new layout, renderer.rebuild, glide start: AppCore._reshape via the
    # editor's listener) and the test-set evaluations (apply_edit's, and before / after for removals).
    core.editor._on_reshape = timed("scene", core.editor._on_reshape)
    trainer = core.session.trainer  # the same object after every edit (Trainer.apply_edit)
    trainer.evaluate_test = timed("evaluations", trainer.evaluate_test)
    for _ in range(2):
        timed_frame(core)

    def settle():  # let the last edit's glide (GLIDE_SECONDS) run out, without drawing
        while core.glide is not None and not core.glide.done:
            time.sleep(0.02)

    names = [name for name, _ in EDITS]
    results = {"plain": [], **{name: {"call": [], "scene": [], "evaluations": [], "frame": [], "total": []}
                               for name in names}}
    for repetition in range(repetitions + (1 if warm_up else 0)):
        core.render()  # untimed: ends the last glide
        plain = timed_frame(core)
        timings = []
        for name, edit in EDITS:
            spent["scene"] = spent["evaluations"] = 0.0
            core.ctx.finish()
            start = time.perf_counter()
            edit(core.editor)
            returned = time.perf_counter()
            core.render()
            core.ctx.finish()
            done = time.perf_counter()
            timings.append({"call": returned - start, "scene": spent["scene"], "evaluations": spent["evaluations"],
                            "frame": done - returned, "total": done - start})
            settle()
        if warm_up and repetition == 0:
            continue
        results["plain"].append(plain)
        for name, timing in zip(names, timings):
            for key, seconds in timing.items():
                results[name][key].append(seconds)
    assert tuple(trainer.config.layers) == tuple(layers), trainer.config.layers  # the four edits undo each other
    core.release()
    return results


def print_edits(all_results, size) -> None:
    print(f"\n3. From a live edit to the rebuilt scene ({size[0]}x{size[1]}, panel shown, paused, EGL), medians")
    print("| network | edit | edit call ms | of it: test-set evaluations | of it: scene rebuild "
          "| next frame ms | edit -> frame finished ms | / plain frame |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for layers, results in all_results:
        network = "-".join(map(str, layers))
        plain = statistics.median(results["plain"])
        print(f"| {network} ({len(results['plain'])} reps) | plain frame, no edit | - | - | - | {ms(plain)} | - "
              "| 1.00 |")
        for name, _ in EDITS:
            entry = {key: statistics.median(values) for key, values in results[name].items()}
            print(f"| {network} | {name} | {ms(entry['call'])} | {ms(entry['evaluations'])} | {ms(entry['scene'])} "
                  f"| {ms(entry['frame'])} | {ms(entry['total'])} | {entry['total'] / plain:.2f} |")


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST directory (default: $NNVIZ_DATA, cache; else synthetic)")
    parser.add_argument("--synthetic", action="store_true", help="use a synthetic dataset even if MNIST is found")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--quick", action="store_true",
                        help="fewer frames and repetitions (here about 35 s instead of 90 s)")
    parser.add_argument("--parts", default="panel,backends,edits", help="comma-separated subset")
    parser.add_argument("--frames", type=int, help="frames per condition in part 1 (default 30, quick 10)")
    parser.add_argument("--backend-frames", type=int, help="frames per renderer in part 2 (default 300, quick 100)")
    parser.add_argument("--block", type=int, help="frames per block when alternating (default 5; part 2: 20)")
    parser.add_argument("--reps", type=int, help="repetitions per edit, 784-16-16-10 (default 6, quick 2)")
    parser.add_argument("--reps-large", type=int, help="repetitions per edit, 784-512-512-10 (default 3, quick 1)")
    parser.add_argument("--worker", choices=("backends",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))

    if args.worker == "backends":
        print(json.dumps(backends_worker(size, args.backend_frames, args.block)))
        return 0

    quick = args.quick
    frames = args.frames or (10 if quick else 30)
    backend_frames = args.backend_frames or (100 if quick else 300)
    reps, reps_large = args.reps or (2 if quick else 6), args.reps_large or (1 if quick else 3)
    block = args.block or 5
    parts = set(args.parts.split(","))
    started = time.perf_counter()

    from nnviz.engine.context import create_context

    data, source = dataset(args.data, args.synthetic)
    ctx = create_context()
    print(f"{ctx.info['GL_RENDERER']}; {os.cpu_count()} CPUs; data: {source}; load average at start: {load_average()}")
    with tempfile.TemporaryDirectory() as workdir:
        if "panel" in parts:
            print_panel(measure_panel(ctx, data, size, frames, block, workdir), size, block)
        if "backends" in parts:
            backend_block = args.block or 20
            print_backends(measure_backends(size, backend_frames, backend_block), size, backend_block)
        if "edits" in parts:
            edits = [(SMALL, measure_edits(ctx, data, SMALL, size, reps, workdir, warm_up=True)),
                     (LARGE, measure_edits(ctx, data, LARGE, size, reps_large, workdir, warm_up=False))]
            print_edits(edits, size)
    print(f"\nload average at end: {load_average()}; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
