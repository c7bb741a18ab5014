"""The layering the project promises: the trainer knows nothing of OpenGL, the engine nothing of MNIST."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnviz"

FORBIDDEN = {
    "model": ("moderngl", "pyglet", "pyrr", "nnviz.engine", "nnviz.app", "nnviz.data"),
    "data": ("moderngl", "pyglet", "nnviz.engine", "nnviz.app", "nnviz.model"),
    "engine": ("nnviz.model", "nnviz.data", "nnviz.app", "pyglet"),
}
#: pyglet's bundled pure-Python PNG codec needs no display or window.
ALLOWED = {"pyglet.extlibs"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_what_it_must_not_know(package):
    files = sorted((PACKAGE / package).glob("*.py"))
    assert files
    for path in files:
        for name in _imports(path) - ALLOWED:
            for forbidden in FORBIDDEN[package]:
                assert not (name == forbidden or name.startswith(forbidden + ".")), \
                    f"{path.relative_to(PACKAGE.parent)} imports {name}"


def test_glsl_lives_in_shader_files():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "#version" not in text and "gl_Position" not in text, f"{path} holds GLSL source"
