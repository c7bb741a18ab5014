"""Editing saved .npz files in tests: damaged weight and run files are made from good ones."""

from __future__ import annotations

import numpy as np


def rewrite_npz(path, **changes):
    """Copy of a saved file with entries replaced (None removes one), beside it as changed.npz."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    for name, value in changes.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    target = path.with_name("changed.npz")
    np.savez(target, **arrays)
    return target
