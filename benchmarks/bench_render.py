"""Renderer cost per frame for three network sizes, offscreen (EGL).

    python benchmarks/bench_render.py [--frames 200] [--seconds 10] [--full-frames 3] [--size 1280x720]

For each network, with random weights and activations:
  * engine CPU ms/frame: renderer.prepare(frame, style) + draw, median over
    --frames frames (fewer, at least 10, when they take over --seconds), minus the time spent inside the driver's draw calls
    (VertexArray.render). The GPU is drained with ctx.finish() *before* each
    timed frame and not inside it, so no rasterisation is counted;
  * driver draw ms/frame: the time inside those draw calls. On a real GPU this
    is a few microseconds of command submission; Mesa's llvmpipe runs the whole
    vertex stage (every line's 4 vertices) on the calling thread there, so on
    llvmpipe it is GPU work done by the CPU, reported apart from the engine's;
  * full frame: the same plus ctx.finish(), into a 4x multisampled target of
    --size, median over --full-frames: frames per second on this machine's GPU
    (llvmpipe renders on the CPU, so expect small numbers there);
  * bytes uploaded per frame (NetworkRenderer.bytes_uploaded) and draw calls
    per frame, counted by wrapping VertexArray.render.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import moderngl
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnviz.engine.camera import Camera  # noqa: E402
from nnviz.engine.context import create_context  # noqa: E402
from nnviz.engine.frame import FrameSnapshot  # noqa: E402
from nnviz.engine.layout import layout_network  # noqa: E402
from nnviz.engine.network_renderer import NetworkRenderer  # noqa: E402
from nnviz.engine.offscreen import OffscreenTarget  # noqa: E402
from nnviz.engine.style import RenderStyle  # noqa: E402

NETWORKS = ([784, 16, 16, 10], [784, 128, 128, 10], [784, 512, 512, 10])


def random_frames(sizes, rng, count=2):
    """A few frames to alternate between, so every frame really uploads new data."""
    return [FrameSnapshot.from_layers(
        [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])],
        [rng.normal(0, 0.1, n).astype(np.float32) for n in sizes[1:]],
        [rng.random(n).astype(np.float32) for n in sizes],
    ) for _ in range(count)]


class DriverDrawClock:
    """Accumulates the wall time spent inside moderngl's VertexArray.render while active."""

    def __init__(self):
        self.seconds = 0.0
        self.calls = 0
        self._original = moderngl.VertexArray.render

    def __enter__(self):
        original, clock = self._original, self

        def timed_render(vao, *args, **kwargs):
            start = time.perf_counter()
            clock.calls += 1
            try:
                return original(vao, *args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - start

        moderngl.VertexArray.render = timed_render
        return self

    def __exit__(self, *exc):
        moderngl.VertexArray.render = self._original


def measure(ctx, sizes, frames, seconds, full_frames, width, height):
    layout = layout_network(sizes, input_shape=(28, 28))
    renderer = NetworkRenderer(ctx, layout)
    style = RenderStyle(hidden_range=(0.0, 1.0))
    target = OffscreenTarget(ctx, width, height, samples=4)
    camera = Camera.preset("default", layout, target.aspect)
    view, projection = camera.view_matrix(), camera.projection_matrix(target.aspect)
    snapshots = random_frames(sizes, np.random.default_rng(0))

    def frame(i):
        renderer.prepare(snapshots[i % 2], style)
        renderer.draw(view, projection)

    target.use()
    target.clear(style.background)
    frame(0)
    ctx.finish()  # warm-up: shaders compiled, textures allocated on the driver side

    engine, driver = [], []
    deadline = time.perf_counter() + seconds
    with DriverDrawClock() as clock:
        for i in range(frames):
            if i >= 10 and time.perf_counter() > deadline:
                break
            ctx.finish()
            clock.seconds = 0.0
            start = time.perf_counter()
            frame(i)
            elapsed = time.perf_counter() - start
            engine.append(elapsed - clock.seconds)
            driver.append(clock.seconds)
        clock.calls = 0
        frame(0)
        draw_calls = clock.calls
    uploaded = renderer.bytes_uploaded

    full = []
    for i in range(full_frames):
        ctx.finish()
        start = time.perf_counter()
        target.clear(style.background)
        frame(i)
        ctx.finish()
        full.append(time.perf_counter() - start)

    renderer.release()
    target.release()
    return {
        "network": "-".join(map(str, sizes)),
        "weights": layout.num_edges,
        "draw_calls": draw_calls,
        "bytes": uploaded,
        "cpu_ms": statistics.median(engine) * 1e3,
        "driver_ms": statistics.median(driver) * 1e3,
        "full_ms": statistics.median(full) * 1e3,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0, help="time budget per network for the CPU timing")
    parser.add_argument("--full-frames", type=int, default=3)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    ctx = create_context()
    print(f"GPU: {ctx.info['GL_RENDERER']}; full frames at {width}x{height}, 4x MSAA")
    rows = [measure(ctx, sizes, args.frames, args.seconds, args.full_frames, width, height) for sizes in NETWORKS]
    base = rows[0]
    print("| network | weights | draw calls | bytes uploaded/frame | engine CPU ms/frame | growth vs weights "
          "| driver draw ms/frame | full frame ms | fps |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for row in rows:
        growth = f"{row['cpu_ms'] / base['cpu_ms']:.1f}x for {row['weights'] / base['weights']:.1f}x"
        print(f"| {row['network']} | {row['weights']:,} | {row['draw_calls']} | {row['bytes']:,} | "
              f"{row['cpu_ms']:.3f} | {growth} | {row['driver_ms']:.1f} | {row['full_ms']:.0f} | "
              f"{1000 / row['full_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
