"""Per-container cgroups: ``resources.limits`` memory and cpu, and a pod's process count.

Kubernetes enforces a container's ``resources.limits.memory`` (the OOM killer: "OOMKilled",
exit code 137) and ``limits.cpu`` (CFS quota: throttled, never killed), and the kubelet caps the
processes of a pod (``podPidsLimit``), which is what stops a fork bomb. A sandboxed container
gets one cgroup per controller it needs (cgroup v1 hierarchies, or one cgroup in the v2 tree)
below wfsync's own, and joins it before it starts (:mod:`wfsync.engine.layers`). The process
limit is :data:`DEFAULT_PIDS` for every container: Kubernetes has no per-container field for it,
and clusters commonly set a pod limit of about that size.

Only where wfsync may make cgroups (usually as root); :meth:`Cgroups.find` probes each
controller for real and :attr:`Cgroups.enforced` says which ones work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DEFAULT_PIDS = 1024
"""Processes (threads included) a container may have at once, fork bombs included."""
CPU_PERIOD = 100_000
"""The CFS period in microseconds (the kernel's and Kubernetes' default)."""
CONTROLLERS = ("memory", "cpu", "pids")

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
_SUFFIX = {
    **{s: 1024**i for i, s in enumerate(("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: 1000**i for i, s in enumerate(("k", "M", "G", "T", "P", "E"), start=1)},
    "m": Decimal("0.001"),
}


def quantity(value: object) -> Decimal | None:
    """A Kubernetes quantity (``5M``, ``64Mi``, ``500m``, ``1e9``) as a number; None when it is not one."""
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        return None
    try:
        return Decimal(match.group(1)) * Decimal(_SUFFIX[match.group(2) or ""])
    except InvalidOperation:
        return None


def memory_bytes(value: object) -> int | None:
    """A memory quantity in bytes (a fraction rounds up, as Kubernetes does); None when not one."""
    amount = quantity(value)
    return math.ceil(amount) if amount is not None and amount > 0 else None


def cpu_millis(value: object) -> int | None:
    """A cpu quantity (``500m``, ``0.5``, ``2``) in millicores (at least 1); None when not one."""
    amount = quantity(value)
    return max(1, math.ceil(amount * 1000)) if amount is not None and amount > 0 else None


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one container may use: bytes of memory, millicores, processes (None: unlimited)."""

    memory: int | None = None
    cpu: int | None = None
    pids: int | None = DEFAULT_PIDS


def _container_spec(template: Mapping[str, Any], container: str) -> Mapping[str, Any] | None:
    specs: list[Any] = []
    if container == "main":
        specs += [template.get("container"), template.get("script")]
    for key in ("initContainers", "sidecars"):
        specs += [c for c in template.get(key) or [] if isinstance(c, dict) and c.get("name") == container]
    specs += [
        c
        for c in (template.get("containerSet") or {}).get("containers") or []
        if isinstance(c, dict) and c.get("name") == container
    ]
    return next((s for s in specs if isinstance(s, dict)), None)


def container_limits(template: Mapping[str, Any], container: str, pids: int | None = DEFAULT_PIDS) -> Limits:
    """``resources.limits`` of one container of a template (main: its container or script)."""
    spec = _container_spec(template, container) or {}
    limits = (spec.get("resources") or {}).get("limits") or {}
    if not isinstance(limits, dict):
        return Limits(pids=pids)
    memory = memory_bytes(limits["memory"]) if "memory" in limits else None
    cpu = cpu_millis(limits["cpu"]) if "cpu" in limits else None
    return Limits(memory, cpu, pids)


@dataclasses.dataclass(frozen=True)
class Hierarchy:
    """Where wfsync makes children for some controllers: a v1 hierarchy, or the v2 tree."""

    base: Path
    v2: bool
    controllers: frozenset[str]


def _settings(controller: str, limits: Limits, *, v2: bool) -> list[tuple[str, str]]:
    """The files, and values, that set one controller's limit (empty: nothing to limit)."""
    if controller == "memory" and limits.memory is not None:
        if v2:
            return [("memory.max", str(limits.memory)), ("memory.swap.max", "0")]
        return [
            ("memory.limit_in_bytes", str(limits.memory)),
            ("memory.memsw.limit_in_bytes", str(limits.memory)),
        ]
    if controller == "cpu" and limits.cpu is not None:
        quota = max(1000, limits.cpu * CPU_PERIOD // 1000)
        if v2:
            return [("cpu.max", f"{quota} {CPU_PERIOD}")]
        return [("cpu.cfs_period_us", str(CPU_PERIOD)), ("cpu.cfs_quota_us", str(quota))]
    if controller == "pids" and limits.pids is not None:
        return [("pids.max", str(limits.pids))]
    return []


_OPTIONAL = frozenset({"memory.swap.max", "memory.memsw.limit_in_bytes"})
"""Files that exist only with swap accounting: a limit holds without them."""


def _proc_self_lines(name: str) -> list[str]:
    """The lines of ``/proc/self/<name>``; none where it cannot be read (no procfs: no cgroups)."""
    try:
        return Path("/proc/self", name).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def _own_cgroups() -> tuple[dict[str, str], str | None]:
    """This process's cgroup path per v1 controller, and its v2 path (None without one)."""
    v1: dict[str, str] = {}
    v2: str | None = None
    for line in _proc_self_lines("cgroup"):
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] == "":
            v2 = parts[2]
        for controller in parts[1].split(","):
            v1[controller] = parts[2]
    return v1, v2


def _mounts() -> tuple[dict[str, Path], Path | None]:
    """Mount points of the v1 hierarchies by controller, and of the v2 tree."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    for line in _proc_self_lines("mountinfo"):
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or len(extra) < 3:
            continue
        if extra[0] == "cgroup2":
            v2 = Path(fields[4])
        elif extra[0] == "cgroup":
            for option in extra[2].split(","):
                if option in CONTROLLERS:
                    v1[option] = Path(fields[4])
    return v1, v2


@dataclasses.dataclass(frozen=True)
class Joined:
    """The cgroups of one container, and how it joins them.

    In cgroup v1 a single thread may move: the thread that starts the container sits in its
    cgroups meanwhile (:func:`spawning_in`), so the process is born in them, with no process
    in between. A v2 cgroup takes whole processes: the container's first process writes itself
    into ``cgroup.procs`` (:func:`join_prefix`) before it becomes bwrap.
    """

    v1: tuple[tuple[Path, Path], ...] = ()
    """(the container's cgroup, wfsync's own cgroup of that hierarchy)."""
    v2: tuple[Path, ...] = ()

    @property
    def folders(self) -> list[Path]:
        """Every cgroup of the container."""
        return [f for f, _ in self.v1] + list(self.v2)


@contextlib.contextmanager
def spawning_in(joined: Joined) -> Iterator[None]:
    """The calling thread in the container's v1 cgroups while it starts the container's process."""
    tid = str(threading.get_native_id())
    back: list[Path] = []
    try:
        for folder, own in joined.v1:
            (folder / "tasks").write_text(tid)
            back.append(own)
        yield
    finally:
        for own in back:
            (own / "tasks").write_text(tid)


def join_prefix(joined: Joined) -> list[str]:
    """What goes in front of a command to start it in the container's v2 cgroup (nothing in v1)."""
    if not joined.v2:
        return []
    return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(joined.v2[0])]


class Cgroups:
    """Makes, reads and removes the cgroups of containers (see the module docstring)."""

    def __init__(self, hierarchies: Sequence[Hierarchy]) -> None:
        self.hierarchies = tuple(hierarchies)
        self._threads: dict[int, tuple[Path, Path]] = {}
        self._lock = threading.Lock()

    def thread_pids(self, name: str, limit: int) -> bool:
        """Put the calling thread in a v1 pids cgroup of its own holding ``limit`` more tasks.

        Every process the thread starts is born there, for free: a worker thread runs one pod
        at a time and every process of a sandboxed pod dies with it, so the cgroup holds one
        pod's processes (and the thread), which is a pod process limit without a cgroup to make
        and join per container (joining a v1 cgroup waits for an RCU grace period: milliseconds).
        False where pids is not a v1 hierarchy (then each container gets its own cgroup).
        """
        tid = threading.get_native_id()
        with self._lock:
            if tid in self._threads:
                return True
        pids = next((h for h in self.hierarchies if not h.v2 and "pids" in h.controllers), None)
        if pids is None:
            return False
        folder = pids.base / f"{name}-t{tid}"[:200]
        try:
            folder.mkdir(exist_ok=True)
            (folder / "pids.max").write_text(str(limit + 1))
            (folder / "tasks").write_text(str(tid))
        except OSError:
            self.remove([folder])
            return False
        with self._lock:
            self._threads[tid] = (folder, pids.base)
        return True

    def close(self) -> None:
        """Move the threads :meth:`thread_pids` placed back to wfsync's own cgroup; remove theirs."""
        with self._lock:
            placed, self._threads = self._threads, {}
        for tid, (folder, own) in placed.items():
            with contextlib.suppress(OSError):  # the thread may have ended (it left by itself)
                (own / "tasks").write_text(str(tid))
            self.remove([folder])

    @property
    def enforced(self) -> frozenset[str]:
        """The controllers whose limits hold here."""
        return frozenset().union(*(h.controllers for h in self.hierarchies))

    @classmethod
    def find(cls) -> Cgroups | None:
        """The cgroups wfsync may make children in, each controller tried once; None: none at all."""
        own_v1, own_v2 = _own_cgroups()
        mounts_v1, mount_v2 = _mounts()
        candidates: list[Hierarchy] = []
        for controller in CONTROLLERS:
            if controller in mounts_v1 and controller in own_v1:
                base = mounts_v1[controller] / own_v1[controller].lstrip("/")
                candidates.append(Hierarchy(base, v2=False, controllers=frozenset({controller})))
        missing = set(CONTROLLERS) - {c for h in candidates for c in h.controllers}
        if missing and mount_v2 is not None and own_v2 is not None:
            base = mount_v2 / own_v2.lstrip("/")
            usable = _enable_v2(base, missing)
            if usable:
                candidates.append(Hierarchy(base, v2=True, controllers=frozenset(usable)))
        found = [h for h in (_probe(c) for c in candidates) if h is not None]
        return cls(found) if found else None

    def make(self, name: str, limits: Limits) -> Joined:
        """The cgroups one container joins (one per hierarchy it has a limit in), made now."""
        v1: list[tuple[Path, Path]] = []
        v2: list[Path] = []
        for hierarchy in self.hierarchies:
            settings = [
                s for c in sorted(hierarchy.controllers) for s in _settings(c, limits, v2=hierarchy.v2)
            ]
            if not settings:
                continue
            folder = hierarchy.base / name
            try:
                folder.mkdir(exist_ok=True)
                for file, value in settings:
                    try:
                        (folder / file).write_text(value)
                    except OSError:
                        if file not in _OPTIONAL:
                            raise
            except OSError:
                self.remove([folder])
                continue
            if hierarchy.v2:
                v2.append(folder)
            else:
                v1.append((folder, hierarchy.base))
        return Joined(tuple(v1), tuple(v2))

    @staticmethod
    def oom_killed(folders: Sequence[Path]) -> bool:
        """Whether the kernel's OOM killer killed a process in any of these cgroups."""
        for folder in folders:
            for file in ("memory.events", "memory.oom_control"):
                try:
                    text = (folder / file).read_text()
                except OSError:
                    continue
                counts = dict(line.split()[:2] for line in text.splitlines() if len(line.split()) >= 2)
                if int(counts.get("oom_kill", "0")) > 0:
                    return True
        return False

    @staticmethod
    def remove(folders: Sequence[Path]) -> None:
        """Remove containers' cgroups once their processes are gone (they may take a moment)."""
        for folder in folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _enable_v2(base: Path, wanted: set[str]) -> set[str]:
    """The v2 controllers children of ``base`` can use, enabling the missing ones when allowed."""
    try:
        available = set((base / "cgroup.controllers").read_text().split())
        enabled = set((base / "cgroup.subtree_control").read_text().split())
    except OSError:
        return set()
    for controller in sorted((wanted & available) - enabled):
        with contextlib.suppress(OSError):  # a cgroup with processes of its own cannot (v2 rule)
            (base / "cgroup.subtree_control").write_text(f"+{controller}")
            enabled.add(controller)
    return wanted & enabled


def _probe(hierarchy: Hierarchy) -> Hierarchy | None:
    """The hierarchy with the controllers whose limit files a child of its base accepts."""
    probe = hierarchy.base / f"wfsync-probe-{os.getpid()}-{threading.get_ident()}"
    limits = Limits(memory=2**40, cpu=1000, pids=DEFAULT_PIDS)
    works: set[str] = set()
    try:
        probe.mkdir()
    except OSError:
        return None
    try:
        for controller in hierarchy.controllers:
            try:
                for file, value in _settings(controller, limits, v2=hierarchy.v2):
                    if file not in _OPTIONAL:
                        (probe / file).write_text(value)
                works.add(controller)
            except OSError:
                continue
    finally:
        Cgroups.remove([probe])
    return dataclasses.replace(hierarchy, controllers=frozenset(works)) if works else None
