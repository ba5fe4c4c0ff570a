"""A container's writable layer and cgroups, made in the child between ``fork`` and ``exec``.

Each sandboxed container gets its own mount namespace with a tmpfs and one overlay per host
filesystem (the root filesystem once, plus each top-level folder that is a mount of its own), so
writes to ``/usr``, ``/etc`` or ``$HOME`` land in the tmpfs and vanish with the container. Doing
this with ``unshare`` and ``mount`` commands cost ~40 ms a container (a process per mount); here
it is a handful of system calls made by the forked child itself (``preexec_fn``) before it
becomes ``bwrap``: about a millisecond. The namespace, and so the layer, dies with the last
process of the container; nothing needs unmounting, even when wfsync is killed outright.

The child only makes system calls through functions bound before the fork (no imports, no
locks), which is what keeps ``preexec_fn`` safe in a threaded engine.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

_CLONE_NEWNS = 0x00020000
_MS_REC = 0x4000
_MS_PRIVATE = 1 << 18
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
LAYER_FAILED = 125
"""Exit code of a container whose layer could not be made (as ``docker run`` for its own errors)."""


@dataclasses.dataclass(frozen=True)
class Overlay:
    """One overlay of the layer: the host folder ``lower`` seen writable at ``<layer>/<name>/m``."""

    name: str
    lower: str


@dataclasses.dataclass(frozen=True)
class LayerPlan:
    """The overlays a container's layer holds, and which top-level folder each serves."""

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
    """``unshare(2)`` and ``mount(2)``, bound once (the child must not load anything)."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self.unshare = libc.unshare
        self.unshare.argtypes = [ctypes.c_int]
        self.mount = libc.mount
        self.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]


_LIBC: _Libc | None = None


def _libc() -> _Libc:
    global _LIBC  # noqa: PLW0603 - bound once per process, before any fork
    if _LIBC is None:
        _LIBC = _Libc()
    return _LIBC


def child_setup(
    layer: Path | None, plan: LayerPlan | None, cgroup_procs: Sequence[Path] = ()
) -> Callable[[], None]:
    """The ``preexec_fn`` that joins ``cgroup_procs`` and, given a layer, makes it at ``layer``.

    Everything is encoded before the fork; on failure the child writes why to its stderr and
    exits with :data:`LAYER_FAILED`.
    """
    libc = _libc() if layer is not None else None
    procs = [str(p).encode() for p in cgroup_procs]
    steps: list[tuple[bytes, bytes, bytes, bytes]] = []
    top = str(layer).encode() if layer is not None else b""
    if layer is not None and plan is not None:
        for overlay in plan.overlays:
            base = f"{layer}/{overlay.name}"
            opts = f"lowerdir={overlay.lower},upperdir={base}/u,workdir={base}/w"
            steps.append((base.encode(), f"{base}/m".encode(), opts.encode(), overlay.lower.encode()))

    def fail(what: bytes, err: int | None = None) -> None:
        reason = os.strerror(ctypes.get_errno() if err is None else err).encode()
        os.write(2, b"wfsync sandbox: " + what + b": " + reason + b"\n")
        os._exit(LAYER_FAILED)

    def setup() -> None:
        pid = str(os.getpid()).encode()
        for path in procs:
            try:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, pid)
                finally:
                    os.close(fd)
            except OSError as exc:
                fail(b"cannot join cgroup " + path, exc.errno or 0)
        if libc is None:
            return
        if libc.unshare(_CLONE_NEWNS) != 0:
            fail(b"unshare(CLONE_NEWNS)")
        if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            fail(b"make mounts private")
        if libc.mount(b"wfsync-layer", top, b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=0755") != 0:
            fail(b"tmpfs at " + top)
        for base, merged, opts, lower in steps:
            try:  # bytes and os calls: nothing to allocate or import in the child
                os.mkdir(base)  # noqa: PTH102
                os.mkdir(base + b"/u")  # noqa: PTH102
                os.mkdir(base + b"/w")  # noqa: PTH102
                os.mkdir(merged)  # noqa: PTH102
            except OSError as exc:
                fail(b"layer folders in " + top, exc.errno or 0)
            if libc.mount(b"overlay", merged, b"overlay", 0, opts) != 0:
                fail(b"overlay of " + lower)

    return setup
