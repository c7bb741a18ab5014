"""nnviz.safe_files: every file nnviz writes is written whole, never over a file it was not allowed to replace,
never through a symbolic link, and with the permissions the umask asks for."""

import errno
import os
import re
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from permissions import python_obeying_permissions

from nnviz import safe_files
from nnviz.engine.image_io import load_png, save_new_png, save_png
from nnviz.errors import NnvizError
from nnviz.safe_files import (STALE_TEMP_SECONDS, AlreadyExists, check_target, remove_stale_temps, write_file,
                              write_new_file)

REPO = Path(__file__).resolve().parents[1]


def writes(data: bytes):
    return lambda stream: stream.write(data)


def names(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def umask_027():
    set_umask = os.umask  # the real one: a test may replace os.umask before this is torn down
    old = set_umask(0o027)
    yield
    set_umask(old)


# ------------------------------------------------------------------ modes
def test_new_files_take_the_umask_without_the_process_umask_ever_changing(tmp_path, monkeypatch, umask_027):
    def no_umask_calls(mask):
        raise AssertionError("os.umask changed the process's umask, which other threads' new files depend on")

    monkeypatch.setattr(os, "umask", no_umask_calls)
    written = write_file(tmp_path / "a.npz", writes(b"data"))
    assert stat.S_IMODE(written.stat().st_mode) == 0o640  # 0o666 less 0o027: an ordinary file, not a private one
    assert written.read_bytes() == b"data" and names(tmp_path) == ["a.npz"]
    fresh = write_new_file(tmp_path / "b.png", writes(b"png"))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


# ---------------------------------------------------------------- replace
def test_an_existing_file_is_replaced_only_when_allowed(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"someone's file")
    with pytest.raises(AlreadyExists, match=f"{target}: already exists; not overwriting it"):
        write_file(target, writes(b"new"))
    assert target.read_bytes() == b"someone's file" and names(tmp_path) == ["w.npz"]
    write_file(target, writes(b"new"), replace=True)
    assert target.read_bytes() == b"new" and names(tmp_path) == ["w.npz"]


def test_without_hard_links_an_existing_file_is_still_refused(tmp_path, monkeypatch):
    def no_links(source, destination):
        raise OSError(errno.EPERM, "Operation not permitted")  # what FAT and some network file systems say

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "w.npz"
    target.write_bytes(b"someone's file")
    with pytest.raises(AlreadyExists):
        write_file(target, writes(b"new"))
    assert target.read_bytes() == b"someone's file"
    assert write_file(tmp_path / "new.npz", writes(b"new")).read_bytes() == b"new"
    assert names(tmp_path) == ["new.npz", "w.npz"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"old")

    def disk_full(stream):
        stream.write(b"part")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(NnvizError, match=f"^{target}: cannot write: No space left on device$"):
        write_file(target, disk_full, replace=True)
    assert target.read_bytes() == b"old" and names(tmp_path) == ["w.npz"]


def test_ctrl_c_while_writing_leaves_no_temporary_file(tmp_path):
    def interrupted(stream):
        stream.write(b"part")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file(tmp_path / "w.npz", interrupted)
    assert names(tmp_path) == []


# ---------------------------------------------------------- symbolic links
def test_nothing_is_written_through_a_symbolic_link(tmp_path):
    victim = tmp_path / "victim"
    link = tmp_path / "out.png"
    link.symlink_to(victim)  # dangling: open() would create the victim
    with pytest.raises(AlreadyExists):
        write_file(link, writes(b"image"))
    assert not victim.exists() and link.is_symlink()
    write_file(link, writes(b"image"), replace=True)  # --force replaces the link itself, not what it points to
    assert not victim.exists() and not link.is_symlink() and link.read_bytes() == b"image"


def test_a_new_file_takes_the_next_name_when_a_link_holds_its_name(tmp_path):
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"precious")
    (tmp_path / "shot.png").symlink_to(victim)
    (tmp_path / "shot-2.png").symlink_to(tmp_path / "nothing-yet")
    rgb = np.random.default_rng(0).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    written = save_new_png(tmp_path / "shot.png", rgb)
    assert written == tmp_path / "shot-3.png" and np.array_equal(load_png(written), rgb)
    assert victim.read_bytes() == b"precious" and not (tmp_path / "nothing-yet").exists()


@pytest.mark.parametrize("suffix", [".npz", ".safetensors", ".onnx"])
def test_k_takes_the_next_free_name_when_its_name_is_taken_meanwhile(tmp_path, monkeypatch, suffix):
    """A save in the same second as another window's (or onto a planted link to nothing) went through a name
    suggested first and written exclusively later: "could not save". It now takes the next free name."""
    from nnviz.app import files
    from nnviz.app.session import TrainingSession
    from nnviz.model.config import TrainConfig
    from nnviz.model.weights_io import load_weights

    monkeypatch.setattr(files.time, "strftime", lambda _format: "20261129-120000")  # both saves in one second
    session = TrainingSession(TrainConfig(layers=(784, 8, 10)), load_data=None)
    session.save_format = suffix
    victim = tmp_path / "elsewhere" / "victim"
    victim.parent.mkdir()
    (tmp_path / f"nnviz-weights-20261129-120000{suffix}").symlink_to(victim)  # to nothing yet
    (tmp_path / f"nnviz-weights-20261129-120000-2{suffix}").write_bytes(b"another window's save")
    path = session.save(tmp_path)
    assert path == tmp_path / f"nnviz-weights-20261129-120000-3{suffix}" == session.last_saved
    np.testing.assert_array_equal(load_weights(path).flat_parameters(), session.trainer.network.params)
    assert not victim.exists()
    assert (tmp_path / f"nnviz-weights-20261129-120000-2{suffix}").read_bytes() == b"another window's save"


# ---------------------------------------------------------- checks up front
def test_check_target_refuses_what_cannot_be_written_before_any_work(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(NnvizError, match=f"^{a_file}/w.npz: {a_file} is not a directory$"):
        check_target(a_file / "w.npz")
    with pytest.raises(NnvizError, match="directory .*missing does not exist$"):
        check_target(tmp_path / "missing" / "w.npz")
    with pytest.raises(NnvizError, match=f"^{tmp_path}: is a directory$"):
        check_target(tmp_path, replace=True)
    with pytest.raises(AlreadyExists):
        check_target(a_file)
    long_name = tmp_path / ("n" * 300 + ".npz")
    with pytest.raises(NnvizError, match="File name too long$"):
        check_target(long_name)
    assert check_target(a_file, replace=True) == a_file
    assert check_target(tmp_path / "free.npz") == tmp_path / "free.npz"
    assert names(tmp_path) == ["file.txt"]  # the probe file is gone


def test_check_target_probes_that_the_folder_takes_new_files(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    probe = ("import sys\nfrom nnviz.errors import NnvizError\nfrom nnviz.safe_files import check_target\n"
             "try:\n    check_target(sys.argv[1])\nexcept NnvizError as error:\n    print(error)\n")
    try:
        done = python_obeying_permissions("-c", probe, str(folder / "w.npz"), cwd=REPO)
    finally:
        folder.chmod(0o755)
    assert re.search(r"cannot write in .*read-only: Permission denied$", done.stdout.strip()), done
    assert os.listdir(folder) == []


# -------------------------------------------------------- temporary files
def test_temporary_files_are_named_after_their_target_even_when_its_name_is_long(tmp_path):
    long_name = "w" * 250 + ".npz"  # fits in a name, but not with the temporary file's prefix and suffix added
    seen = []

    def write(stream):
        seen.extend(names(tmp_path))
        stream.write(b"data")

    assert write_file(tmp_path / long_name, write).read_bytes() == b"data"
    [temp] = seen
    assert temp.startswith(".www") and temp.endswith(safe_files.TEMP_SUFFIX) and len(temp) < 255
    assert names(tmp_path) == [long_name]


def test_leftovers_of_a_killed_write_are_removed_but_fresh_and_foreign_ones_kept(tmp_path):
    stale = tmp_path / ".w.npz.nnviz-0123abcd.tmp"
    fresh = tmp_path / ".w.npz.nnviz-89abcdef.tmp"  # another process writing w.npz right now
    other = tmp_path / ".x.npz.nnviz-0123abcd.tmp"  # another file's
    mine_not = tmp_path / ".w.npz.nnviz-notatemp.tmp"  # not a name nnviz makes
    for path in (stale, fresh, other, mine_not):
        path.write_bytes(b"partial")
    old = time.time() - STALE_TEMP_SECONDS - 5
    for path in (stale, other, mine_not):
        os.utime(path, (old, old))
    write_file(tmp_path / "w.npz", writes(b"data"))
    assert names(tmp_path) == sorted(path.name for path in (fresh, other, mine_not)) + ["w.npz"]
    assert remove_stale_temps(tmp_path / "x.npz") == [other]
