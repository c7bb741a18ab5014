"""Shader loading: includes, and errors that name the file and quote the driver."""

from __future__ import annotations

import pytest

from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.engine.network_renderer import engine_shaders
from nnviz.engine.shader_library import ShaderLibrary
from nnviz.errors import NnvizError

pytestmark = pytest.mark.gl

FRAGMENT = "#version 330 core\nout vec4 color;\nvoid main() { color = vec4(1.0); }\n"


def _library(ctx, tmp_path, files, defines=None):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return ShaderLibrary(ctx, tmp_path, defines=defines)


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
    library = engine_shaders(gl_ctx)
    assert library.program("lines.vert", "lines.frag") is library.program("lines.vert", "lines.frag")
    library.release()


def test_python_defines_reach_the_shader_and_error_lines_stay_true(gl_ctx, tmp_path):
    library = _library(gl_ctx, tmp_path, {
        "uses.vert": "#version 330 core\nvoid main() { gl_Position = vec4(GAIN); }\n",
        "typo.vert": "#version 330 core\nvoid main() {\n    gl_Position = vec4(GAIN) + missing;\n}\n",
        "plain.frag": FRAGMENT,
    }, defines={"GAIN": "0.5"})
    library.program("uses.vert", "plain.frag")  # GAIN is defined only by Python
    with pytest.raises(NnvizError, match=r"typo\.vert:3"):
        library.program("typo.vert", "plain.frag")


def test_engine_shaders_declare_no_constant_python_owns():
    """Rules live in nnviz/engine/rules.py; a GLSL copy of one would drift from it."""
    import re

    from nnviz.engine import rules
    from nnviz.resources import shader_dir

    for path in shader_dir().iterdir():
        text = path.read_text()
        for name in rules.glsl_defines():
            assert not re.search(rf"(#define|const\s+\w+)\s+{name}\b", text), f"{path.name} redefines {name}"
