"""Creating a headless OpenGL 3.3 core context (EGL) with an actionable error."""

from __future__ import annotations

import moderngl

from nnviz.errors import NnvizError

REQUIRED_GL_VERSION = 330

_INSTALL_HINT = (
    "install the EGL and Mesa drivers "
    "(Debian/Ubuntu: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri)"
)


def context_error(error: BaseException, require: int = REQUIRED_GL_VERSION) -> NnvizError:
    """The one-line error for a context that could not be made: the driver's reason and what to install."""
    reason = " ".join(str(error).split()) or type(error).__name__
    version = f"{require // 100}.{require % 100 // 10}"
    return NnvizError(f"cannot create an offscreen OpenGL {version} context ({reason}); {_INSTALL_HINT}")


def create_context(require: int = REQUIRED_GL_VERSION) -> moderngl.Context:
    """A standalone moderngl context on EGL: no window or display needed.

    Works on a server without X (Mesa llvmpipe renders on the CPU). Raises
    NnvizError with one line saying what to install when no context can be made.
    """
    try:
        ctx = moderngl.create_standalone_context(backend="egl", require=require)
    except Exception as error:  # glcontext raises plain Exception subclasses
        raise context_error(error, require) from error
    # Release GL objects with their Python owners: renderers made in a loop
    # (tests, batch rendering) must not leak textures.
    ctx.gc_mode = "auto"
    return ctx
