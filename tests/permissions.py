"""Running a command that obeys file permission bits, even when the tests run as root (as CI does).

Root ignores permission bits through two capabilities; a child started by
``setpriv`` without them in its bounding set obeys them like any user, so the
read-only and unsearchable folder cases are tested in CI too, not skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

#: The prefix that makes a command obey permission bits ([] for an ordinary user).
OBEYING_PERMISSIONS = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
                       if os.geteuid() == 0 else [])


def python_obeying_permissions(*args: str, **options) -> subprocess.CompletedProcess:
    """``python ARGS`` in a child that obeys permission bits; skips when root has no way to shed them."""
    if OBEYING_PERMISSIONS and not shutil.which(OBEYING_PERMISSIONS[0]):
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    return subprocess.run([*OBEYING_PERMISSIONS, sys.executable, *args], capture_output=True, text=True,
                          **{"timeout": 300, **options})
