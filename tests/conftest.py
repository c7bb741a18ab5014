"""Shared fixtures: where the real datasets are, and a sandbox for nnviz's own settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_data_settings(tmp_path_factory, monkeypatch):
    """Keep every test off the real user cache, the user's NNVIZ_* settings and the network.

    A test that falls through to downloading by accident meets a refused local
    port quickly instead of the internet.
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.delenv("NNVIZ_DOWNLOAD_TIMEOUT", raising=False)
    monkeypatch.setenv("NNVIZ_MIRRORS", "http://127.0.0.1:1/")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST files: $NNVIZ_TEST_MNIST, else ../shared/mnist beside the checkout."""
    directory = Path(os.environ.get("NNVIZ_TEST_MNIST") or REPO.parent / "shared" / "mnist")
    if not (directory / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"real MNIST files not found in {directory} (set NNVIZ_TEST_MNIST)")
    return directory


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    """Debian's dataset-fashion-mnist package."""
    directory = Path("/usr/share/datasets/fashion-mnist")
    if not (directory / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST not installed in {directory} (Debian package dataset-fashion-mnist)")
    return directory


def pytest_addoption(parser):
    parser.addoption("--regen-references", action="store_true",
                     help="rewrite tests/reference_images/*.png from this run instead of comparing")
