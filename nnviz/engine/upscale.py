"""Drawing a lower-resolution image of the scene over the whole viewport, filtered (dynamic resolution)."""

from __future__ import annotations

import moderngl

from nnviz.engine.shader_library import ShaderLibrary


class Upscaler:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary | None = None):
        self.ctx = ctx
        self.program = (shaders or ShaderLibrary(ctx)).program("upscale.vert", "upscale.frag")
        self._vao = ctx.vertex_array(self.program, [])

    def draw(self, scene: moderngl.Texture) -> None:
        """Cover the bound framebuffer's viewport with `scene`, bilinearly filtered."""
        self.ctx.enable_only(moderngl.NOTHING)
        scene.filter = moderngl.LINEAR, moderngl.LINEAR
        scene.use(0)
        self.program["u_scene"].value = 0
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        self._vao.release()
