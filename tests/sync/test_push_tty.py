"""``wfsync push`` on a real terminal: it shows the plan, asks, and applies exactly the plan it showed.

The process runs on a pseudo-terminal (so ``stdin.isatty()`` is true, as for a person); the test
answers the prompt. Between the prompt and the answer, someone else may change the target: the
push then applies with the resourceVersions it showed, so the change is a conflict naming the
object, never a silent overwrite.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sync.test_sync_cli import CWT, repo  # noqa: F401 - fixture
from wfsync.cluster.embedded import EmbeddedCluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT = "Apply 2 change(s) to target 'local'? [y/N]"


class Session:
    """``python -m wfsync ARGS`` on a pseudo-terminal, read as text (colours stripped)."""

    def __init__(self, cwd: Path, *args: str) -> None:
        master, slave = pty.openpty()
        # colours stay on (a real terminal's default) and are stripped by _ANSI when read: under
        # NO_COLOR wfsync gives plain progress lines instead of a live redraw (issue 17)
        env = {**os.environ, "WFSYNC_TARGET": "local", "COLUMNS": "200"}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wfsync", *args], cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.master = master
        self.seen = ""

    def read_until(self, text: str, timeout: float = 60.0) -> str:
        """Everything shown so far once ``text`` appears (fails on timeout or exit without it)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {text!r}; the terminal shows:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready and not self._read():
                break
        assert text in self.seen, f"{text!r} never shown; the terminal shows:\n{self.seen}"
        return self.seen

    def answer(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        """Exit code and the whole output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready and not self._read():
                break
            if not ready and self.proc.poll() is not None:
                break
        code = self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        os.close(self.master)
        return code, self.seen

    def _read(self) -> bool:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.seen += _ANSI.sub("", data.decode("utf-8", "replace")).replace("\r\n", "\n")
        return True


def store(root: Path) -> EmbeddedCluster:
    return EmbeddedCluster(root / ".wfsync" / "cluster")


def test_no_then_yes_on_a_terminal(repo: Path) -> None:  # noqa: F811
    session = Session(repo, "push")
    shown = session.read_until(PROMPT)
    assert "+ create    ClusterWorkflowTemplate/build" in shown and "WorkflowTemplate/ci/ci" in shown
    session.answer("n")
    code, out = session.finish()
    assert code == 3 and "nothing was pushed" in out
    assert store(repo).get("ClusterWorkflowTemplate", None, "build") is None

    session = Session(repo, "push")
    session.read_until(PROMPT)
    session.answer("y")
    code, out = session.finish()
    assert code == 0, out
    assert store(repo).get("ClusterWorkflowTemplate", None, "build") is not None
    assert store(repo).get("WorkflowTemplate", "ci", "ci") is not None


def test_a_change_between_the_shown_plan_and_yes_is_a_conflict_naming_the_object(
    repo: Path,  # noqa: F811
) -> None:
    session = Session(repo, "push", "--yes")
    assert session.finish()[0] == 0
    (repo / "library" / "build.yaml").write_text(CWT.replace("alpine:3", "alpine:4"))
    session = Session(repo, "push")
    shown = session.read_until("Apply 1 change(s) to target 'local'? [y/N]")
    assert "~ update    ClusterWorkflowTemplate/build" in shown
    # someone else writes the object while the plan is on screen
    live = store(repo).get("ClusterWorkflowTemplate", None, "build")
    assert live is not None
    live["spec"]["templates"][0]["container"]["image"] = "alpine:edge"
    store(repo).update(live)
    session.answer("y")
    code, out = session.finish()
    assert code == 3, out
    assert "ClusterWorkflowTemplate/build" in out and "changed by someone else" in out
    after = store(repo).get("ClusterWorkflowTemplate", None, "build")
    assert after is not None and after["spec"]["templates"][0]["container"]["image"] == "alpine:edge"
