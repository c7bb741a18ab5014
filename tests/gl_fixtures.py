"""OpenGL fixtures and helpers for the engine tests (EGL + Mesa llvmpipe, no display).

Import the fixtures into a test module (`from gl_fixtures import gl_ctx, ...`);
pytest then finds them by name. One context and one set of compiled shaders
serve the whole session (compiling on llvmpipe is the slow part); every test
gets the context back in a known state.
"""

from __future__ import annotations

import moderngl
import numpy as np
import pytest

from nnviz.engine.camera import Camera
from nnviz.engine.context import create_context
from nnviz.engine.network_renderer import NetworkRenderer
from nnviz.engine.offscreen import OffscreenTarget
from nnviz.engine.shader_library import ShaderLibrary
from nnviz.errors import NnvizError


@pytest.fixture(scope="session")
def gl_session_ctx():
    try:
        ctx = create_context()
    except NnvizError as error:
        pytest.skip(str(error))
    yield ctx
    ctx.release()


@pytest.fixture(scope="session")
def gl_shaders(gl_session_ctx):
    library = ShaderLibrary(gl_session_ctx)
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


class Scene:
    """A renderer, an offscreen target and a camera: draw, read pixels, find neurons on screen."""

    def __init__(self, ctx, shaders, layout, width=320, height=240, samples=0, **renderer_options):
        self.layout = layout
        self.renderer = NetworkRenderer(ctx, layout, shaders=shaders, **renderer_options)
        self.target = OffscreenTarget(ctx, width, height, samples=samples)
        self.width, self.height = width, height
        self.camera = Camera()
        self.renderer.set_weights([np.zeros((a, b), np.float32) for a, b in zip(layout.layer_sizes[:-1], layout.layer_sizes[1:])])
        self.renderer.set_activations([np.zeros(n, np.float32) for n in layout.layer_sizes])

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def render(self) -> np.ndarray:
        self.target.use()
        self.target.clear(self.renderer.background_color)
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
