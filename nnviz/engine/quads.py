"""Many quads in one draw call without instancing: an index buffer of two triangles per quad.

The vertex shaders pull all they need from textures by the quad's number
(engine_common.glsl: quad_index(), quad_corner()), so the quads need no vertex
data, only which vertex ids make each one. Instancing would need no buffer at
all, but a software rasteriser (Mesa's llvmpipe) runs its vertex pipeline once
per instance: ~2,800 instanced line quads took 3.3 ms of the drawing thread a
frame, the same quads indexed 1.4 ms (the vertex cache then shades each
corner once).
"""

from __future__ import annotations

import moderngl
import numpy as np

#: Vertex ids QUAD_VERTICES * q ... QUAD_VERTICES * q + 3 are quad q's corners (GLSL: QUAD_VERTICES).
QUAD_VERTICES = 4
#: Two triangles per quad, in the corners' triangle-strip order.
QUAD_TRIANGLES = np.array([0, 1, 2, 2, 1, 3], np.int32)


def glsl_defines() -> dict[str, str]:
    return {"QUAD_VERTICES": str(QUAD_VERTICES)}


class QuadDraw:
    """Draws `count` quads with one program; the index buffer grows (doubling) to the largest count asked."""

    def __init__(self, ctx: moderngl.Context, program: moderngl.Program):
        self.ctx = ctx
        self.program = program
        self._capacity = 0
        self._indices: moderngl.Buffer | None = None
        self._vao: moderngl.VertexArray | None = None

    def render(self, count: int) -> None:
        if count <= 0:
            return
        if count > self._capacity:
            self._allocate(max(count, 2 * self._capacity))
        self._vao.render(moderngl.TRIANGLES, vertices=len(QUAD_TRIANGLES) * count)

    def _allocate(self, capacity: int) -> None:
        self._release_buffers()
        first_vertex = np.arange(capacity, dtype=np.int32)[:, None] * QUAD_VERTICES
        indices = (first_vertex + QUAD_TRIANGLES).astype(np.uint32)
        self._indices = self.ctx.buffer(indices.tobytes())
        self._vao = self.ctx.vertex_array(self.program, [], index_buffer=self._indices, index_element_size=4)
        self._capacity = capacity

    def _release_buffers(self) -> None:
        if self._vao is not None:
            self._vao.release()
            self._indices.release()
        self._vao = self._indices = None

    def release(self) -> None:
        self._release_buffers()
        self._capacity = 0
