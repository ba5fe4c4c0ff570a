"""A sandboxed run's pod folders in memory: a tmpfs at ``<run folder>/pods``, gone with the run.

Every sandboxed pod makes folders: its own, those its declared paths need, and the mount points
bubblewrap makes in it for the host's top-level folders (about twenty), all removed again when
the run ends. On a disk filesystem each is a journalled metadata write (0.3 to 1 ms on a busy
machine): that was most of what a sandboxed pod cost beyond a host process. On a tmpfs each
costs microseconds. A pod's folder is as short-lived as its container (outputs are saved to the
artifact repository when the pod ends), so it lives in memory as the container's writable layer
does (:mod:`wfsync.engine.layers`); a pod that writes gigabytes to ``/tmp`` uses that much memory
(swappable). Where wfsync may not mount (not root), the folders stay on disk.

The tmpfs is mounted in wfsync's own mount namespace, made private (the layers mounted inside it
propagate nowhere), and unmounted when the run ends; one left by a run killed outright is
unmounted by the next sandbox (:func:`wfsync.engine.layers.sweep_stale` knows its source name).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from wfsync.engine.layers import MS_NODEV, MS_NOSUID, MS_PRIVATE, PODS_SOURCE_PREFIX, libc


class PodFolders:
    """Mounts a tmpfs at each pods folder of this executor's runs, once, and unmounts them all."""

    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled and os.geteuid() == 0
        self._lock = threading.Lock()
        self._mounted: list[Path] = []
        self._ready: set[Path] = set()
        """Folders whose pods may start: mounted (or left on disk), never half-way."""

    def ensure(self, folder: Path) -> None:
        """Make ``folder`` a fresh tmpfs before its first pod (left on disk when that is refused).

        Every pod of the folder waits here until it is done: a pod folder made on disk meanwhile
        would be hidden under the tmpfs, with whatever was mounted in it.
        """
        if not self._enabled or folder in self._ready:
            return
        with self._lock:
            if self._enabled and folder not in self._ready:
                self._mount(folder)
                self._ready.add(folder)

    def _mount(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            return  # pods already there: never hide them under a mount
        source = f"{PODS_SOURCE_PREFIX}{os.getpid()}"
        try:
            libc().mount(source, folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
        except OSError:
            self._enabled = False  # not permitted here: every pods folder stays on disk
            return
        self._mounted.append(folder)
        try:
            libc().mount(None, folder, None, MS_PRIVATE, None)
        except OSError:
            libc().detach(folder)
            self._mounted.remove(folder)

    def close(self) -> None:
        """Unmount every pods folder (their files go with them; the run is over)."""
        with self._lock:
            mounted, self._mounted = self._mounted, []
            self._ready.clear()
        for folder in reversed(mounted):
            libc().detach(folder)
