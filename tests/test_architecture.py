"""The layering the project promises: the trainer knows nothing of OpenGL, the engine nothing of MNIST.

Imports inside functions count everywhere here: a lazy import is still a dependency.
"""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "nnviz"

FORBIDDEN = {
    "model": ("moderngl", "pyglet", "pyrr", "nnviz.engine", "nnviz.app", "nnviz.data", "nnviz.commands",
              "nnviz.option_names", "nnviz.cli"),
    "data": ("moderngl", "pyglet", "nnviz.engine", "nnviz.app", "nnviz.model", "nnviz.commands", "nnviz.cli"),
    "engine": ("nnviz.model", "nnviz.data", "nnviz.app", "pyglet", "nnviz.commands", "nnviz.cli"),
    "app": ("nnviz.commands", "nnviz.cli"),
}
#: pyglet's bundled pure-Python PNG codec needs no display or window.
ALLOWED = {"pyglet.extlibs"}


def _import_statements(source: str, package: str):
    """(module, imported names) for every import in ``source``, relative imports resolved; () for ``import x``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            yield module, tuple(alias.name for alias in node.names)


def _imports(source: str, package: str) -> set[str]:
    """Absolute names of every module (and imported name) in ``source``, relative imports resolved."""
    names = set()
    for module, imported in _import_statements(source, package):
        names.add(module)
        names.update(f"{module}.{name}" for name in imported)
    return names


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])


def _module_imports(path: Path) -> set[str]:
    return _imports(path.read_text(), _package_of(path))


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _dependencies(source: str, package: str, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that ``source`` imports: ``from x import y`` is x.y where that is a module, else x."""
    found = set()
    for module, imported in _import_statements(source, package):
        for name in imported or (None,):
            submodule = f"{module}.{name}"
            found.add(submodule if name is not None and submodule in modules else module)
    return found & modules


def _import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _dependencies(path.read_text(), _package_of(path), modules) for name, path in paths.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None; depth-first, in sorted order so it is always the same one."""
    done, path = set(), []

    def visit(node):
        path.append(node)
        for dependency in sorted(graph[node]):
            if dependency in path:
                return path[path.index(dependency):] + [dependency]
            if dependency not in done:
                cycle = visit(dependency)
                if cycle:
                    return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        if node not in done:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def _allowed(name: str) -> bool:
    return any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)


def test_relative_imports_are_resolved():
    names = _imports("from ..model import trainer\nfrom . import camera\n", "nnviz.engine")
    assert {"nnviz.model.trainer", "nnviz.engine.camera"} <= names


def test_the_import_graph_sees_submodules_functions_and_relative_imports():
    modules = {"nnviz", "nnviz.data", "nnviz.data.idx", "nnviz.model.config", "nnviz.cli", "nnviz.errors"}
    source = (
        "from nnviz.data import idx, load_dataset\n"  # a submodule, and a name from the package
        "from ..model.config import TrainConfig\n"
        "import numpy\n"
        "def run():\n"
        "    import nnviz.cli\n"
        "    from . import errors\n"
    )
    assert _dependencies(source, "nnviz", modules) == {
        "nnviz.data.idx", "nnviz.data", "nnviz.model.config", "nnviz.cli", "nnviz.errors"}
    # ".." from a module of nnviz.commands is nnviz.
    assert _dependencies("from ..model.config import TrainConfig\n", "nnviz.commands", modules) == {
        "nnviz.model.config"}


def test_find_cycle_reports_the_path():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]


def test_nnviz_has_no_import_cycle():
    graph = _import_graph()
    assert {"nnviz.cli", "nnviz.commands.train", "nnviz.model.trainer"} <= set(graph)
    assert "nnviz.commands.builders" in graph["nnviz.commands.train"]
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_only_the_entry_points_import_the_cli_and_nothing_imports_the_test_helpers():
    graph = _import_graph()
    assert {name for name, deps in graph.items() if "nnviz.cli" in deps} == {"nnviz.__main__"}
    assert not {name for name, deps in graph.items()
                if any(dep.startswith("nnviz.testing") for dep in deps) and not name.startswith("nnviz.testing")}


def test_option_names_is_a_leaf():
    assert _import_graph()["nnviz.option_names"] <= {"nnviz.errors"}


def test_tools_do_not_import_from_tests():
    test_modules = {"tests"} | {path.stem for path in (REPO / "tests").glob("*.py")}
    files = [path for folder in ("nnviz", "benchmarks", "docs") for path in sorted((REPO / folder).rglob("*.py"))]
    assert any(path.parent.name == "benchmarks" for path in files)
    for path in files:
        for name in _module_imports(path):
            assert name.split(".")[0] not in test_modules, f"{path.relative_to(REPO)} imports {name} from tests/"


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
        assert not re.search(r"#version\s+\d", text) and "gl_Position" not in text, f"{path} holds GLSL source"


