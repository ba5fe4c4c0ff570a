"""Pods in a sandbox (``wfsync run --runtime sandbox``): bubblewrap, a mount and PID namespace each.

Images are stood in by host tools as with host processes, but every container runs under
``bwrap`` in its own mount and PID namespace: the host's filesystem is there read-only, the
pod's own folders (``/tmp``, ``/workspace``, every declared path's top-level folder, shared
volumes) are read-write at their real absolute paths, so commands, scripts and environment run
unchanged (no rewriting of paths in their text), and a path computed at run time cannot reach
the host. The sandbox's root is the pod's folder: new top-level files and folders land there and
go with the run; each volume is a mount of its own, as on Kubernetes. Where wfsync may mount, a
run's pod folders are in memory (:mod:`wfsync.engine.podfs`): the mount points bwrap makes in each
cost microseconds there, milliseconds on disk. When the container's main process ends, its PID namespace
ends and every process in it dies; ``--die-with-parent`` does the same if wfsync itself is
killed outright.

Writes to the host's folders (``pip install`` into the interpreter, a file in ``$HOME`` or
``/etc``) go to the container's own layer when wfsync may make one (root and overlayfs): a tmpfs
and an overlay of each host filesystem in a private mount namespace the child process makes
before it becomes bwrap (:mod:`wfsync.engine.layers`), gone with the container, as a container's
writable layer; elsewhere those folders are read-only ("Read-only file system", where a real
container would succeed). The network is the host's, as with host processes (daemons and
sidecars stay reachable at 127.0.0.1).

``resources.limits`` are enforced where wfsync may make cgroups (:mod:`wfsync.engine.cgroups`,
cgroup v1 or v2, usually as root): a container over its memory limit is killed as on Kubernetes,
"OOMKilled (exit code 137)"; its cpu limit throttles it (CFS quota); and it may have at most
:data:`~wfsync.engine.cgroups.DEFAULT_PIDS` processes, so a fork bomb stops there. Where cgroups
cannot be made, limits are not enforced (the run's notes say so).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from wfsync.engine.cgroups import DEFAULT_PIDS, Cgroups, Joined, container_limits, join_prefix, spawning_in
from wfsync.engine.executor import Container, Pod, PodResult
from wfsync.engine.host import HostExecutor
from wfsync.engine.layers import FOLDER_PREFIX, LayerPlan, Layers, can_layer, plan_layer, sweep_stale
from wfsync.engine.podfs import PodFolders
from wfsync.errors import CompletionError

BWRAP = "bwrap"
_HOST_ONLY = frozenset({"proc", "dev"})
"""Top-level folders the sandbox makes its own (a fresh procfs for its PID namespace, minimal /dev)."""
_LAYERED = ("usr", "etc", "opt", "var", "root", "home", "srv")
"""Host folders a container may write to in its own layer when not every top-level folder can be."""


@functools.cache
def _engine_paths() -> tuple[Path, ...]:
    """Host folders pods run code from: the wfsync package and the interpreter's prefixes.

    The package holds the shims, argosay and the runners; a folder inside another is dropped
    (its outer folder is bound).
    """
    import wfsync

    found = sorted(
        {
            Path(wfsync.__file__).resolve().parent,
            Path(sys.prefix).resolve(),
            Path(sys.base_prefix).resolve(),
            Path(sys.executable).resolve().parent,
        }
    )
    kept: list[Path] = []
    for path in found:
        if len(path.parts) > 1 and not any(path.is_relative_to(outer) for outer in kept):
            kept.append(path)
    return tuple(kept)


OOM_MESSAGE = "OOMKilled (exit code 137)"


@functools.lru_cache(maxsize=4)
def _can_layer(dirs: tuple[str, ...]) -> LayerPlan | None:
    """The layer plan for ``dirs`` when layers can be made here (root, overlayfs): tried once, for real."""
    if not dirs or os.geteuid() != 0:
        return None
    plan = plan_layer("/", dirs)
    with tempfile.TemporaryDirectory(prefix="wfsync-layer-probe-") as folder:
        return plan if can_layer(plan, Path(folder)) else None


class SandboxMissing(CompletionError):
    """bubblewrap is not installed or cannot make a sandbox here (exit code 3: could not complete)."""


class SandboxExecutor(HostExecutor):
    """Runs each container of a pod under bubblewrap (see the module docstring)."""

    rewrites = False
    contained = True

    def __init__(
        self, binary: str | None = None, pids_limit: int | None = DEFAULT_PIDS, *, strict_images: bool = False
    ) -> None:
        super().__init__(strict_images=strict_images)
        found = binary or shutil.which(BWRAP)
        if found is None:
            raise SandboxMissing(
                "bwrap (bubblewrap) is not on PATH: install it (Debian/Ubuntu: apt-get install "
                "bubblewrap), or run with --runtime host"
            )
        probe = subprocess.run(
            [found, "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if probe.returncode != 0:
            reason = (probe.stderr.strip().splitlines() or [f"exit code {probe.returncode}"])[-1]
            raise SandboxMissing(
                f"bwrap cannot make a sandbox on this machine ({reason}): user namespaces may be "
                "disabled; run with --runtime host"
            )
        self.binary = found
        sweep_stale()  # layers of runs killed outright, before anything deletes their folders
        self._root = sorted(os.scandir("/"), key=lambda e: e.name)
        folders = [e.name for e in self._root if e.is_dir() and not e.is_symlink()]
        every = tuple(f for f in folders if f not in _HOST_ONLY and f != "sys")
        self.plan: LayerPlan | None = None
        for choice in (every, tuple(f for f in every if f in _LAYERED)):
            self.plan = _can_layer(choice)
            if self.plan is not None:
                break
        self.layered: list[str] = sorted(self.plan.tops) if self.plan is not None else []
        """Host folders a container writes to in its own layer; empty: they are read-only."""
        self.cgroups = Cgroups.find()
        """Where limits are enforced (:attr:`Cgroups.enforced`); None: nowhere (no cgroup wfsync may write)."""
        self.pids_limit = pids_limit
        self._limited: dict[tuple[str, str], Joined] = {}
        self._layered: dict[tuple[str, str], Path] = {}
        self._layers: dict[Path, Layers] = {}
        self._cg_lock = threading.Lock()
        self.pod_folders = PodFolders(enabled=True)
        """Each run's pods folder in memory where wfsync may mount (:mod:`.podfs`)."""

    def close(self) -> None:
        """Kill what pods left running, then unmount every layer still mounted."""
        super().close()
        with self._cg_lock:
            layers, self._layers = list(self._layers.values()), {}
        for each in layers:
            each.close()
        self.pod_folders.close()
        if self.cgroups is not None:
            self.cgroups.close()

    def run(self, pod: Pod, cancel: threading.Event) -> PodResult:
        """Run the pod (see :class:`HostExecutor`); a container its memory limit killed is OOMKilled."""
        self.pod_folders.ensure(pod.root.parent)
        try:
            result = super().run(pod, cancel)
        finally:
            oom = self.release(pod)
        if oom and result.exit_code == 137:
            who = "" if oom == ["main"] else f"{oom[0]}: "
            return dataclasses.replace(result, message=f"{who}{OOM_MESSAGE}")
        return result

    def release(self, pod: Pod) -> list[str]:
        """Remove the layers and cgroups of a pod's containers; the containers the OOM killer killed."""
        with self._cg_lock:
            joined = {c: self._limited.pop((p, c)) for p, c in list(self._limited) if p == pod.name}
            layers = [
                (self._layers.get(v.parent), self._layered.pop(k))
                for k, v in list(self._layered.items())
                if k[0] == pod.name
            ]
        oom = [name for name, each in joined.items() if Cgroups.oom_killed(each.folders)]
        for each in joined.values():
            Cgroups.remove(each.folders)
        for owner, layer in layers:
            if owner is not None:
                owner.release(layer)
        return oom

    def substitutions(self) -> dict[str, str]:
        """Images replaced by host tools, each run in the sandbox."""
        return {image: f"{tool} (sandboxed)" for image, tool in super().substitutions().items()}

    def wrap(self, pod: Pod, ctr: Container, argv: list[str], env: dict[str, str]) -> list[str]:
        """``bwrap <namespaces> <the pod folder as /> <read-only host> <shared volumes> -- argv``.

        The pod folder is the sandbox's root, so every in-container path that is not the host's
        (``/tmp``, ``/workspace``, ``/mnt``, ``/argo/staging/script``, a file at ``/``) is the pod's
        own, where the engine staged its inputs and collects its outputs; the host's top-level
        folders are bound read-only over it, except those the pod declares paths in.
        """
        env["TMPDIR"] = "/tmp"
        tops = self.pod_tops(pod)
        layer = self._layer(pod, ctr)
        args = [self.binary, "--die-with-parent", "--unshare-pid", "--unshare-ipc"]
        args += ["--bind", str(pod.root), "/"]
        for entry in self._root:
            name = "/" + entry.name
            if entry.name in _HOST_ONLY or name in tops:
                continue
            if entry.is_symlink():
                # made once in the pod folder (its root), not by bwrap: a pod's second container
                # would find it there already
                link = pod.root / entry.name
                if not link.is_symlink():
                    link.symlink_to(Path(entry.path).readlink())
            elif layer is not None and self.plan is not None and entry.name in self.plan.tops:
                args += ["--bind", str(layer / self.plan.tops[entry.name]), name]
            else:
                args += ["--ro-bind", name, name]
        args += ["--dev", "/dev", "--proc", "/proc"]
        # every volume is a mount of its own, as on Kubernetes (it is listed in /proc/mounts)
        volumes = [*((m, self.host_path(pod, m)) for m in pod.mounts), *pod.shared_dirs]
        for mount, folder in sorted(volumes, key=lambda m: (m[0].count("/"), m[0])):
            args += ["--bind", str(folder), mount]
        # what the stand-ins run from (wfsync's own shims and helpers, this interpreter), read-only
        # at their real paths where the pod's own folders hide them: wfsync installed below /tmp
        for path in _engine_paths():
            if path.parts[1] in _HOST_ONLY or "/" + path.parts[1] in tops:
                args += ["--ro-bind", str(path), str(path)]
        # the pod folder at its real path too (its HOME and logs): it may lie below /tmp, say
        args += ["--bind", str(pod.root), str(pod.root)]
        args += ["--chdir", ctr.working_dir or str(pod.root)]
        return [*join_prefix(self._limit(pod, ctr, env)), *args, "--", *argv]

    def spawning(self, pod: Pod, ctr: Container) -> contextlib.AbstractContextManager[None]:
        """The starting thread sits in the container's v1 cgroups, so its process is born in them."""
        with self._cg_lock:
            joined = self._limited.get((pod.name, ctr.name))
        return spawning_in(joined) if joined is not None else contextlib.nullcontext()

    def _layer(self, pod: Pod, ctr: Container) -> Path | None:
        """A new layer for this container (None where layers cannot be made)."""
        if self.plan is None:
            return None
        folder = pod.root.parent / f"{FOLDER_PREFIX}{os.getpid()}"
        with self._cg_lock:
            layers = self._layers.get(folder)
            if layers is None:
                layers = self._layers[folder] = Layers(folder, self.plan)
        layer = layers.make()
        with self._cg_lock:
            self._layered[(pod.name, ctr.name)] = layer
        return layer

    def _limit(self, pod: Pod, ctr: Container, env: dict[str, str]) -> Joined:
        """The cgroups of a container, made now with its limits (see :mod:`.cgroups`)."""
        if self.cgroups is None:
            return Joined()
        try:
            template = json.loads(env.get("ARGO_TEMPLATE") or "{}")
        except ValueError:
            template = {}
        limits = container_limits(template if isinstance(template, dict) else {}, ctr.name, self.pids_limit)
        if limits.pids is not None and self.cgroups.thread_pids(f"wfsync-{self.token}", limits.pids):
            limits = dataclasses.replace(limits, pids=None)  # this thread's own cgroup holds the pod
        joined = self.cgroups.make(f"wfsync-{self.token}-{pod.name}-{ctr.name}"[:200], limits)
        if joined.folders:
            with self._cg_lock:
                self._limited[(pod.name, ctr.name)] = joined
        return joined
