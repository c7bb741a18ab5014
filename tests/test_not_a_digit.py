"""An 11th class, "not a digit": Fashion-MNIST pictures mixed into MNIST's stream (nnviz.data.mixing)."""

from __future__ import annotations

import dataclasses
import gzip
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from helpers_idx import STEMS, write_dataset
from nnviz.data import DATASETS, NOT_A_DIGIT, Dataset, load_dataset, load_not_a_digit_source, with_not_a_digit
from nnviz.data import mixing
from nnviz.data.digits import normalize_digit
from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig
from nnviz.model.trainer import Trainer

DIGIT_NAMES = tuple("0123456789")
DIGIT_MARK, OTHER_TRAIN_MARK, OTHER_TEST_MARK = 1, 2, 3


def _images(count: int, row: int, mark: int, shape=(28, 28)) -> np.ndarray:
    """Blank images that say where they came from: ``mark`` and their index (two bytes) in ``row``."""
    images = np.zeros((count, *shape), np.uint8)
    index = np.arange(count)
    images[:, row, 0], images[:, row, 1], images[:, row, 2] = mark, index % 256, index // 256
    return images


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def synthetic_digits(train=600, test=100, name="digits") -> Dataset:
    labels = {n: _frozen((np.arange(n) * 7 % 10).astype(np.uint8)) for n in (train, test)}
    return Dataset(name, DIGIT_NAMES, _frozen(_images(train, 0, DIGIT_MARK)), labels[train],
                   _frozen(_images(test, 0, DIGIT_MARK)), labels[test], Path("/digits"))


def synthetic_others(train=300, test=50, shape=(28, 28), name="clothes") -> Dataset:
    # Labelled 0-9 like any IDX dataset: those labels must not leak into the mix.
    return Dataset(name, tuple(f"kind {k}" for k in range(10)),
                   _frozen(_images(train, 1, OTHER_TRAIN_MARK, shape)), _frozen(np.arange(train, dtype=np.uint8) % 10),
                   _frozen(_images(test, 1, OTHER_TEST_MARK, shape)), _frozen(np.arange(test, dtype=np.uint8) % 10),
                   Path("/clothes"))


def _index(image: np.ndarray, row: int) -> int:
    return int(image[row, 1]) + 256 * int(image[row, 2])


def _split(dataset: Dataset, split: str) -> tuple[np.ndarray, np.ndarray]:
    return getattr(dataset, f"{split}_images"), getattr(dataset, f"{split}_labels")


def _sampled(mixed: Dataset, split: str) -> list[int]:
    """The indices into the other dataset's ``split`` of the images labelled "not a digit", in stream order."""
    images, labels = _split(mixed, split)
    return [_index(image, 1) for image in images[labels == 10]]


@pytest.fixture(scope="module")
def digits():
    return synthetic_digits()


@pytest.fixture(scope="module")
def others():
    return synthetic_others()


@pytest.fixture(scope="module")
def mixed(digits, others):
    return with_not_a_digit(digits, others, seed=5, prepare=None)  # the pictures as they were: traceable


# ----------------------------------------------------------------- the mix, on synthetic data
def test_one_more_class_named_not_a_digit(mixed, digits):
    assert NOT_A_DIGIT == "not a digit"
    assert mixed.class_names == DIGIT_NAMES + ("not a digit",)
    assert mixed.name == "digits+not-a-digit"
    assert mixed.source == digits.source


@pytest.mark.parametrize("split", ["train", "test"])
def test_arrays_are_like_the_loaders(mixed, split):
    images, labels = _split(mixed, split)
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
    assert labels.dtype == np.uint8 and labels.shape == (len(images),)
    assert set(np.unique(labels).tolist()) == set(range(11))
    assert not images.flags.writeable and not labels.flags.writeable


@pytest.mark.parametrize("split", ["train", "test"])
def test_digits_keep_their_images_labels_and_order(mixed, digits, split):
    images, labels = _split(mixed, split)
    digit_images, digit_labels = _split(digits, split)
    is_digit = labels != 10
    np.testing.assert_array_equal(images[is_digit], digit_images)
    np.testing.assert_array_equal(labels[is_digit], digit_labels)


@pytest.mark.parametrize("split", ["train", "test"])
def test_not_a_digit_images_are_the_other_datasets_own_split(mixed, others, split):
    images, labels = _split(mixed, split)
    other_images = _split(others, split)[0]
    mark = OTHER_TRAIN_MARK if split == "train" else OTHER_TEST_MARK
    chosen = _sampled(mixed, split)
    assert all(image[1, 0] == mark for image in images[labels == 10])  # test pictures from the test set
    for image, index in zip(images[labels == 10], chosen):
        np.testing.assert_array_equal(image, other_images[index])
    assert len(set(chosen)) == len(chosen)  # drawn without replacement
    assert not np.any(images[labels != 10][:, 1, 0])  # no clothes labelled as digits


def test_by_default_the_pictures_are_made_like_mnists_digits(digits, others):
    prepared = with_not_a_digit(digits, others, seed=5)
    raw = with_not_a_digit(digits, others, seed=5, prepare=None)
    for split in ("train", "test"):
        images, labels = _split(prepared, split)
        raw_images, raw_labels = _split(raw, split)
        np.testing.assert_array_equal(labels, raw_labels)
        np.testing.assert_array_equal(images[labels != 10], raw_images[labels != 10])
        clothes = raw_images[labels == 10]
        expected = np.stack([normalize_digit(image / 255.0) for image in clothes])
        np.testing.assert_array_equal(images[labels == 10], expected)
        assert not np.array_equal(images[labels == 10], clothes)


def test_the_new_class_is_as_frequent_as_a_digit_by_default(mixed, digits):
    # 600 and 100 digits: a tenth of each, not a tenth of the 300 and 50 others.
    assert np.count_nonzero(mixed.train_labels == 10) == 60 == len(digits.train_labels) / 10
    assert np.count_nonzero(mixed.test_labels == 10) == 10
    assert len(mixed.train_labels) == 660 and len(mixed.test_labels) == 110
    assert mixing.DEFAULT_SHARE == 0.1


def test_share(digits, others):
    half = with_not_a_digit(digits, others, share=0.5, prepare=None)
    assert np.count_nonzero(half.train_labels == 10) == 300
    assert np.count_nonzero(half.test_labels == 10) == 50


def test_not_a_digit_is_spread_through_the_stream():
    # A slice of the test set (the confusion matrix works through it a slice
    # per frame) or the first N images must hold the new class in proportion.
    mixed = with_not_a_digit(synthetic_digits(train=6000, test=1000), synthetic_others(train=3000, test=500),
                             prepare=None)
    for labels in (mixed.train_labels, mixed.test_labels):
        places = np.flatnonzero(labels == 10) / len(labels)
        for quarter in range(4):
            assert 0.15 < np.count_nonzero((places >= quarter / 4) & (places < (quarter + 1) / 4)) / len(places) < 0.35


def test_the_same_seed_gives_the_same_mix(digits, others):
    first, second = with_not_a_digit(digits, others, seed=3), with_not_a_digit(digits, others, seed=3)
    for array in ("train_images", "train_labels", "test_images", "test_labels"):
        np.testing.assert_array_equal(getattr(first, array), getattr(second, array))


def test_other_seeds_give_other_samples_and_places(digits, others):
    first, second = (with_not_a_digit(digits, others, seed=seed, prepare=None) for seed in (0, 1))
    for split in ("train", "test"):
        assert set(_sampled(first, split)) != set(_sampled(second, split))
        assert not np.array_equal(_split(first, split)[1], _split(second, split)[1])


def test_inputs_are_left_alone(digits, others):
    before = [getattr(d, a).copy() for d in (digits, others) for a in ("train_images", "train_labels")]
    with_not_a_digit(digits, others)
    after = [getattr(d, a) for d in (digits, others) for a in ("train_images", "train_labels")]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


# ----------------------------------------------------------------- refusals
def _refusal(digits, others, **options) -> str:
    with pytest.raises(NnvizError) as caught:
        with_not_a_digit(digits, others, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_images_of_another_size_are_refused(digits):
    message = _refusal(digits, synthetic_others(shape=(32, 32)))
    assert message == ("cannot add clothes to digits as 'not a digit': clothes's images are 32x32 pixels, "
                       "digits's 28x28")


def test_a_second_not_a_digit_class_is_refused(mixed, others):
    assert _refusal(mixed, others) == (
        "cannot add clothes to digits+not-a-digit as 'not a digit': "
        "digits+not-a-digit already has a 'not a digit' class")


def test_the_digits_as_their_own_not_a_digit_are_refused(digits):
    message = _refusal(digits, dataclasses.replace(digits, name="fashion"))
    assert message.startswith("cannot add fashion to digits as 'not a digit': they hold the same images")


@pytest.mark.parametrize("share", [0, -0.1, math.nan, math.inf, "0.1", True])
def test_a_share_that_is_not_above_zero_is_refused(digits, others, share):
    message = _refusal(digits, others, share=share)
    assert message == (f"cannot add clothes to digits as 'not a digit': the share {share!r} must be a number "
                       "above 0 (0.1 makes the class as frequent as one digit)")


def test_a_share_larger_than_the_other_dataset_is_refused(digits, others):
    assert _refusal(digits, others, share=0.51) == (
        "cannot add clothes to digits as 'not a digit': the share 0.51 asks for 306 train images, clothes has 300")


# ----------------------------------------------------------------- finding Fashion-MNIST
def test_not_a_digit_source_skips_digit_files_in_the_data_dir(tmp_path, monkeypatch, fashion_dir):
    # MNIST's files carry Fashion-MNIST's names: load_dataset("fashion", data_dir) would take them.
    write_dataset(tmp_path)
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path))
    assert load_dataset("fashion").source == tmp_path
    assert load_not_a_digit_source(download=False).source == fashion_dir
    assert load_not_a_digit_source(tmp_path, download=False).source == fashion_dir


def test_not_a_digit_source_from_a_fashion_subdirectory(tmp_path, monkeypatch):
    write_dataset(tmp_path)
    write_dataset(tmp_path / "fashion")
    ds = load_not_a_digit_source(tmp_path, download=False)
    assert ds.source == tmp_path / "fashion" and ds.name == "fashion"
    assert ds.class_names == DATASETS["fashion"].class_names
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path))
    assert load_not_a_digit_source(download=False).source == tmp_path / "fashion"


def test_an_incomplete_fashion_subdirectory_is_an_error(tmp_path):
    write_dataset(tmp_path)
    write_dataset(tmp_path / "fashion")["test_labels"].unlink()
    with pytest.raises(NnvizError) as caught:
        load_not_a_digit_source(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'fashion' / STEMS['test_labels']}.gz: not found (nor uncompressed {STEMS['test_labels']}); "
        "the 'fashion' subdirectory of the data directory given by --data must hold Fashion-MNIST's four IDX "
        "files (the 'not a digit' pictures)")


def test_not_a_digit_source_from_the_cache(tmp_path, fashion_dir):
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "nnviz" / "fashion"
    cache.mkdir(parents=True)
    for stem in STEMS.values():
        (cache / stem).write_bytes(gzip.decompress((fashion_dir / f"{stem}.gz").read_bytes()))
    assert load_not_a_digit_source(tmp_path, download=False).source == cache


def test_no_fashion_anywhere_and_no_download_says_where_to_put_it(tmp_path, monkeypatch):
    spec = dataclasses.replace(DATASETS["fashion"], system_dirs=(tmp_path / "nowhere",))
    monkeypatch.setattr(mixing, "DATASETS", {"fashion": spec})
    with pytest.raises(NnvizError) as caught:
        load_not_a_digit_source(tmp_path, download=False)
    message = str(caught.value)
    assert message.startswith("Fashion-MNIST data not found (looked in ")
    assert str(tmp_path / "nowhere") in message
    assert message.endswith("downloading is off: put its four IDX files (the 'not a digit' pictures) in a 'fashion' "
                            "subdirectory of the --data or NNVIZ_DATA directory, or install Debian's "
                            "dataset-fashion-mnist, or allow downloading")


# ----------------------------------------------------------------- real MNIST and Fashion-MNIST
@pytest.fixture(scope="module")
def real(mnist_dir, fashion_dir):
    mnist = load_dataset("mnist", data_dir=mnist_dir, download=False)
    fashion = load_dataset("fashion", data_dir=fashion_dir, download=False)
    return mnist, fashion, with_not_a_digit(mnist, fashion, prepare=None)


def test_real_mix_is_mnist_and_a_tenth_of_fashion(real):
    mnist, fashion, mixed = real
    assert mixed.name == "mnist+not-a-digit" and mixed.source == mnist.source
    assert mixed.class_names[:10] == tuple("0123456789") and mixed.class_names[10] == "not a digit"
    for split, count in (("train", 6000), ("test", 1000)):
        images, labels = _split(mixed, split)
        mnist_images, mnist_labels = _split(mnist, split)
        assert images.shape == (len(mnist_labels) + count, 28, 28) and labels.dtype == np.uint8
        assert np.count_nonzero(labels == 10) == count and labels.max() == 10
        np.testing.assert_array_equal(labels[labels != 10], mnist_labels)
        np.testing.assert_array_equal(images[labels != 10], mnist_images)
        # Each "not a digit" is one of Fashion-MNIST's own pictures of that split (none twice).
        available = Counter(image.tobytes() for image in _split(fashion, split)[0])
        used = Counter(image.tobytes() for image in images[labels == 10])
        assert all(available[picture] >= times for picture, times in used.items())


def test_a_small_network_learns_to_tell_not_a_digit(real):
    mnist, fashion, _ = real
    mixed = with_not_a_digit(mnist, fashion)  # the pictures made like MNIST's digits, as the app trains on them
    # A fifth of the (spread-out) training stream, two epochs: about 0.3 s.
    count = 12_000
    trainer = Trainer(TrainConfig(layers=(784, 32, 11), batch_size=32, learning_rate=0.003, seed=1),
                      mixed.train_images[:count], mixed.train_labels[:count], history_every=10**9)
    for _ in range(2):
        trainer.train_epoch()
    inputs = mixed.test_images.reshape(len(mixed.test_images), -1).astype(np.float32) / np.float32(255)
    predicted = trainer.network.forward(inputs)[-1].argmax(axis=1)
    labels = mixed.test_labels
    not_a_digit, digit = labels == 10, labels != 10
    assert np.count_nonzero(not_a_digit) == 1000
    # Chance: 1/11. Clothes made like digits (cropped, 20x20, centred) are harder to tell apart than
    # Fashion-MNIST's frame-filling pictures: 0.87 measured here (0.98 unprepared).
    assert np.mean(predicted[not_a_digit] == 10) > 0.8
    assert np.mean(predicted[digit] == labels[digit]) > 0.88
    assert np.mean(predicted[digit] == 10) < 0.02  # digits are not waved through as "not a digit"
