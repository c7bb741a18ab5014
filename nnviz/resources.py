"""Finds shaders/ and assets/, from a source checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    # Installed wheel: nnviz/<name>. Source checkout: <repo>/<name> beside nnviz/.
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"nnviz installation is incomplete: no '{name}' directory found near {_PACKAGE_DIR}")


def shader_dir() -> Path:
    return _resource_dir("shaders")


def asset_dir() -> Path:
    return _resource_dir("assets")


def asset_path(filename: str) -> Path:
    return asset_dir() / filename
