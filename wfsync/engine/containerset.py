"""A containerSet pod: each container starts once its dependencies succeeded (Argo's emissary).

Containers write their output to files in the pod (``main``'s is the pod's result); the pod's
exit code is ``main``'s, else the first failed container's.
"""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from wfsync.engine.executor import Container, ContainerResult, Pod, PodResult
from wfsync.engine.podprocs import DEADLINE_MESSAGE, exit_code, read_log, stop_all

Start = Callable[[Container], "subprocess.Popen[bytes] | PodResult"]
"""Starts one container of the set with its output to files (the executor's)."""


@dataclasses.dataclass
class _Set:
    """Where each container of the set is: waiting, running, or done."""

    pending: list[Container]
    running: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)
    results: dict[str, ContainerResult] = dataclasses.field(default_factory=dict)


def run_set(pod: Pod, start: Start, cancel: threading.Event, leftovers: str, logs: Path) -> PodResult:
    """Run the pod's containers by their dependencies, to the end, its deadline or ``cancel``.

    ``leftovers``: the marker prefix of the pod's processes to sweep when it is stopped;
    ``logs``: the folder of the containers' output files.
    """
    state = _Set(list(pod.containers))
    stopped = ""
    while state.pending or state.running:
        _start_ready(state, start)
        if not state.running and state.pending:
            for ctr in state.pending:
                state.results[ctr.name] = ContainerResult(ctr.name, None, "unknown dependency")
            break
        _reap(state)
        stopped = _stop_reason(pod, cancel)
        if stopped:
            running = [(c, state.running[c.name]) for c in pod.containers if c.name in state.running]
            for name, code in stop_all(running, leftovers):
                state.results[name] = ContainerResult(name, code, stopped)
            break
        if state.running:
            time.sleep(0.005)
    return _result(pod, state.results, stopped, logs)


def _start_ready(state: _Set, start: Start) -> None:
    """Start every pending container whose dependencies are done; fail those whose one failed."""
    for ctr in list(state.pending):
        if not all(d in state.results for d in ctr.dependencies):
            continue
        state.pending.remove(ctr)
        bad = [d for d in ctr.dependencies if state.results[d].exit_code != 0]
        if bad:
            message = f"dependency {bad[0]!r} exited with non-zero code"
            state.results[ctr.name] = ContainerResult(ctr.name, None, message)
            continue
        proc = start(ctr)
        if isinstance(proc, PodResult):
            state.results[ctr.name] = ContainerResult(ctr.name, None, proc.message)
        else:
            state.running[ctr.name] = proc


def _reap(state: _Set) -> None:
    for name, proc in list(state.running.items()):
        code = proc.poll()
        if code is not None:
            state.results[name] = ContainerResult(name, exit_code(code))
            del state.running[name]


def _stop_reason(pod: Pod, cancel: threading.Event) -> str:
    if cancel.is_set():
        return "pod terminated"
    if pod.deadline is not None and time.time() >= pod.deadline:
        return DEADLINE_MESSAGE
    return ""


def _result(pod: Pod, results: dict[str, ContainerResult], stopped: str, logs: Path) -> PodResult:
    """The pod's result: ``main``'s output and exit code, else the first failed container's."""
    main = next((c for c in pod.containers if c.name == "main"), None)
    stdout = stderr = ""
    if main is not None:
        stdout = read_log(logs / "main.out")
        stderr = read_log(logs / "main.err")
    ordered = tuple(results[c.name] for c in pod.containers if c.name in results)
    failed = [r for r in ordered if r.exit_code != 0]
    if main is not None and main.name in results:
        code = results[main.name].exit_code
    else:
        code = next((r.exit_code for r in failed if r.exit_code is not None), 1 if failed else 0)
    message = stopped
    if not message and failed:
        first = failed[0]
        message = first.message or f"{first.name}: Error (exit code {first.exit_code})"
    if code is None:
        code = 1
    return PodResult(
        code, stdout, stderr, message, deadline_exceeded=stopped.startswith("Pod was"), containers=ordered
    )
