"""Downloading from mirrors that fail in every way a real one can, served from 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from helpers_http import MirrorServer
from helpers_idx import STEMS, snapshot, write_dataset
from nnviz.data import DATASETS, load_dataset
from nnviz.data import fetch
from nnviz.data import idx as idx_module
from nnviz.errors import NnvizError

FIRST = f"{STEMS['train_images']}.gz"  # downloaded first
TIMEOUT_S = 0.5


@pytest.fixture(scope="module")
def server(mnist_dir):
    with MirrorServer(mnist_dir) as running:
        yield running


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch, server):
    monkeypatch.setenv("NNVIZ_DOWNLOAD_TIMEOUT", str(TIMEOUT_S))
    server.requests.clear()


@pytest.fixture
def cache() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "nnviz" / "mnist"


def raw_checksums(mnist_dir: Path) -> dict[str, str]:
    lines = (mnist_dir / "SHA256SUMS.raw").read_text().split("\n")
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def download_error(mirrors) -> str:
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", mirrors=mirrors, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_falls_through_bad_mirrors_to_the_good_one(server, cache, mnist_dir):
    bad_modes = ["missing", "broken", "corrupt", "tampered", "cut", "stall"]
    mirrors = [server.down_url] + [server.url(mode) for mode in bad_modes] + [server.url("good")]

    ds = load_dataset("mnist", mirrors=mirrors, progress=False)

    assert ds.source == cache
    assert ds.test_labels.shape == (10000,)
    # The cache holds the four original files, verified, and nothing else.
    assert sorted(path.name for path in cache.iterdir()) == sorted(STEMS.values())
    for name, digest in raw_checksums(mnist_dir).items():
        assert hashlib.sha256((cache / name).read_bytes()).hexdigest() == digest
    # Every reachable bad mirror was tried for the first file; once the good
    # one answered, it was asked first for the rest.
    assert server.requests[: len(bad_modes) + 1] == [f"/{mode}/{FIRST}" for mode in bad_modes + ["good"]]
    assert sorted(server.requests[len(bad_modes) + 1:]) == sorted(
        f"/good/{stem}.gz" for role, stem in STEMS.items() if role != "train_images"
    )


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("down", "Connection refused"),
        ("missing", "HTTP 404 Not Found"),
        ("broken", "HTTP 500 Internal Server Error"),
        ("corrupt", "corrupt gzip data ("),
        ("tampered", "checksum mismatch (content differs from the original file)"),
        ("cut", "connection closed mid-transfer ("),
        ("stall", "timed out"),
    ],
)
def test_a_bad_mirror_alone_fails_cleanly(server, cache, mode, reason):
    url = server.down_url if mode == "down" else server.url(mode)
    message = download_error([url])
    assert message.startswith(f"{cache / STEMS['train_images']}: could not download {FIRST} from any mirror (")
    assert f"{url}: {reason}" in message
    # Nothing at the final name, and no temporary file left behind either.
    assert list(cache.iterdir()) == []


def test_all_failures_are_listed(server, cache):
    mirrors = [server.down_url, server.url("missing"), server.url("cut")]
    message = download_error(mirrors)
    assert message.index(server.down_url) < message.index(server.url("missing")) < message.index(server.url("cut"))
    assert "--data or NNVIZ_DATA" in message
    assert list(cache.iterdir()) == []


def test_second_load_uses_the_cache_without_any_request(server, cache):
    load_dataset("mnist", mirrors=[server.url("good")], progress=False)
    assert len(server.requests) == 4
    server.requests.clear()
    ds = load_dataset("mnist", mirrors=[server.url("good")], progress=False)
    assert ds.source == cache
    assert server.requests == []


def test_only_missing_files_are_downloaded(server, cache, mnist_dir):
    load_dataset("mnist", mirrors=[server.url("good")], progress=False)
    (cache / STEMS["test_images"]).unlink()
    server.requests.clear()
    load_dataset("mnist", mirrors=[server.url("good")], progress=False)
    assert server.requests == [f"/good/{STEMS['test_images']}.gz"]


def test_mirrors_from_the_environment(server, cache, monkeypatch):
    monkeypatch.setenv("NNVIZ_MIRRORS", f" {server.url('missing')} ,{server.url('good').rstrip('/')}")
    assert load_dataset("mnist", progress=False).source == cache
    assert server.requests[:2] == [f"/missing/{FIRST}", f"/good/{FIRST}"]


def test_mirror_list_precedence(monkeypatch):
    mnist = DATASETS["mnist"]
    assert fetch.mirror_urls(mnist, None) == ["http://127.0.0.1:1/"]  # conftest's NNVIZ_MIRRORS
    monkeypatch.delenv("NNVIZ_MIRRORS")
    assert fetch.mirror_urls(mnist, None)[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    # The argument wins; as a string it is a comma-separated list like the variable.
    assert fetch.mirror_urls(mnist, " http://a/x , https://b/ ,") == ["http://a/x/", "https://b/"]
    assert fetch.mirror_urls(mnist, ["http://c"]) == ["http://c/"]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("NNVIZ_MIRRORS", "ftp://example.org/mnist/",
         "NNVIZ_MIRRORS: 'ftp://example.org/mnist/' is not an http:// or https:// URL"),
        ("NNVIZ_DOWNLOAD_TIMEOUT", "soon", "NNVIZ_DOWNLOAD_TIMEOUT: 'soon' is not a positive number of seconds"),
        ("NNVIZ_DOWNLOAD_TIMEOUT", "-1", "NNVIZ_DOWNLOAD_TIMEOUT: '-1' is not a positive number of seconds"),
    ],
)
def test_bad_download_settings(server, monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", progress=False)
    assert str(caught.value) == expected
    assert server.requests == []


def test_user_data_dir_is_never_written(server, tmp_path):
    paths = write_dataset(tmp_path)
    paths["test_labels"].unlink()
    before = snapshot(tmp_path)
    with pytest.raises(NnvizError):
        load_dataset("mnist", data_dir=tmp_path, mirrors=[server.url("good")], progress=False)
    assert snapshot(tmp_path) == before
    assert server.requests == []


def test_interrupted_download_leaves_nothing(server, cache, monkeypatch):
    def interrupt(blob):
        raise KeyboardInterrupt

    monkeypatch.setattr(idx_module, "decompress", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_dataset("mnist", mirrors=[server.url("good")], progress=False)
    assert list(cache.iterdir()) == []


def test_progress_goes_to_stderr_only_when_asked(server, capfd):
    mirrors = [server.url("missing"), server.url("good")]
    load_dataset("mnist", mirrors=mirrors, progress=False)
    assert capfd.readouterr() == ("", "")

    os.environ["XDG_CACHE_HOME"] += "-again"  # an empty cache; monkeypatch restores the variable
    load_dataset("mnist", mirrors=mirrors, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert f"nnviz: downloading {server.url('missing')}{FIRST}" in err
    assert f"nnviz: {server.url('missing')}{FIRST}: HTTP 404 Not Found" in err
    assert f"nnviz: downloading {server.url('good')}{FIRST}" in err


def test_progress_callback_follows_each_file_to_its_end(server, cache):
    seen = {}
    load_dataset("mnist", mirrors=[server.url("good")],
                 progress=lambda name, done, total: seen.setdefault(name, []).append((done, total)))
    assert sorted(seen) == sorted(f"{stem}.gz" for stem in STEMS.values())
    for name, calls in seen.items():
        done = [d for d, _ in calls]
        total = calls[-1][1]
        assert total > 0 and done[-1] == total, name
        assert done[:-1] == sorted(done[:-1])  # grows until pooch's final "fill the bar" update


def test_leftovers_of_a_killed_download_are_removed_but_fresh_ones_kept(server, cache):
    cache.mkdir(parents=True)
    stale = cache / f".{STEMS['train_images']}.abc123.part"
    fresh = cache / f".{STEMS['train_labels']}.def456.part"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"another nnviz is downloading this")
    old = stale.stat().st_mtime - 2 * fetch.STALE_PART_SECONDS
    os.utime(stale, (old, old))
    load_dataset("mnist", mirrors=[server.url("good")], progress=False)
    assert not stale.exists() and fresh.exists()
