"""Process lifetime: no pod process outlives its pod, and no stop signal leaves one behind.

Every container runs as its own process group and carries a marker in its environment
(``WFSYNC_POD=<executor token>:<pod name>``), which its children inherit. A container ends as on
Kubernetes: when its main process exits, whatever it left running is killed (SIGKILL, as the
container's PID namespace goes away); on a deadline or a stop, the group gets SIGTERM, then
SIGKILL after a grace period. Processes that left the group (``setsid``, a double fork) are found
by their marker, or by holding one of the pod's pipes, and killed with it, so a daemonised child
that keeps stdout open can neither outlive the pod nor make the engine wait past the pod's own
deadline. Output pipes are read here (never with an unbounded ``communicate``) so that every
wait is bounded.

Finding escapees reads ``/proc`` (Linux); elsewhere only the process group is killed. A process
that clears its environment and closes its pipes can still escape the host runtime: the sandbox
runtime (a PID namespace per pod) does not have that gap.

Stop signals: :func:`stop_signals` turns SIGINT, SIGTERM and SIGHUP into :class:`Signalled`
(a ``KeyboardInterrupt``, which the scheduler answers by stopping every pod) once, then only
records further signals, so cleanup is never cut short.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType

POD_MARKER = "WFSYNC_POD"
"""Environment variable every pod process carries: ``<executor token>:<pod name>``."""
GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when a pod is stopped (deadline, cancel, interruption)."""
_TICK = 0.1
"""Longest wait between checks of the cancel event and the deadline."""
_LEFTOVER_WAIT = 0.05
"""After main exits: how long its pipes may stay open before their holders are hunted down."""
_DRAIN_LIMIT = 2.0
"""After the kills: how long to keep reading pipes that still do not close (then give up on them)."""
_PROC = Path("/proc")
_STOP_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class Signalled(KeyboardInterrupt):
    """A stop signal to ``wfsync run``; ``str()`` names it (``Ctrl-C``, ``SIGTERM``, ``SIGHUP``)."""


@dataclasses.dataclass
class StopSignals:
    """Which stop signal arrived first (``""`` none); ``armed`` while one may still interrupt."""

    received: str = ""
    armed: bool = True

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """Raise :class:`Signalled` for the first signal only; later ones are recorded, not raised."""
        del frame
        name = _STOP_SIGNALS.get(signal.Signals(signum), signal.Signals(signum).name)
        self.received = self.received or name
        if self.armed:
            self.armed = False
            raise Signalled(name)


@contextlib.contextmanager
def stop_signals() -> Iterator[StopSignals]:
    """SIGINT, SIGTERM and SIGHUP interrupt the run (main thread only; ignored signals stay ignored)."""
    stops = StopSignals()
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return
    previous: dict[signal.Signals, object] = {}
    for sig in _STOP_SIGNALS:
        try:
            if signal.getsignal(sig) == signal.SIG_IGN:
                continue  # nohup, or a background job: the caller asked for it to be ignored
            previous[sig] = signal.signal(sig, stops.handle)
        except (ValueError, OSError):
            continue
    try:
        yield stops
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def marker_env(token: str, pod: str, container: str = "") -> str:
    """The value of :data:`POD_MARKER` for one container (or, without it, the prefix of a pod's)."""
    return f"{token}:{pod}:{container}"


def _environ_has(pid: str, needle: bytes, *, prefix: bool) -> bool:
    try:
        environ = (_PROC / pid / "environ").read_bytes()
    except OSError:
        return False
    key = f"{POD_MARKER}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(key):
            value = entry[len(key) :]
            return value.startswith(needle) if prefix else value == needle
    return False


def _holds(pid: str, pipes: frozenset[str]) -> bool:
    try:
        fds = list(os.scandir(_PROC / pid / "fd"))
    except OSError:
        return False
    for fd in fds:
        try:
            if str(Path(fd.path).readlink()) in pipes:
                return True
        except OSError:
            continue
    return False


def escapees(marker: str, *, prefix: bool = False, pipes: Iterable[int] = ()) -> list[int]:
    """Processes of a pod wherever they went (empty where there is no ``/proc``).

    They carry ``marker`` (or, with ``prefix``, a marker starting with it), or hold one of
    ``pipes`` (inode numbers).
    """
    if not sys.platform.startswith("linux") or not _PROC.is_dir():
        return []
    me = str(os.getpid())
    needle = marker.encode()
    links = frozenset(f"pipe:[{inode}]" for inode in pipes)
    found = []
    for entry in os.scandir(_PROC):
        pid = entry.name
        if not pid.isdigit() or pid == me:
            continue
        if (marker and _environ_has(pid, needle, prefix=prefix)) or (links and _holds(pid, links)):
            found.append(int(pid))
    return found


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)


def sweep(marker: str, *, prefix: bool = False) -> int:
    """SIGKILL every process carrying ``marker``; how many there were (the end of a run)."""
    found = escapees(marker, prefix=prefix)
    _signal_all(found, signal.SIGKILL)
    return len(found)


def sweep_orphans() -> int:
    """SIGKILL pod processes of runs that died without cleaning up (killed with SIGKILL, a crash).

    A marker's token starts with its run's process id; when that process is gone, so should its
    pods be. How many there were.
    """
    if not sys.platform.startswith("linux") or not _PROC.is_dir():
        return 0
    key = f"{POD_MARKER}=".encode()
    alive: dict[str, bool] = {}
    found = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            environ = (_PROC / entry.name / "environ").read_bytes()
        except OSError:
            continue
        marker = next((e[len(key) :] for e in environ.split(b"\0") if e.startswith(key)), None)
        if marker is None:
            continue
        owner = marker.split(b"-", 1)[0].decode("ascii", "replace")
        if owner not in alive:
            alive[owner] = owner.isdigit() and running(int(owner))
        if not alive[owner]:
            found.append(int(entry.name))
    _signal_all(found, signal.SIGKILL)
    return len(found)


def running(pid: int) -> bool:
    """Whether a process with this id exists (ours or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Watch:
    """Reads a process's stdout/stderr pipes and notices its exit, without reaping it.

    The exit is seen through a pidfd (Linux) or ``waitid(WNOWAIT)``, so the process stays a zombie
    until :meth:`reap`: its pid, which is also its process group id, cannot be reused meanwhile,
    and killing the group stays safe.
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.selector = selectors.DefaultSelector()
        self.chunks: dict[int, list[bytes]] = {}
        self.inodes: set[int] = set()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                fd = stream.fileno()
                self.chunks[fd] = []
                self.inodes.add(os.fstat(fd).st_ino)
                self.selector.register(fd, selectors.EVENT_READ)
        self.order = list(self.chunks)
        self.pidfd: int | None = None
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            with contextlib.suppress(OSError):
                self.pidfd = pidfd_open(proc.pid)
                self.selector.register(self.pidfd, selectors.EVENT_READ)
        self.exited = False

    @property
    def open_pipes(self) -> int:
        return len(self.chunks) - sum(1 for fd in self.chunks if fd not in self.selector.get_map())

    def _check_exit(self) -> bool:
        if not self.exited:
            with contextlib.suppress(ChildProcessError):
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                self.exited = info is not None
        return self.exited

    def pump(self, until: float, *, stop_at_exit: bool = True) -> None:
        """Read what comes until ``until``, the pipes close, or (``stop_at_exit``) the process exits."""
        while True:
            if stop_at_exit and self._check_exit():
                return
            if not stop_at_exit and self.open_pipes == 0:
                return
            remaining = until - time.time()
            if remaining <= 0:
                return
            if not self.selector.get_map():
                # no pipes and no pidfd: poll for the exit
                time.sleep(min(remaining, 0.005))
                continue
            timeout = remaining if self.pidfd is not None or self.open_pipes else min(remaining, 0.005)
            if self.pidfd is None and stop_at_exit:
                timeout = min(timeout, 0.01)
            for key, _ in self.selector.select(timeout):
                fd = int(key.fd)
                if fd == self.pidfd:
                    self.exited = True
                    self.selector.unregister(fd)
                    continue
                data = os.read(fd, 65536)
                if data:
                    self.chunks[fd].append(data)
                else:
                    self.selector.unregister(fd)

    def wait_exit(self, until: float) -> bool:
        """Read pipes until the process exits or ``until``; whether it exited."""
        self.pump(until)
        return self._check_exit()

    def output(self) -> tuple[str, str]:
        texts = [b"".join(self.chunks[fd]).decode("utf-8", "replace") for fd in self.order]
        texts += [""] * (2 - len(texts))
        return texts[0], texts[1]

    def close(self) -> None:
        self.selector.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _finish(watch: _Watch, marker: str) -> None:
    """The container has ended: kill what it left behind, read its pipes to the end, reap it."""
    pgid = watch.proc.pid
    _signal_group(pgid, signal.SIGKILL)  # its leader is a zombie: the group id is still ours
    watch.pump(time.time() + _LEFTOVER_WAIT, stop_at_exit=False)
    if watch.open_pipes:
        # something outside the group still holds stdout/stderr (setsid, a double fork)
        _signal_all(escapees(marker, pipes=watch.inodes), signal.SIGKILL)
        watch.pump(time.time() + _DRAIN_LIMIT, stop_at_exit=False)
    watch.proc.wait()


def terminate(proc: subprocess.Popen[bytes], marker: str = "", watch: _Watch | None = None) -> None:
    """Stop a container: SIGTERM to its group and its escapees, SIGKILL after :data:`GRACE`.

    Reads its pipes meanwhile (when ``watch`` holds them), so a process that writes on its way
    out does not block on a full pipe; returns once it is reaped.
    """
    pgid = proc.pid
    _signal_group(pgid, signal.SIGTERM)
    if marker:
        _signal_all(escapees(marker), signal.SIGTERM)
    if watch is not None:
        watch.wait_exit(time.time() + GRACE)
        pipes: Iterable[int] = watch.inodes
    else:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=GRACE)
        pipes = ()
    _signal_group(pgid, signal.SIGKILL)
    if marker or pipes:
        _signal_all(escapees(marker, pipes=pipes), signal.SIGKILL)
    if watch is not None:
        _finish(watch, marker)
    else:
        proc.wait()


@dataclasses.dataclass(frozen=True)
class Ended:
    """How a watched container ended: ``stopped`` is ``""``, ``"deadline"`` or ``"cancelled"``."""

    returncode: int
    stdout: str
    stderr: str
    stopped: str


def wait_container(
    proc: subprocess.Popen[bytes], deadline: float | None, cancel: threading.Event, marker: str = ""
) -> Ended:
    """Wait for a container with piped output, never past ``deadline`` nor a set ``cancel``."""
    watch = _Watch(proc)
    stopped = ""
    try:
        while True:
            until = time.time() + _TICK
            if deadline is not None:
                until = min(until, deadline)
            if watch.wait_exit(until):
                _finish(watch, marker)
                break
            if cancel.is_set():
                stopped = "cancelled"
            elif deadline is not None and time.time() >= deadline:
                stopped = "deadline"
            if stopped:
                terminate(proc, marker, watch)
                break
        stdout, stderr = watch.output()
    finally:
        watch.close()
    return Ended(proc.returncode, stdout, stderr, stopped)
