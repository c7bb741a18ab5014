"""Float arrays on the GPU as 2-D textures read with texelFetch(linear index).

A 1-D texture would cap an array at GL_MAX_TEXTURE_SIZE texels (16k on many
drivers), too few for 784-512-512-10's 669k weights; wrapping the array into
rows of ROW_TEXELS lifts that to ROW_TEXELS x max size. Shaders map an index i
to texel (i % width, i / width) (engine_common.glsl: fetch_*).

Each LinearTexture owns one persistent float32 staging array: callers copy
into `.values` (a view, no allocation) and call `upload()`, which is one
texture write per frame however many layers fed it.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np

from nnviz.errors import NnvizError

ROW_TEXELS = 4096


class LinearTexture:
    """One array of `count` values with `components` channels; float32 ("f4") or int32 ("i4", isampler2D)."""

    def __init__(self, ctx: moderngl.Context, count: int, components: int = 1, dtype: str = "f4"):
        max_size = int(ctx.info["GL_MAX_TEXTURE_SIZE"])
        rows = max(1, math.ceil(count / min(ROW_TEXELS, max_size)))
        # Spread evenly over the rows: at most rows - 1 texels of padding are uploaded.
        width = max(1, math.ceil(count / rows))
        if rows > max_size:
            raise NnvizError(f"network too large to draw: {count} values exceed this GPU's texture limit")
        self.count = count
        self.components = components
        self._staging = np.zeros((rows * width, components), dtype=np.dtype(dtype))
        self.texture = ctx.texture((width, rows), components, dtype=dtype)
        # texelFetch ignores filtering, but NEAREST keeps the texture complete
        # and makes accidental texture() sampling obvious.
        self.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.values = self._staging[:count] if components > 1 else self._staging[:count, 0]
        self.upload()

    def upload(self, count: int | None = None) -> int:
        """Write the staging array (its first `count` values' rows only, when given); returns the bytes sent."""
        if count is None or count >= self.count:
            self.texture.write(self._staging)
            return self._staging.nbytes
        width = self.texture.width
        rows = max(1, -(-count // width))
        data = self._staging[:rows * width]
        self.texture.write(data, viewport=(0, 0, width, rows))
        return data.nbytes

    def use(self, location: int) -> None:
        self.texture.use(location)

    def release(self) -> None:
        self.texture.release()


def colormap_texture(ctx: moderngl.Context, table: np.ndarray) -> moderngl.Texture:
    """A (size x 1) RGBA8 lookup texture, linearly interpolated like colormaps.sample()."""
    texture = ctx.texture((table.shape[0], 1), 4, np.ascontiguousarray(table, dtype=np.uint8))
    texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
    texture.repeat_x = False
    texture.repeat_y = False
    return texture
