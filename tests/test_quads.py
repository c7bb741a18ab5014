"""QuadDraw: n quads from one indexed draw, each vertex knowing its quad and corner (engine_common.glsl)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from gl_fixtures import gl_ctx, gl_draw_calls, gl_loader, gl_session_ctx  # noqa: F401
from nnviz.engine import quads
from nnviz.engine.offscreen import OffscreenTarget
from nnviz.engine.quads import QuadDraw
from nnviz.engine.shader_library import ShaderLibrary

SHADERS = Path(__file__).resolve().parents[1] / "shaders"
WIDTH = 24

# Quad q fills pixel column q of a WIDTH-wide target, built from its corners alone.
COLUMN_VERT = """#version 330 core
#include "engine_common.glsl"
uniform float u_width;
void main() {
    int corner = quad_corner();
    float x = float(quad_index() + (corner & 1)) / u_width * 2.0 - 1.0;
    float y = float(corner >> 1) * 2.0 - 1.0;
    gl_Position = vec4(x, y, 0.0, 1.0);
}
"""
WHITE_FRAG = """#version 330 core
out vec4 frag_color;
void main() { frag_color = vec4(1.0); }
"""


@pytest.fixture
def column_program(gl_ctx, tmp_path):
    shutil.copy(SHADERS / "engine_common.glsl", tmp_path)
    (tmp_path / "column.vert").write_text(COLUMN_VERT)
    (tmp_path / "white.frag").write_text(WHITE_FRAG)
    library = ShaderLibrary(gl_ctx, tmp_path, defines=quads.glsl_defines())
    program = library.program("column.vert", "white.frag")
    program["u_width"].value = float(WIDTH)
    yield program
    library.release()


def lit_columns(gl_ctx, program, draw, count) -> list[int]:
    target = OffscreenTarget(gl_ctx, WIDTH, 4, samples=0)
    try:
        target.use()
        target.clear((0, 0, 0))
        draw.render(count)
        image = target.read_rgb()
        return [int(x) for x in np.flatnonzero(image[..., 0].min(axis=0) > 250)]
    finally:
        target.release()


def test_each_quad_covers_its_own_place_and_nothing_else(gl_ctx, column_program, gl_draw_calls):
    draw = QuadDraw(gl_ctx, column_program)
    try:
        assert lit_columns(gl_ctx, column_program, draw, 5) == list(range(5))
        assert gl_draw_calls() == 1
    finally:
        draw.release()


def test_more_quads_than_before_grow_the_index_buffer_and_fewer_reuse_it(gl_ctx, column_program):
    draw = QuadDraw(gl_ctx, column_program)
    try:
        assert lit_columns(gl_ctx, column_program, draw, 3) == [0, 1, 2]
        assert lit_columns(gl_ctx, column_program, draw, WIDTH) == list(range(WIDTH))
        assert lit_columns(gl_ctx, column_program, draw, 7) == list(range(7))
        assert lit_columns(gl_ctx, column_program, draw, 0) == []
    finally:
        draw.release()
