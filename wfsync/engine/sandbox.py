"""Pods in a sandbox (``wfsync run --runtime sandbox``): bubblewrap, a mount and PID namespace each.

Images are stood in by host tools as with host processes, but every container runs under
``bwrap`` in its own mount and PID namespace: the host's filesystem is there read-only, the
pod's own folders (``/tmp``, ``/workspace``, every declared path's top-level folder, shared
volumes) are read-write at their real absolute paths, so commands, scripts and environment run
unchanged (no rewriting of paths in their text), and a path computed at run time cannot reach
the host. The sandbox's root is the pod's folder: new top-level files and folders land there and
go with the run. When the container's main process ends, its PID namespace
ends and every process in it dies; ``--die-with-parent`` does the same if wfsync itself is
killed outright.

What it does not do yet (honestly): there is no writable layer over the host's folders (bubblewrap
0.8 has no overlay), so a write to ``/usr``, ``/etc`` or ``$HOME`` outside the pod's folders
fails with "Read-only file system" where a real container would succeed in its own layer. Memory and
process-count limits from ``resources.limits`` are not enforced. The network is the host's, as
with host processes (daemons and sidecars stay reachable at 127.0.0.1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from wfsync.engine.executor import Container, Pod
from wfsync.engine.host import HostExecutor
from wfsync.errors import CompletionError

BWRAP = "bwrap"
_HOST_ONLY = frozenset({"proc", "dev"})
"""Top-level folders the sandbox makes its own (a fresh procfs for its PID namespace, minimal /dev)."""


class SandboxMissing(CompletionError):
    """bubblewrap is not installed or cannot make a sandbox here (exit code 3: could not complete)."""


class SandboxExecutor(HostExecutor):
    """Runs each container of a pod under bubblewrap (see the module docstring)."""

    rewrites = False

    def __init__(self, binary: str | None = None) -> None:
        super().__init__()
        found = binary or shutil.which(BWRAP)
        if found is None:
            raise SandboxMissing(
                "bwrap (bubblewrap) is not on PATH: install it (Debian/Ubuntu: apt-get install "
                "bubblewrap), or run with --runtime host"
            )
        probe = subprocess.run(  # noqa: S603 - fixed arguments
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
        self._root = sorted(os.scandir("/"), key=lambda e: e.name)

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
        env["TMPDIR"] = "/tmp"  # noqa: S108 - the pod's own /tmp
        tops = self.pod_tops(pod)
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
            else:
                args += ["--ro-bind", name, name]
        args += ["--dev", "/dev", "--proc", "/proc"]
        for mount, folder in sorted(pod.shared_dirs, key=lambda m: (m[0].count("/"), m[0])):
            args += ["--bind", str(folder), mount]
        # the pod folder at its real path too (its HOME and logs): it may lie below /tmp, say
        args += ["--bind", str(pod.root), str(pod.root)]
        args += ["--chdir", ctr.working_dir or str(pod.root)]
        return [*args, "--", *argv]
