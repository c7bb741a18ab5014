"""Rendering without a window: a multisampled offscreen target and a one-call image renderer."""

from __future__ import annotations

from typing import Sequence

import moderngl
import numpy as np

from nnviz.engine.camera import Camera
from nnviz.engine.context import create_context
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.layout import layout_network
from nnviz.engine.network_renderer import NetworkRenderer
from nnviz.engine.style import RenderStyle

__all__ = ["OffscreenTarget", "create_context", "render_network_image"]


class OffscreenTarget:
    """A colour + depth framebuffer of a given size, multisampled when the GPU allows.

    Draw after `use()`; `read_rgb()` resolves the samples and returns the image.
    """

    def __init__(self, ctx: moderngl.Context, width: int, height: int, samples: int = 4, sampled: bool = False):
        """`sampled`: the colour lands in a texture (`texture`) that shaders can read; needs samples=0."""
        if width < 1 or height < 1:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        self.ctx = ctx
        self.size = (int(width), int(height))
        self.samples = min(int(samples), ctx.max_samples) if samples > 1 else 0
        if self.samples < 2:
            self.samples = 0
        self._resolved = ctx.framebuffer(color_attachments=[ctx.renderbuffer(self.size)])
        if self.samples:
            self._framebuffer = ctx.framebuffer(
                color_attachments=[ctx.renderbuffer(self.size, samples=self.samples)],
                depth_attachment=ctx.depth_renderbuffer(self.size, samples=self.samples),
            )
        else:
            colour = ctx.texture(self.size, 4) if sampled else ctx.renderbuffer(self.size)
            self._framebuffer = ctx.framebuffer(
                color_attachments=[colour],
                depth_attachment=ctx.depth_renderbuffer(self.size),
            )
        if sampled and self.samples:
            raise ValueError("a sampled target cannot be multisampled")

    @property
    def texture(self) -> moderngl.Texture:
        """The colour texture of a target made with sampled=True."""
        colour = self._framebuffer.color_attachments[0]
        if not isinstance(colour, moderngl.Texture):
            raise ValueError("this target was not made with sampled=True")
        return colour

    @property
    def aspect(self) -> float:
        return self.size[0] / self.size[1]

    def use(self) -> None:
        self._framebuffer.use()

    def clear(self, rgb: Sequence[float]) -> None:
        # glClear obeys the depth write mask: a mask left off by other drawing
        # would keep the previous frame's depth and hide the new one.
        self._framebuffer.depth_mask = True
        self._framebuffer.clear(*rgb, 1.0, depth=1.0)

    def read_rgb(self) -> np.ndarray:
        """(H, W, 3) uint8, row 0 at the top."""
        source = self._framebuffer
        if self.samples:
            self.ctx.copy_framebuffer(self._resolved, self._framebuffer)
            source = self._resolved
        data = source.read(components=3, alignment=1)
        width, height = self.size
        # OpenGL's row 0 is the bottom of the image.
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)[::-1].copy()

    def blit_to(self, destination: moderngl.Framebuffer) -> None:
        """Resolve the samples and copy the image into `destination` (e.g. a window's screen).

        Through the single-sample buffer: a multisampled blit needs identical
        formats, and a window's RGB8 rarely matches our RGBA8.
        """
        source = self._framebuffer
        if self.samples:
            self.ctx.copy_framebuffer(self._resolved, self._framebuffer)
            source = self._resolved
        self.ctx.copy_framebuffer(destination, source)

    def release(self) -> None:
        for framebuffer in (self._framebuffer, self._resolved):
            for attachment in (*framebuffer.color_attachments, framebuffer.depth_attachment):
                if attachment is not None:
                    attachment.release()
            framebuffer.release()


class ScreenTarget:
    """A window's own framebuffer with OffscreenTarget's interface: frames drawn straight onto the screen.

    Without multisampling there is nothing to resolve, and a copy into the window would make a software
    rasteriser finish the frame there and then; drawn in place, it finishes while the app trains.
    """

    samples = 0

    def __init__(self, ctx: moderngl.Context, width: int, height: int):
        self.ctx = ctx
        self._framebuffer = ctx.screen
        self.size = (int(width), int(height))

    @property
    def aspect(self) -> float:
        return self.size[0] / self.size[1]

    def use(self) -> None:
        self._framebuffer.use()
        self._framebuffer.viewport = (0, 0, *self.size)

    def clear(self, rgb: Sequence[float]) -> None:
        self._framebuffer.depth_mask = True
        self._framebuffer.clear(*rgb, 1.0, depth=1.0)

    def read_rgb(self) -> np.ndarray:
        """(H, W, 3) uint8 of the back buffer (what the next swap shows), row 0 at the top.

        Through a copy: reading a window's framebuffer directly names a colour attachment it does not
        have (a GL error); a blit from it is allowed."""
        copy = OffscreenTarget(self.ctx, *self.size, samples=0)
        try:
            self.ctx.copy_framebuffer(copy._framebuffer, self._framebuffer)
            return copy.read_rgb()
        finally:
            copy.release()
            self.use()

    def blit_to(self, destination: moderngl.Framebuffer) -> None:
        if destination is not self._framebuffer:
            self.ctx.copy_framebuffer(destination, self._framebuffer)

    def release(self) -> None:
        """The window owns its framebuffer."""


def render_network_image(
    frame: FrameSnapshot,
    style: RenderStyle | None = None,
    *,
    width: int = 1280,
    height: int = 720,
    camera: str = "default",
    samples: int = 4,
    input_shape: tuple[int, int] | None = None,
    ctx: moderngl.Context | None = None,
) -> np.ndarray:
    """Render one frame of the network offscreen; returns (height, width, 3) uint8, row 0 on top.

    input_shape: the input layer's (rows, columns) when it is an image, drawn as a grid.
    """
    style = style or RenderStyle()
    owns_context = ctx is None
    ctx = create_context() if owns_context else ctx
    layout = layout_network(frame.layer_sizes, input_shape=input_shape)
    renderer = NetworkRenderer(ctx, layout)
    target = OffscreenTarget(ctx, width, height, samples=samples)
    try:
        renderer.prepare(frame, style)
        view_camera = Camera.preset(camera, layout, target.aspect)
        target.use()
        target.clear(style.background)
        renderer.draw(view_camera.view_matrix(), view_camera.projection_matrix(target.aspect))
        return target.read_rgb()
    finally:
        target.release()
        renderer.release()
        if owns_context:
            ctx.release()
