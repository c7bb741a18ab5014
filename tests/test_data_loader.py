"""Where load_dataset looks for files, in which order, and what it says when they are not there."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from helpers_idx import STEMS, snapshot, write_dataset
from nnviz.data import DATASETS, cache_dir, load_dataset
from nnviz.errors import NnvizError


def xdg_cache(dataset: str) -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "nnviz" / dataset


def fill_cache_from(source_dir: Path, dataset: str, stems=STEMS.values()) -> Path:
    """What a finished download leaves: the original IDX files, uncompressed."""
    cache = xdg_cache(dataset)
    cache.mkdir(parents=True)
    for stem in stems:
        (cache / stem).write_bytes(gzip.decompress((source_dir / f"{stem}.gz").read_bytes()))
    return cache


def test_registry():
    assert set(DATASETS) == {"mnist", "fashion"}
    assert DATASETS["mnist"].class_names == tuple("0123456789")
    assert DATASETS["fashion"].class_names == (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    )


def test_cache_dir_follows_xdg_cache_home():
    assert cache_dir("mnist") == xdg_cache("mnist")


def test_unknown_dataset():
    with pytest.raises(NnvizError, match=r"^unknown dataset 'cifar': choose one of fashion, mnist$"):
        load_dataset("cifar")


def test_data_dir_holding_the_files(tmp_path):
    write_dataset(tmp_path)
    assert load_dataset(data_dir=str(tmp_path), download=False).source == tmp_path


def test_data_dir_with_a_subdirectory_per_dataset(tmp_path):
    write_dataset(tmp_path / "mnist")
    write_dataset(tmp_path / "fashion")
    assert load_dataset("mnist", data_dir=tmp_path).source == tmp_path / "mnist"
    ds = load_dataset("fashion", data_dir=tmp_path)
    assert ds.source == tmp_path / "fashion" and ds.name == "fashion"


def test_dataset_subdirectory_wins_over_files_beside_it(tmp_path):
    # One directory with MNIST's files and a fashion/ folder: asking for
    # fashion must not hand back the MNIST files that sit at the top.
    write_dataset(tmp_path)
    write_dataset(tmp_path / "fashion")
    assert load_dataset("fashion", data_dir=tmp_path).source == tmp_path / "fashion"
    assert load_dataset("mnist", data_dir=tmp_path).source == tmp_path


def test_nnviz_data_environment_variable(tmp_path, monkeypatch):
    write_dataset(tmp_path / "env")
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path / "env"))
    assert load_dataset(download=False).source == tmp_path / "env"
    # An explicit data_dir (the --data option) wins over the environment.
    write_dataset(tmp_path / "arg")
    assert load_dataset(data_dir=tmp_path / "arg").source == tmp_path / "arg"


@pytest.mark.parametrize("via_env", [False, True], ids=["argument", "NNVIZ_DATA"])
def test_data_dir_that_does_not_exist(tmp_path, monkeypatch, via_env):
    missing = tmp_path / "nowhere"
    if via_env:
        monkeypatch.setenv("NNVIZ_DATA", str(missing))
    with pytest.raises(NnvizError) as caught:
        load_dataset(data_dir=None if via_env else missing)
    origin = "NNVIZ_DATA" if via_env else "--data"
    assert str(caught.value) == f"{missing}: no such directory (the MNIST data directory given by {origin})"


def test_data_dir_missing_a_file_is_not_downloaded_into(tmp_path):
    paths = write_dataset(tmp_path)
    paths["train_images"].unlink()
    before = snapshot(tmp_path)
    with pytest.raises(NnvizError) as caught:
        load_dataset(data_dir=tmp_path, download=True, progress=False)
    assert str(caught.value).startswith(f"{tmp_path / STEMS['train_images']}.gz: not found")
    assert snapshot(tmp_path) == before
    assert not xdg_cache("mnist").exists()


def test_missing_file_is_reported_where_the_other_files_are(tmp_path):
    paths = write_dataset(tmp_path / "mnist")
    paths["test_labels"].unlink()
    with pytest.raises(NnvizError, match="^" + str(tmp_path / "mnist" / STEMS["test_labels"]) + r"\.gz: not found"):
        load_dataset(data_dir=tmp_path)


def test_no_data_and_no_download_says_how_to_get_it():
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", download=False)
    message = str(caught.value)
    assert str(xdg_cache("mnist")) in message
    for advice in ("--data DIR", "NNVIZ_DATA", "allow downloading"):
        assert advice in message


def test_cache_is_used(mnist_dir):
    cache = fill_cache_from(mnist_dir, "mnist")
    ds = load_dataset("mnist", download=False)
    assert ds.source == cache
    assert ds.train_images.shape == (60000, 28, 28)


def test_cache_comes_before_the_system_directory(fashion_dir):
    cache = fill_cache_from(fashion_dir, "fashion")
    assert load_dataset("fashion", download=False).source == cache


def test_incomplete_cache_falls_back_to_the_system_directory(fashion_dir):
    fill_cache_from(fashion_dir, "fashion", stems=[STEMS["train_labels"]])
    assert load_dataset("fashion", download=False).source == fashion_dir


def test_damaged_cache_file_is_caught_by_its_checksum(mnist_dir):
    cache = fill_cache_from(mnist_dir, "mnist")
    damaged = cache / STEMS["test_images"]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF  # a pixel: structurally still a perfect IDX file
    damaged.write_bytes(bytes(data))
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", download=False)
    assert str(caught.value) == (
        f"{damaged}: checksum mismatch: content differs from the original file; "
        "delete it and nnviz will download it again"
    )


def test_user_files_are_not_held_to_the_checksum(tmp_path):
    # Synthetic data is well-formed but not MNIST: it must load from a user directory.
    write_dataset(tmp_path)
    assert load_dataset(data_dir=tmp_path).train_labels[:3].tolist() == [0, 7, 4]
