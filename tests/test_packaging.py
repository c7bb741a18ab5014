"""The repository's promises: the wheel carries shaders/ and assets/, CI runs the README's command."""

import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


def _readme_commands():
    return re.findall(r"```sh\n(.+?)\n```", (REPO / "README.md").read_text(), flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_commands()[1]
    assert "pytest" in test_command
    ci_lines = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-1] == test_command


def test_readme_app_command_runs_main_py():
    assert _readme_commands()[0].endswith("python main.py")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # From a copy without build/: setuptools reuses build/lib, where files deleted
    # since an earlier build (or packages left off pyproject) would still ship.
    source = tmp_path_factory.mktemp("source") / "nnviz"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                               "__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    (path,) = out.glob("nnviz-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contains_shaders_and_assets(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for directory in ("shaders", "assets"):
        expected = sorted(p.name for p in (REPO / directory).iterdir() if p.is_file())
        assert expected, f"{directory}/ is empty"
        shipped = sorted(n.split("/")[-1] for n in names if n.startswith(f"nnviz/{directory}/"))
        assert shipped == expected


@pytest.mark.slow
def test_wheel_contains_every_package(wheel):
    """pyproject lists the packages by hand: a new one left off it would be missing from the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in (REPO / "nnviz").rglob("__init__.py"):
        assert init.relative_to(REPO).as_posix() in names, f"{init.parent.name} is missing from pyproject's packages"


@pytest.mark.slow
def test_installed_wheel_finds_its_resources(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    code = "from nnviz import resources; print(resources.shader_dir()); print(resources.asset_dir())"
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                            check=True)
    shader_dir, asset_dir = result.stdout.split()
    assert shader_dir == str(target / "nnviz" / "shaders")
    assert asset_dir == str(target / "nnviz" / "assets")
    assert any(name.endswith(".frag") for name in os.listdir(shader_dir))
