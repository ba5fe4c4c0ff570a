"""Each sandboxed container's own writable layer: a tmpfs and overlays wfsync mounts for it.

Writes a container makes to ``/usr``, ``/etc`` or ``$HOME`` land in its layer, the way a
container's writable layer works, and vanish with it. A layer is a tmpfs holding one overlay per
host filesystem (the root filesystem once, and each top-level folder that is a mount of its
own); bwrap then binds the overlays' folders over the host's. wfsync mounts layers itself, with
system calls, in a private folder of its run (``.wfsync-layers-<pid>``, bound on itself and made
private so nothing propagates out), and unmounts each when its pod ends: no process to start
and no namespace to copy per container (the ``unshare``/``mount`` commands this replaces cost
~40 ms a container). Layers of a run killed outright are unmounted by the next sandbox
(:func:`sweep_stale`), before anything deletes its folder.

Overlays never write to their lower folders: whatever happens in a layer, the host's files stay.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import itertools
import os
import queue
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from wfsync.engine.lifetime import running
from wfsync.errors import WfsyncError

MS_NOSUID = 0x2
MS_NODEV = 0x4
_MS_BIND = 0x1000
_MS_REC = 0x4000
MS_PRIVATE = 1 << 18
_MNT_DETACH = 0x2
FOLDER_PREFIX = ".wfsync-layers-"
"""A run's layers live in ``<pods folder>/.wfsync-layers-<pid of wfsync>``."""
PODS_SOURCE_PREFIX = "wfsync-pods-"
"""The source name of a run's in-memory pods folder (:mod:`wfsync.engine.podfs`): ``wfsync-pods-<pid>``."""


class LayerError(WfsyncError):
    """A container's layer could not be made (the node ends in Error with this message)."""


@dataclasses.dataclass(frozen=True)
class Overlay:
    """One overlay of a layer: the host folder ``lower`` seen writable at ``<layer>/<name>/m``."""

    name: str
    lower: str


@dataclasses.dataclass(frozen=True)
class LayerPlan:
    """The overlays a layer holds, and where each top-level folder's writable view is in it."""

    overlays: tuple[Overlay, ...]
    tops: dict[str, str]
    """Top-level folder name -> path of its writable view relative to the layer (``root/m/usr``)."""


def plan_layer(root: str = "/", names: Sequence[str] | None = None) -> LayerPlan:
    """One overlay for the root filesystem, and one per top-level folder on another filesystem.

    ``names``: the top-level folders to make writable (default: every folder of ``root``).
    An overlay does not cross mounts, so a folder mounted separately (``/home`` on its own disk)
    needs its own; everything on the root filesystem shares one.
    """
    base = Path(root).stat().st_dev
    overlays: list[Overlay] = []
    tops: dict[str, str] = {}
    for name in sorted(names if names is not None else [p.name for p in Path(root).iterdir()]):
        path = str(Path(root) / name)
        try:
            dev = Path(path).lstat().st_dev
        except OSError:
            continue
        if dev == base:
            if not any(o.name == "root" for o in overlays):
                overlays.append(Overlay("root", root))
            tops[name] = f"root/m/{name}"
        else:
            key = f"top-{name}"
            overlays.append(Overlay(key, path))
            tops[name] = f"{key}/m"
    return LayerPlan(tuple(overlays), tops)


class _Libc:
    """``mount(2)`` and ``umount2(2)``."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self._mount = libc.mount
        self._mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]
        self._umount2 = libc.umount2
        self._umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]

    def mount(
        self, source: str | None, target: Path, fstype: str | None, flags: int, data: str | None
    ) -> None:
        """Mount, or raise :class:`OSError` with the reason."""
        args = (
            source.encode() if source else None,
            str(target).encode(),
            fstype.encode() if fstype else None,
        )
        if self._mount(*args, flags, data.encode() if data is not None else None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(target))

    def detach(self, target: Path) -> bool:
        """Unmount lazily (``MNT_DETACH``); False when it was not a mount point (or is gone)."""
        return bool(self._umount2(str(target).encode(), _MNT_DETACH) == 0)


_LIBC: _Libc | None = None
_LIBC_LOCK = threading.Lock()


def libc() -> _Libc:
    """``mount(2)``/``umount2(2)`` through the C library, bound once per process."""
    global _LIBC  # noqa: PLW0603 - bound once per process
    with _LIBC_LOCK:
        if _LIBC is None:
            _LIBC = _Libc()
        return _LIBC


class Layers:
    """The layers of one run's containers, in ``folder`` (see the module docstring)."""

    def __init__(self, folder: Path, plan: LayerPlan) -> None:
        self.folder = folder
        self.plan = plan
        self._libc = libc()
        self._count = itertools.count()
        self._lock = threading.Lock()
        self._made: set[Path] = set()
        self._gone: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._janitor: threading.Thread | None = None
        folder.mkdir(parents=True, exist_ok=True)
        try:  # a mount of its own, private: the layers' mounts never propagate anywhere
            self._libc.mount(str(folder), folder, None, _MS_BIND, None)
            self._libc.mount(None, folder, None, MS_PRIVATE | _MS_REC, None)
        except OSError as exc:
            self._libc.detach(folder)
            raise LayerError(
                f"cannot make the folder of containers' layers {folder}: {exc.strerror}"
            ) from None

    def make(self) -> Path:
        """A new, empty layer: a tmpfs with the plan's overlays mounted in it."""
        with self._lock:
            layer = self.folder / str(next(self._count))
            self._made.add(layer)
        try:
            layer.mkdir()
            self._libc.mount("wfsync-layer", layer, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
            for overlay in self.plan.overlays:
                base = layer / overlay.name
                for sub in ("u", "w", "m"):
                    (base / sub).mkdir(parents=True)
                opts = f"lowerdir={overlay.lower},upperdir={base}/u,workdir={base}/w"
                self._libc.mount("overlay", base / "m", "overlay", 0, opts)
        except OSError as exc:
            self.remove(layer)
            raise LayerError(f"cannot make a container's layer in {self.folder}: {exc}") from None
        return layer

    def release(self, layer: Path) -> None:
        """Unmount a layer soon, on a thread of its own.

        An unmount waits for an RCU grace period (milliseconds, more on a busy machine), which
        the next container need not wait for.
        """
        with self._lock:
            if self._janitor is None:
                self._janitor = threading.Thread(
                    target=self._unmount_released, name="wfsync-layers", daemon=True
                )
                self._janitor.start()
        self._gone.put(layer)

    def _unmount_released(self) -> None:
        while (layer := self._gone.get()) is not None:
            self.remove(layer)

    def remove(self, layer: Path) -> None:
        """Unmount a layer (its writes go with its tmpfs) and remove its mount point."""
        for overlay in self.plan.overlays:
            self._libc.detach(layer / overlay.name / "m")
        self._libc.detach(layer)
        with contextlib.suppress(OSError):
            layer.rmdir()
        with self._lock:
            self._made.discard(layer)

    def close(self) -> None:
        """Unmount every layer still mounted, then the folder itself, and remove it."""
        with self._lock:
            janitor = self._janitor
        if janitor is not None:
            self._gone.put(None)
            janitor.join()
        with self._lock:
            left = sorted(self._made)
        for layer in left:
            self.remove(layer)
        self._libc.detach(self.folder)
        with contextlib.suppress(OSError):
            self.folder.rmdir()


def can_layer(plan: LayerPlan, scratch: Path) -> bool:
    """Whether layers can be made here (root, overlayfs): one made and removed in ``scratch``, for real."""
    try:
        layers = Layers(scratch / f"{FOLDER_PREFIX}{os.getpid()}", plan)
    except (LayerError, OSError):
        return False
    try:
        layers.remove(layers.make())
    except LayerError:
        return False
    finally:
        layers.close()
    return True


_ESCAPE = re.compile(r"\\([0-7]{3})")
_OWNER = re.compile(re.escape(FOLDER_PREFIX) + r"(\d+)(?:/|$)")
_PODS_OWNER = re.compile(re.escape(PODS_SOURCE_PREFIX) + r"(\d+)$")


def _pods_owner(fields: list[str]) -> re.Match[str] | None:
    """The owner of an in-memory pods folder: its source, after the ``-`` that ends the optional fields."""
    try:
        source = fields[fields.index("-", 5) + 2]
    except (ValueError, IndexError):
        return None
    return _PODS_OWNER.match(source)


def sweep_stale(mountinfo: str | None = None, alive: Sequence[int] | None = None) -> list[str]:
    """Unmount layers and pods folders left by runs that were killed outright (their wfsync is gone).

    Only mounts below a ``.wfsync-layers-<pid>`` folder, and tmpfs named ``wfsync-pods-<pid>``
    (:mod:`wfsync.engine.podfs`), whose ``pid`` no longer runs; the deepest first. Returns the mount points unmounted.
    """
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8")
        except OSError:
            return []
    stale: list[str] = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        point = _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
        owner = _OWNER.search(point) or _pods_owner(fields)
        if owner is None:
            continue
        pid = int(owner.group(1))
        if pid == os.getpid() or (alive is not None and pid in alive) or (alive is None and running(pid)):
            continue
        stale.append(point)
    deepest_first = sorted(set(stale), key=lambda p: (-p.count("/"), p))
    return [point for point in deepest_first if libc().detach(Path(point))]
