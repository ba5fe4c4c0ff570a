"""Shared by the kati conformance test and ``bench/convert_make.py``: one case, make vs workflow."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wfsync.commands.convert_make import reference_run, run_convert_make
from wfsync.convert.make import MakeRequest
from wfsync.errors import WfsyncError

KATI = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "make" / "kati"


@dataclass
class Outcome:
    """One case: ``verdict`` is equal, different, nondeterministic or error; ``reason`` says why."""

    name: str
    verdict: str
    reason: str = ""


def cases() -> list[Path]:
    """The kati test makefiles (empty when the corpus is absent)."""
    return sorted(KATI.glob("*.mk")) if KATI.is_dir() else []


def deterministic(workspace: Path) -> bool:
    """Whether two plain make runs give the same status, output and tree."""
    request = MakeRequest(workspace)
    runs = []
    for _ in range(2):
        with tempfile.TemporaryDirectory(prefix="wfsync-kati-det-") as tmp:
            runs.append(reference_run(request, Path(tmp)))
    return runs[0] == runs[1]


def check(case: Path, mode: str = "dag") -> Outcome:
    """Convert and verify one kati case in a folder of its own (the case as ``Makefile``)."""
    with tempfile.TemporaryDirectory(prefix="wfsync-kati-") as tmp:
        workspace = Path(tmp) / case.stem
        workspace.mkdir()
        shutil.copy(case, workspace / "Makefile")
        try:
            if not deterministic(workspace):
                return Outcome(case.name, "nondeterministic", "two make runs differ")
            result = run_convert_make(MakeRequest(workspace, mode=mode), verify=True)
        except WfsyncError as err:
            return Outcome(case.name, "error", str(err).splitlines()[0][:200])
        except subprocess.SubprocessError as err:  # pragma: no cover - a hung make
            return Outcome(case.name, "error", str(err)[:200])
    check = result.verification
    assert check is not None
    if check.equal:
        return Outcome(case.name, "equal")
    return Outcome(case.name, "different", check.differences[0].splitlines()[0][:200])
