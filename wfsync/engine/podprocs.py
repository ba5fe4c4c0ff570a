"""A pod's container processes once started: waited for, stopped, their exit codes as Kubernetes says them.

Shared by host processes (:mod:`wfsync.engine.host`), sandboxes, container engines
(:mod:`wfsync.engine.containers`) and containerSets (:mod:`wfsync.engine.containerset`).
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from wfsync.engine import lifetime
from wfsync.engine.executor import Container, PodResult

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


def read_log(path: Path) -> str:
    """A container's output written to a file ('' when there is none)."""
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def exit_code(returncode: int) -> int:
    """A process's exit code as a container reports it (killed by signal N: 128+N)."""
    return 128 - returncode if returncode < 0 else returncode


def stop_all(
    procs: list[tuple[Container, subprocess.Popen[bytes]]], pod_marker: str
) -> list[tuple[str, int]]:
    """Stop containers still running, then whatever the pod left behind; their exit codes.

    Each gets SIGTERM, then SIGKILL after a grace period; then every process with the pod's marker
    (none given: the pod's processes died with their PID namespaces).
    """
    ended = []
    for ctr, proc in procs:
        if proc.poll() is None:
            lifetime.terminate(proc)
        proc.wait()
        ended.append((ctr.name, exit_code(proc.returncode)))
    if pod_marker:
        lifetime.sweep(pod_marker, prefix=True)
    return ended


def wait_piped(
    proc: subprocess.Popen[bytes], deadline: float | None, cancel: threading.Event, marker: str = ""
) -> PodResult:
    """Wait for a container with piped output: to its end, its deadline, or ``cancel``."""
    ended = lifetime.wait_container(proc, deadline, cancel, marker)
    stdout, stderr = ended.stdout, ended.stderr
    if ended.stopped == "deadline":
        return PodResult(ended.returncode, stdout, stderr, DEADLINE_MESSAGE, deadline_exceeded=True)
    if ended.stopped:
        return PodResult(ended.returncode, stdout, stderr, "pod terminated", deadline_exceeded=False)
    if ended.returncode == 127 and ("not found" in stderr or "No such file" in stderr):
        missing = stderr.strip().splitlines()[-1] if stderr.strip() else "a command"
        return PodResult(
            None, stdout, stderr, f"unsupported: a command is not available on this host ({missing})"
        )
    return PodResult(ended.returncode, stdout, stderr)
