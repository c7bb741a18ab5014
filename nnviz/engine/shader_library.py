"""Loads GLSL files from shaders/, expands #include, and links programs.

Shaders live in files (not Python strings) so they get syntax highlighting and
ship as package data. Errors become NnvizError naming the file, line and the
driver's message, because "GLSL Compiler failed" alone is useless to a user.
"""

from __future__ import annotations

import re
from pathlib import Path

import moderngl

from nnviz.errors import NnvizError
from nnviz.resources import shader_dir

_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$')
# Mesa and most drivers report positions as "<source>:<line>(<column>)".
_DRIVER_POSITION = re.compile(r"\b(\d+):(\d+)\((\d+)\)")


class ShaderLibrary:
    """Compiles and caches programs for one context.

    `defines` (name -> GLSL text) are written as ``#define`` lines right after
    each file's version line: constants that Python owns reach the shaders
    without a second copy in GLSL.
    """

    def __init__(self, ctx: moderngl.Context, directory: Path | None = None, defines: dict[str, str] | None = None):
        self.ctx = ctx
        self.directory = Path(directory) if directory is not None else shader_dir()
        self.defines = dict(defines or {})
        self._programs: dict[tuple[str, str], moderngl.Program] = {}

    def source(self, filename: str) -> tuple[str, list[str]]:
        """The file's text with defines and includes expanded, and the files it came from.

        `#line` directives give every included file its own source number, so
        a driver error position can be mapped back to the right file.
        """
        files = [filename]
        out_lines = []
        for line_number, line in enumerate(self._read(filename).splitlines(), start=1):
            if line.lstrip().startswith("#version"):
                out_lines.append(line)
                out_lines.extend(f"#define {name} {value}" for name, value in self.defines.items())
                out_lines.append(f"#line {line_number + 1} 0")
                continue
            match = _INCLUDE.match(line)
            if not match:
                out_lines.append(line)
                continue
            included = match.group(1)
            included_text = self._read(included)
            if any(_INCLUDE.match(inner) for inner in included_text.splitlines()):
                raise NnvizError(f"shader {self.directory / included}: nested #include is not supported")
            files.append(included)
            out_lines.append(f"#line 1 {len(files) - 1}")
            out_lines.extend(included_text.splitlines())
            out_lines.append(f"#line {line_number + 1} 0")
        return "\n".join(out_lines) + "\n", files

    def program(self, vertex: str, fragment: str) -> moderngl.Program:
        key = (vertex, fragment)
        if key not in self._programs:
            self._programs[key] = self._link(vertex, fragment)
        return self._programs[key]

    def release(self) -> None:
        for program in self._programs.values():
            program.release()
        self._programs.clear()

    def _read(self, filename: str) -> str:
        path = self.directory / filename
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            raise NnvizError(f"cannot read shader {path}: {error.strerror or error}") from error

    def _link(self, vertex: str, fragment: str) -> moderngl.Program:
        vertex_source, vertex_files = self.source(vertex)
        fragment_source, fragment_files = self.source(fragment)
        try:
            return self.ctx.program(vertex_shader=vertex_source, fragment_shader=fragment_source)
        except moderngl.Error as error:
            message = str(error)
            if "vertex_shader" in message:
                where, files = f"{self.directory / vertex}", vertex_files
            elif "fragment_shader" in message:
                where, files = f"{self.directory / fragment}", fragment_files
            else:
                where, files = f"{self.directory / vertex} + {fragment}", []
            raise NnvizError(f"GLSL error in {where}: {_readable_driver_log(message, files)}") from error


def _readable_driver_log(message: str, files: list[str]) -> str:
    # Drop moderngl's banner lines ("GLSL Compiler failed", "vertex_shader",
    # "=====") and name files instead of source-string numbers.
    lines = [
        line for line in message.splitlines()
        if line.strip() and not set(line.strip()) <= {"="}
        and line.strip() not in {"GLSL Compiler failed", "GLSL Linker failed", "vertex_shader", "fragment_shader", "Program"}
    ]

    def name_file(match: re.Match) -> str:
        source = int(match.group(1))
        name = files[source] if source < len(files) else match.group(1)
        return f"{name}:{match.group(2)}({match.group(3)})"

    return "; ".join(_DRIVER_POSITION.sub(name_file, line.strip()) for line in lines)
