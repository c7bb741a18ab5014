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


def _imports(source: str, package: str) -> set[str]:
    """Absolute names of every module (and imported name) in ``source``, relative imports resolved."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _module_imports(path: Path) -> set[str]:
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    return _imports(path.read_text(), package)


def _allowed(name: str) -> bool:
    return any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)


def test_relative_imports_are_resolved():
    names = _imports("from ..model import trainer\nfrom . import camera\n", "nnviz.engine")
    assert {"nnviz.model.trainer", "nnviz.engine.camera"} <= names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_what_it_must_not_know(package):
    files = sorted((PACKAGE / package).glob("*.py"))
    assert files
    for path in files:
        for name in _module_imports(path):
            if _allowed(name):
                continue
            for forbidden in FORBIDDEN[package]:
                assert not (name == forbidden or name.startswith(forbidden + ".")), \
                    f"{path.relative_to(PACKAGE.parent)} imports {name}"


def test_glsl_lives_in_shader_files():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "#version" not in text and "gl_Position" not in text, f"{path} holds GLSL source"


def test_every_key_binding_has_a_handler_in_the_window():
    from nnviz.app.keymap import BINDINGS

    tree = ast.parse((PACKAGE / "app" / "window.py").read_text())
    perform = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "perform")
    handled = {entry.value for node in ast.walk(perform) if isinstance(node, ast.Dict)
               for entry in node.keys if isinstance(entry, ast.Constant)}
    for binding in BINDINGS:
        assert binding.action in handled or binding.action.startswith("activation_"), binding.action
