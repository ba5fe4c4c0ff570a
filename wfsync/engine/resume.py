"""``wfsync resume``: how another terminal resumes a run's indefinite suspends, as ``argo resume``.

A run that may wait for a resume (an interactive one) registers itself under
``.wfsync/runs/<workflow>/`` with its process id. ``wfsync resume <workflow>`` drops a request
file there; the run polls for it while a suspend without a duration (or ``spec.suspend``) waits,
and resumes every such node (or only those whose name or display name the request gives, as
``--node-field-selector displayName=...`` does). Files, not sockets: they work the same on every
platform, need no port and survive nothing but the run itself (it removes its folder on exit).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from wfsync import safepath
from wfsync.engine import lifetime
from wfsync.errors import UsageError

RUNS_DIR = "runs"
"""Folder of the state directory that holds the runs waiting for a resume."""
_PID = "pid"
_REQUEST = "resume.json"


class ResumeChannel:
    """The running side: registers the run and answers whether a node was resumed."""

    def __init__(self, runs: Path, workflow: str, notify: Callable[[str], None] | None = None) -> None:
        self.folder = safepath.within(runs, safepath.check_name(workflow, what="workflow"), what="workflow")
        self.workflow = workflow
        self.notify = notify
        self._told: set[str] = set()
        self._resumed: set[str] = set()
        self._requests: list[tuple[float, str]] = []
        """Requests seen so far: when they came and their node selector ("" for every node)."""

    def __enter__(self) -> ResumeChannel:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / _REQUEST).unlink(missing_ok=True)
        (self.folder / _PID).write_text(str(os.getpid()), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError), safepath.deletable(self.folder.parent):
            safepath.remove(self.folder, what="run registration")  # only ever below runs/

    def resumed(self, node_name: str, display_name: str, waiting_since: float) -> bool:
        """Whether a request made while this node waited covers it; says once how to make one.

        As ``argo resume``, a request resumes the nodes suspended when it is made, not ones that
        suspend later.
        """
        if node_name in self._resumed:
            return True
        selector = self._take_request()
        if selector is not None:
            self._requests.append((time.time(), selector))
        for when, wanted in self._requests:
            if when >= waiting_since and wanted in ("", node_name, display_name):
                self._resumed.add(node_name)
                return True
        if node_name not in self._told and self.notify is not None:
            self._told.add(node_name)
            self.notify(
                f"{display_name} is suspended: resume it with `wfsync resume {self.workflow}` "
                "from another terminal (Ctrl-C stops the workflow)"
            )
        return False

    def _take_request(self) -> str | None:
        """The node selector of a new request ("" for every node), consuming it."""
        path = self.folder / _REQUEST
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        path.unlink(missing_ok=True)
        try:
            node = json.loads(raw).get("node") or ""
        except (ValueError, AttributeError):
            node = ""
        return str(node)


def running(runs: Path) -> list[str]:
    """Workflows registered as waiting-capable whose process is still alive."""
    if not runs.is_dir():
        return []
    return sorted(p.name for p in runs.iterdir() if _alive(p))


def request_resume(runs: Path, workflow: str, node: str | None = None) -> None:
    """Ask the run of ``workflow`` to resume its suspended nodes (or only ``node``)."""
    folder = safepath.within(runs, safepath.check_name(workflow, what="workflow"), what="workflow")
    if not _alive(folder):
        others = running(runs)
        where = f"running here: {', '.join(others)}" if others else "no workflow is running here"
        raise UsageError(f"no running workflow {workflow!r} waits for a resume ({where})")
    tmp = folder / f".{_REQUEST}.{os.getpid()}"
    tmp.write_text(json.dumps({"node": node or ""}), encoding="utf-8")
    tmp.replace(folder / _REQUEST)


def _alive(folder: Path) -> bool:
    """Whether the folder is a registered run whose process still exists."""
    try:
        pid = int((folder / _PID).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return lifetime.running(pid)
