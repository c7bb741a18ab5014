"""Quality profiles: what a frame may cost, chosen from the renderer the driver reports.

A software rasteriser (Mesa's llvmpipe or softpipe, SwiftShader) fills every
pixel on the CPU, four times over with 4x MSAA, while sharing the cores with
the trainer. There the "fast" profile turns MSAA off (lines and spheres are
anti-aliased analytically in their shaders, which is what MSAA would have
smoothed), thins faint lines harder, and lets the app draw the 3-D scene at a
lower resolution when frames run over budget. A GPU gets "high".
"""

from __future__ import annotations

from dataclasses import dataclass

from nnviz.engine import rules

#: Substrings of GL_RENDERER that name a rasteriser running on the CPU.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader")


@dataclass(frozen=True)
class QualityProfile:
    name: str
    samples: int  # MSAA samples of the 3-D scene (0: none)
    min_line_opacity: float  # lines fainter than this are thinned (rules.drawn_lines)
    dynamic_resolution: bool  # the scene may be drawn smaller and scaled up when frames are slow
    min_scale: float  # the smallest such scale
    fps: float  # the frame rate aimed at when none is asked for


PROFILES = {
    "high": QualityProfile("high", samples=4, min_line_opacity=rules.FULL_FRAMEBUFFER_OPACITY,
                           dynamic_resolution=False, min_scale=1.0, fps=60.0),
    # Thinning at 9/255 keeps the picture above 30 dB PSNR of "high" (tests/test_quality.py; 10/255 fell
    # to 30.0) and draws ~40% of its lines, each line's expected light kept (docs/performance.md); 30 fps is
    # what a software renderer holds at 1280x720 while training.
    "fast": QualityProfile("fast", samples=0, min_line_opacity=9.0 / 255.0,
                           dynamic_resolution=True, min_scale=0.5, fps=30.0),
}
QUALITY_CHOICES = ("auto", *PROFILES)


def is_software_renderer(renderer: str) -> bool:
    name = renderer.lower()
    return any(software in name for software in SOFTWARE_RENDERERS)


def choose_profile(requested: str, renderer: str) -> QualityProfile:
    """`requested` is "auto", "high" or "fast"; auto picks by the GL_RENDERER string."""
    if requested == "auto":
        return PROFILES["fast" if is_software_renderer(renderer) else "high"]
    try:
        return PROFILES[requested]
    except KeyError:
        raise ValueError(f"quality {requested!r}: not one of {', '.join(QUALITY_CHOICES)}") from None
