"""OpenGL fixtures and helpers for the engine and app-core tests (EGL + Mesa llvmpipe, no display).

Import the fixtures into a test module (`from gl_fixtures import gl_ctx, ...`);
pytest then finds them by name. One context and one set of compiled shaders
serve the whole session (compiling on llvmpipe is the slow part); every test
gets the context back in a known state.

The session context is made through a function loader that wraps the GL draw
entry points, so tests count the draw calls the driver really received
(`gl_draw_calls`), not what the renderer says it did.
"""

from __future__ import annotations

import collections
import ctypes

import moderngl
import numpy as np
import pytest

from nnviz.engine.camera import Camera
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.network_renderer import NetworkRenderer, engine_shaders
from nnviz.engine.offscreen import OffscreenTarget
from nnviz.engine.style import RenderStyle

_GLenum, _GLint, _GLsizei, _pointer = ctypes.c_uint, ctypes.c_int, ctypes.c_int, ctypes.c_void_p
_DRAW_FUNCTIONS = {
    "glDrawArrays": ctypes.CFUNCTYPE(None, _GLenum, _GLint, _GLsizei),
    "glDrawArraysInstanced": ctypes.CFUNCTYPE(None, _GLenum, _GLint, _GLsizei, _GLsizei),
    "glDrawElements": ctypes.CFUNCTYPE(None, _GLenum, _GLsizei, _GLenum, _pointer),
    "glDrawElementsInstanced": ctypes.CFUNCTYPE(None, _GLenum, _GLsizei, _GLenum, _pointer, _GLsizei),
    "glDrawArraysInstancedBaseInstance": ctypes.CFUNCTYPE(None, _GLenum, _GLint, _GLsizei, _GLsizei, ctypes.c_uint),
    "glMultiDrawArrays": ctypes.CFUNCTYPE(None, _GLenum, _pointer, _pointer, _GLsizei),
}


class DrawCountingLoader:
    """A glcontext EGL context whose GL draw functions count their calls before calling the driver's."""

    def __init__(self):
        import glcontext

        self._inner = glcontext.get_backend_by_name("egl")(glversion=330, mode="standalone")
        self.counts: collections.Counter[str] = collections.Counter()
        self._callbacks = []  # ctypes callbacks must outlive the context

    def load_opengl_function(self, name: str) -> int:
        address = self._inner.load_opengl_function(name)
        prototype = _DRAW_FUNCTIONS.get(name)
        if prototype is None or not address:
            return address
        real, counts = prototype(address), self.counts

        def counted(*args):
            counts[name] += 1
            real(*args)

        callback = prototype(counted)
        self._callbacks.append(callback)
        return ctypes.cast(callback, ctypes.c_void_p).value

    load = load_opengl_function

    def release(self) -> None:
        self._inner.release()

    def __enter__(self):
        return self._inner.__enter__()

    def __exit__(self, *details):
        return self._inner.__exit__(*details)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@pytest.fixture(scope="session")
def gl_loader():
    try:
        loader = DrawCountingLoader()
    except Exception as error:  # no EGL / no Mesa: glcontext raises plain Exceptions
        pytest.skip(f"no EGL context: {error}")
    return loader


@pytest.fixture(scope="session")
def gl_session_ctx(gl_loader):
    ctx = moderngl.create_context(standalone=True, context=gl_loader)
    ctx.gc_mode = "auto"
    yield ctx
    ctx.release()


@pytest.fixture(scope="session")
def gl_shaders(gl_session_ctx):
    library = engine_shaders(gl_session_ctx)
    yield library
    library.release()


@pytest.fixture
def gl_ctx(gl_session_ctx):
    """The session context, with GL state reset after each test."""
    ctx = gl_session_ctx
    yield ctx
    ctx.enable_only(moderngl.NOTHING)
    ctx.blend_func = moderngl.DEFAULT_BLENDING
    ctx.blend_equation = moderngl.FUNC_ADD
    ctx.depth_func = "<"
    if ctx.fbo is not None:  # a standalone context has no screen: tests draw to their own targets
        ctx.fbo.depth_mask = True
    ctx.gc()


@pytest.fixture
def gl_draw_calls(gl_loader):
    """Call it to get the number of GL draw calls made since the test began."""
    start = gl_loader.total
    return lambda: gl_loader.total - start


def zero_frame(sizes) -> FrameSnapshot:
    return FrameSnapshot.from_layers(
        [np.zeros((a, b), np.float32) for a, b in zip(sizes[:-1], sizes[1:])],
        [np.zeros(n, np.float32) for n in sizes[1:]],
        [np.zeros(n, np.float32) for n in sizes],
    )


class Scene:
    """A renderer, a frame, a style, an offscreen target and a camera: draw, read pixels, find neurons."""

    def __init__(self, ctx, shaders, layout, width=320, height=240, samples=0, **style):
        self.layout = layout
        self.renderer = NetworkRenderer(ctx, layout, shaders=shaders)
        self.style = RenderStyle(**style)
        self.target = OffscreenTarget(ctx, width, height, samples=samples)
        self.width, self.height = width, height
        self.camera = Camera()
        self.frame = zero_frame(layout.layer_sizes)

    def set(self, weights=None, biases=None, activations=None, **details) -> FrameSnapshot:
        """Replace parts of the frame (per-layer arrays); the rest stays."""
        old = self.frame
        sizes = old.layer_sizes
        self.frame = FrameSnapshot.from_layers(
            weights if weights is not None else [old.weight_matrix(k) for k in range(len(sizes) - 1)],
            biases if biases is not None else [old.layer_biases(k) for k in range(1, len(sizes))],
            activations if activations is not None else [old.layer_activations(k) for k in range(len(sizes))],
            true_class=details.get("true", old.true_class),
            predicted_class=details.get("predicted", old.predicted_class),
        )
        return self.frame

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def render(self) -> np.ndarray:
        self.renderer.prepare(self.frame, self.style)
        self.target.use()
        self.target.clear(self.style.background)
        self.renderer.draw(self.camera.view_matrix(), self.camera.projection_matrix(self.aspect))
        return self.target.read_rgb()

    def pixel_of(self, points) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) in a read_rgb() image of world points."""
        window = self.camera.project(np.atleast_2d(points), self.width, self.height)
        cols = np.floor(window[:, 0]).astype(int)
        rows = np.floor(self.height - window[:, 1]).astype(int)
        assert (cols >= 0).all() and (cols < self.width).all() and (rows >= 0).all() and (rows < self.height).all()
        return rows, cols

    def colors_at(self, image: np.ndarray, points) -> np.ndarray:
        rows, cols = self.pixel_of(points)
        return image[rows, cols].astype(np.float64) / 255.0

    def release(self) -> None:
        self.renderer.release()
        self.target.release()
