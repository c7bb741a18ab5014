"""The one table a draw reads from: textures by sampler name, uniform values by uniform name.

The renderer fills the table from a frame and a style; `bind(program)` hands a
program every entry it declares, so texture units and uniform names are
written down in exactly one place (the shaders' declarations).
"""

from __future__ import annotations

from typing import Any, Protocol

import moderngl
import numpy as np


class Bindable(Protocol):
    def use(self, location: int) -> None: ...

    def release(self) -> None: ...


class GpuResources:
    def __init__(self):
        self.textures: dict[str, Bindable] = {}
        self.uniforms: dict[str, Any] = {}

    def bind(self, program: moderngl.Program) -> None:
        """Bind the program's textures to consecutive units and write its uniforms."""
        unit = 0
        for name, texture in self.textures.items():
            if name in program:
                texture.use(unit)
                program[name].value = unit
                unit += 1
        for name, value in self.uniforms.items():
            if name in program:
                _write(program[name], value)

    def release(self, *names: str) -> None:
        """Release the named textures (all when none are named) and forget them."""
        for name in names or tuple(self.textures):
            texture = self.textures.pop(name, None)
            if texture is not None:
                texture.release()


def _write(uniform, value) -> None:
    """Scalars and tuples by value; a 1-D array fills a uniform array; other arrays (matrices) as raw bytes."""
    if not isinstance(value, np.ndarray):
        uniform.value = value
    elif value.ndim == 1:
        # Drivers shorten uniform arrays to the last element a shader reads:
        # write exactly as many elements as the linked program kept.
        data = np.zeros(uniform.array_length, dtype=np.int32 if uniform.fmt.endswith("i") else np.float32)
        count = min(value.size, uniform.array_length)
        data[:count] = value[:count]
        uniform.write(data.tobytes())
    else:
        uniform.write(np.ascontiguousarray(value).tobytes())
