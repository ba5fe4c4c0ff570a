"""The declared ``kubernetes`` client range is tested at both ends.

The newest end is the client the development environment installs (every other test uses it);
the oldest end is the floor ``pyproject.toml`` declares, installed with ``pip install --target``
into a cached folder and put first on ``PYTHONPATH`` for a run of the Kubernetes-backend tests
in a subprocess. It needs PyPI once and takes about a minute, so it runs when asked:
``WFSYNC_OLDEST_CLIENT=1 pytest -m slow tests/cluster/test_client_versions.py`` (CI does).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BACKEND_TESTS = [
    "tests/cluster/test_kubernetes.py",
    "tests/cluster/test_objects.py",
    "tests/sync/test_real_server.py",
]


def declared_floor() -> str:
    """The major version of ``kubernetes>=N`` in the project's dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        found = re.fullmatch(r"kubernetes\s*>=\s*(\d+)(?:\.[\d.]+)?(?:\s*,.*)?", requirement.strip())
        if found:
            return found.group(1)
    raise AssertionError("pyproject.toml declares no 'kubernetes>=N' dependency")


def test_the_floor_is_declared() -> None:
    assert int(declared_floor()) >= 30


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("WFSYNC_OLDEST_CLIENT"), reason="set WFSYNC_OLDEST_CLIENT=1 (needs PyPI once, ~1 min)"
)
def test_backend_works_with_the_oldest_declared_client() -> None:
    floor = declared_floor()
    target = (
        Path(tempfile.gettempdir())
        / f"wfsync-kubernetes-{floor}-py{sys.version_info[0]}{sys.version_info[1]}"
    )
    if not (target / ".complete").exists():
        install = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), f"kubernetes=={floor}.*"],
            capture_output=True,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            pytest.skip(f"cannot install kubernetes=={floor}.* from PyPI: {install.stderr.strip()[-300:]}")
        (target / ".complete").write_text(floor)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    version = subprocess.run(
        [sys.executable, "-c", "import kubernetes; print(kubernetes.__version__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version.split(".")[0] == floor, version
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *BACKEND_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, f"with kubernetes {version}:\n{run.stdout[-3000:]}\n{run.stderr[-1000:]}"
