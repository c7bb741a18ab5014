"""Draws Dear ImGui's draw data with ModernGL, into whatever framebuffer is bound.

Through the project's own context rather than imgui-bundle's pyglet backend:
the panel then lands in the same offscreen target as the scene, so
screenshots, recordings and headless tests show it, and no second GL binding
(PyOpenGL) is needed. Textures follow Dear ImGui 1.92's protocol (the
backend creates, updates and destroys the textures the atlas asks for).
"""

from __future__ import annotations

import ctypes

import moderngl
import numpy as np
from imgui_bundle import imgui

from nnviz.engine.shader_library import ShaderLibrary

_VERTEX_FORMAT = "2f 2f 4f1"  # ImDrawVert: position, uv, colour (normalised bytes)


def _bytes_at(address: int, size: int) -> memoryview:
    """A view of ImGui's buffer memory: uploaded without a Python copy."""
    return memoryview((ctypes.c_char * size).from_address(address)).cast("B")


class GuiRenderer:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary | None = None):
        if imgui.VERTEX_SIZE != 20:
            raise RuntimeError(f"unexpected ImDrawVert size {imgui.VERTEX_SIZE}")
        self.ctx = ctx
        self.program = (shaders or ShaderLibrary(ctx)).program("gui.vert", "gui.frag")
        self._vertices = ctx.buffer(reserve=64 * 1024, dynamic=True)
        self._indices = ctx.buffer(reserve=64 * 1024, dynamic=True)
        self._vao = ctx.vertex_array(
            self.program, [(self._vertices, _VERTEX_FORMAT, "in_position", "in_uv", "in_color")],
            index_buffer=self._indices, index_element_size=imgui.INDEX_SIZE,
        )
        self._textures: dict[int, moderngl.Texture] = {}
        io = imgui.get_io()
        io.backend_flags |= imgui.BackendFlags_.renderer_has_textures
        platform = imgui.get_platform_io()
        platform.renderer_texture_max_width = platform.renderer_texture_max_height = ctx.info["GL_MAX_TEXTURE_SIZE"]

    def render(self, draw_data: imgui.ImDrawData, framebuffer_size: tuple[int, int]) -> None:
        """Draw onto the bound framebuffer; leaves blending on and depth and scissor tests off."""
        self._update_textures()
        width, height = draw_data.display_size
        fb_width, fb_height = framebuffer_size
        if width <= 0 or height <= 0 or fb_width <= 0 or fb_height <= 0:
            return
        scale_x, scale_y = fb_width / width, fb_height / height
        ctx = self.ctx
        ctx.enable_only(moderngl.BLEND)
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self.program["u_display_size"].value = (width, height)
        self.program["u_texture"].value = 0
        origin_x, origin_y = draw_data.display_pos
        try:
            for commands in draw_data.cmd_lists:
                self._upload(self._vertices, commands.vtx_buffer.data_address(),
                             commands.vtx_buffer.size() * imgui.VERTEX_SIZE)
                self._upload(self._indices, commands.idx_buffer.data_address(),
                             commands.idx_buffer.size() * imgui.INDEX_SIZE)
                for command in commands.cmd_buffer:
                    x0, y0, x1, y1 = command.clip_rect
                    x0, x1 = (x0 - origin_x) * scale_x, (x1 - origin_x) * scale_x
                    y0, y1 = (y0 - origin_y) * scale_y, (y1 - origin_y) * scale_y
                    if x1 <= x0 or y1 <= y0:
                        continue
                    # GL's scissor box counts rows from the bottom.
                    ctx.scissor = (int(x0), int(fb_height - y1), int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
                    texture = self._textures.get(command.tex_ref.get_tex_id())
                    if texture is None:
                        continue
                    texture.use(0)
                    self._vao.render(moderngl.TRIANGLES, vertices=command.elem_count, first=command.idx_offset)
        finally:
            ctx.scissor = None

    @staticmethod
    def _upload(buffer: moderngl.Buffer, address: int, size: int) -> None:
        if size > buffer.size:
            buffer.orphan(max(size, buffer.size * 2))
        if size:
            buffer.write(_bytes_at(address, size))

    def _update_textures(self) -> None:
        for texture in imgui.get_platform_io().textures:
            status = texture.status
            if status == imgui.ImTextureStatus.want_create:
                self._create(texture)
            elif status == imgui.ImTextureStatus.want_updates:
                self._update(texture)
            elif status == imgui.ImTextureStatus.want_destroy and texture.unused_frames > 0:
                self._destroy(texture)

    def _create(self, data: imgui.ImTextureData) -> None:
        pixels = np.asarray(data.get_pixels_array(), dtype=np.uint8)
        texture = self.ctx.texture((data.width, data.height), 4, pixels.tobytes())
        texture.filter = moderngl.LINEAR, moderngl.LINEAR
        texture.repeat_x = texture.repeat_y = False
        self._textures[texture.glo] = texture
        data.set_tex_id(texture.glo)
        data.status = imgui.ImTextureStatus.ok

    def _update(self, data: imgui.ImTextureData) -> None:
        texture = self._textures[data.tex_id]
        pixels = np.asarray(data.get_pixels_array(), dtype=np.uint8).reshape(data.height, data.width, 4)
        for rect in data.updates:
            block = np.ascontiguousarray(pixels[rect.y:rect.y + rect.h, rect.x:rect.x + rect.w])
            texture.write(block.tobytes(), viewport=(rect.x, rect.y, rect.w, rect.h))
        data.status = imgui.ImTextureStatus.ok

    def _destroy(self, data: imgui.ImTextureData) -> None:
        texture = self._textures.pop(data.tex_id, None)
        if texture is not None:
            texture.release()
        data.set_tex_id(0)
        data.status = imgui.ImTextureStatus.destroyed

    def release(self) -> None:
        for texture in self._textures.values():
            texture.release()
        self._textures.clear()
        self._vao.release()
        self._vertices.release()
        self._indices.release()
