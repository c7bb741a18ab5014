"""Shader loading: includes, and errors that name the file and quote the driver."""

from __future__ import annotations

import pytest

from gl_fixtures import gl_ctx, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.engine.shader_library import ShaderLibrary
from nnviz.errors import NnvizError

pytestmark = pytest.mark.gl

FRAGMENT = "#version 330 core\nout vec4 color;\nvoid main() { color = vec4(1.0); }\n"


def _library(ctx, tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return ShaderLibrary(ctx, tmp_path)


def test_compile_error_names_the_included_file_and_line(gl_ctx, tmp_path):
    library = _library(gl_ctx, tmp_path, {
        "broken.vert": '#version 330 core\n#include "helpers.glsl"\nvoid main() { gl_Position = vec4(helper()); }\n',
        "helpers.glsl": "float helper() {\n    return undefined_thing;\n}\n",
        "plain.frag": FRAGMENT,
    })
    with pytest.raises(NnvizError) as caught:
        library.program("broken.vert", "plain.frag")
    message = str(caught.value)
    assert "broken.vert" in message and "helpers.glsl:2" in message and "undefined_thing" in message
    assert "\n" not in message


def test_fragment_error_names_the_fragment_file(gl_ctx, tmp_path):
    library = _library(gl_ctx, tmp_path, {
        "ok.vert": "#version 330 core\nvoid main() { gl_Position = vec4(0.0); }\n",
        "bad.frag": "#version 330 core\nout vec4 color;\nvoid main() { color = vec3(1.0); }\n",
    })
    with pytest.raises(NnvizError, match=r"bad\.frag.*bad\.frag:3"):
        library.program("ok.vert", "bad.frag")


def test_missing_shader_file_is_named(gl_ctx, tmp_path):
    library = _library(gl_ctx, tmp_path, {"plain.frag": FRAGMENT})
    with pytest.raises(NnvizError, match="nowhere.vert"):
        library.program("nowhere.vert", "plain.frag")


def test_programs_are_compiled_once(gl_ctx):
    library = ShaderLibrary(gl_ctx)
    assert library.program("lines.vert", "lines.frag") is library.program("lines.vert", "lines.frag")
    library.release()
