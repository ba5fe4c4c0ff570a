"""Pods as containers: ``docker run`` / ``podman run`` (``wfsync run --runtime docker|podman``).

The default is ``auto``: a sandbox where bubblewrap works, else host processes (no container
engine needed either way). With a container runtime, every
container of a pod is one ``<engine> run --rm`` of its real image; the pod's declared paths live
on the host under the pod root, as with host processes, and are bind-mounted into the container:
input files and folders at their exact path, volume mounts and shared volumes as folders, output
paths through their parent folder (so the container may create them; paths directly under ``/``
are refused). Containers use the host's
network, as host processes do, so daemons and sidecars stay reachable at the pod IP the engine
reports (127.0.0.1). Init containers run one after the other before main; sidecars and
containerSets are not run this way yet and are refused on their node.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from wfsync.engine import landlock
from wfsync.engine.executor import Container, ContainerResult, Executor, Pod, PodResult
from wfsync.engine.host import HostExecutor
from wfsync.engine.lifetime import terminate
from wfsync.engine.podprocs import wait_piped
from wfsync.engine.unpack import unpack
from wfsync.errors import CompletionError

RUNTIMES = ("host", "sandbox", "auto", "docker", "podman")
HOST_ISOLATION = (
    "pods run as host processes: no mount or PID namespace of their own (a pod sees the host's "
    "files, and its processes are the host's), and resources.limits are not enforced"
)
"""What a run on host processes lacks (said in the run's notes when it was not asked for)."""
HOST_WRITES_REFUSED = (
    "host writes outside the pod's folders are refused (Landlock); --allow-host-writes to permit"
)
"""Said once in the run's summary when a confined pod failed on "Permission denied"."""
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_.-]")


class RuntimeMissing(CompletionError):
    """The chosen container engine is not installed (exit code 3: could not complete)."""


@dataclasses.dataclass(frozen=True)
class Mount:
    """A bind mount: a host path at a path in the container."""

    host: Path
    container: str


def container_name(pod: Pod, ctr: Container) -> str:
    """A unique, valid container name for one container of a pod."""
    return _NAME_CHARS.sub("-", f"wfsync-{pod.name}-{ctr.name}")[:253]


def host_path(pod: Pod, path: str) -> Path:
    """Where an in-container path lives on the host: a shared volume folder, else under the pod root."""
    for mount, folder in sorted(pod.shared_dirs, key=lambda m: -len(m[0])):
        if path == mount or path.startswith(mount.rstrip("/") + "/"):
            return folder / path[len(mount) :].lstrip("/")
    return pod.root / "fs" / path.lstrip("/")


def _covered(path: str, mounted: Sequence[str]) -> bool:
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounted)


def pod_mounts(pod: Pod) -> list[Mount]:
    """The bind mounts of a pod: shared volumes, volume mounts, inputs exactly, outputs by parent."""
    mounts = [Mount(folder, path) for path, folder in pod.shared_dirs]
    mounts.extend(
        Mount(host_path(pod, m), m) for m in pod.mounts if not _covered(m, [x.container for x in mounts])
    )
    inputs = {p for p, _, _ in pod.files} | {p for p, _, _ in pod.unpack}
    for path in sorted(inputs):
        if not _covered(path, [m.container for m in mounts]):
            mounts.append(Mount(host_path(pod, path), path))
    for path in pod.paths:
        if path in inputs or _covered(path, [m.container for m in mounts]):
            continue
        parent = str(PurePosixPath(path).parent)
        if parent != "/" and not _covered(parent, [m.container for m in mounts]):
            mounts.append(Mount(host_path(pod, parent), parent))
    return mounts


def root_outputs(pod: Pod) -> list[str]:
    """Output paths directly under ``/``: no folder to mount for them (a file cannot be pre-made)."""
    inputs = {p for p, _, _ in pod.files} | {p for p, _, _ in pod.unpack} | set(pod.mounts)
    shared = [m for m, _ in pod.shared_dirs]
    return [
        p
        for p in pod.paths
        if p not in inputs and not _covered(p, shared) and str(PurePosixPath(p).parent) == "/"
    ]


def run_argv(
    engine: str,
    pod: Pod,
    ctr: Container,
    mounts: Sequence[Mount],
    *,
    uid: int | None = None,
    gid: int | None = None,
) -> list[str]:
    """The ``docker run`` / ``podman run`` command line of one container of a pod (pure)."""
    argv = [engine, "run", "--rm", "--name", container_name(pod, ctr), "--network", "host"]
    if uid is not None and engine == "docker":
        argv += ["--user", f"{uid}:{gid if gid is not None else uid}"]
    for mount in mounts:
        argv += ["--volume", f"{mount.host}:{mount.container}"]
    env = [
        ("ARGO_POD_NAME", pod.name),
        ("ARGO_CONTAINER_NAME", ctr.name),
        ("ARGO_NODE_NAME", pod.node_name),
        *ctr.env,
    ]
    for key, value in env:
        argv += ["--env", f"{key}={value}"]
    if ctr.working_dir:
        argv += ["--workdir", ctr.working_dir]
    if ctr.command:
        argv += ["--entrypoint", ctr.command[0]]
    argv.append(ctr.image)
    argv += [*ctr.command[1:], *ctr.args]
    return argv


def _engine_error(stderr: str) -> str | None:
    """The engine's own failure (image pull, bad mount, missing executable), not the container's."""
    for line in reversed(stderr.strip().splitlines()):
        if "Error response from daemon" in line or line.startswith(("Error:", "docker:", "podman:")):
            return line.strip()
    return None


class ContainerExecutor:
    """Runs each container of a pod with ``docker run`` or ``podman run``."""

    def __init__(self, engine: str, binary: str | None = None) -> None:
        found = binary or shutil.which(engine)
        if found is None:
            raise RuntimeMissing(
                f"{engine} not found on PATH (install it, or run without --runtime {engine})"
            )
        self.engine = engine
        self.binary = found

    def check(self, image: str, command: tuple[str, ...]) -> str | None:
        """Any image runs in a container; only an empty one is refused."""
        del command
        return None if image else "unsupported: a container without an image"

    def host_path(self, pod: Pod, path: str) -> Path:
        """Where ``path`` of ``pod`` lives on the host (bind-mounted into its containers)."""
        return host_path(pod, path)

    def substitutions(self) -> dict[str, str]:
        """Nothing stands in for an image: each runs as itself."""
        return {}

    def _stage(self, pod: Pod) -> list[Mount]:
        for path, content, mode in pod.files:
            target = host_path(pod, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            if mode is not None:
                target.chmod(mode)
        for path, archive, sub_path in pod.unpack:
            unpack(archive, host_path(pod, path), sub_path)
        mounts = pod_mounts(pod)
        for mount in mounts:
            if not mount.host.exists():
                mount.host.mkdir(parents=True, exist_ok=True)
        return mounts

    def _run_one(
        self, pod: Pod, ctr: Container, mounts: Sequence[Mount], cancel: threading.Event
    ) -> PodResult:
        uid = os.getuid() if hasattr(os, "getuid") and os.getuid() != 0 else None
        gid = os.getgid() if uid is not None else None
        argv = run_argv(self.engine, pod, ctr, mounts, uid=uid, gid=gid)
        argv[0] = self.binary
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return PodResult(None, message=f"failed to start {self.engine}: {exc.strerror or exc}")
        result = wait_piped(proc, pod.deadline, cancel)
        if result.message and not result.message.startswith("unsupported:"):
            self._remove(pod, ctr)  # killing the client does not stop the container
            return result
        if result.exit_code is None or result.exit_code in (125, 126, 127):
            problem = _engine_error(result.stderr)
            if problem is not None:
                return PodResult(None, result.stdout, result.stderr, f"{self.engine}: {problem}")
            code = result.exit_code if result.exit_code is not None else 127
            return PodResult(code, result.stdout, result.stderr)
        return result

    def _remove(self, pod: Pod, ctr: Container) -> None:
        try:
            proc = subprocess.Popen(
                [self.binary, "rm", "--force", container_name(pod, ctr)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            if isinstance(exc, subprocess.TimeoutExpired):
                terminate(proc)

    def run(self, pod: Pod, cancel: threading.Event) -> PodResult:
        """Stage the pod's files, run its init containers in order, then main."""
        if pod.containers or pod.sidecars:
            what = "containerSet" if pod.containers else "sidecars"
            return PodResult(
                None, message=f"unsupported: {what} with --runtime {self.engine} (not implemented yet)"
            )
        at_root = root_outputs(pod)
        if at_root:
            return PodResult(
                None,
                message=f"unsupported: output path {at_root[0]} is at the root of the filesystem "
                f"(--runtime {self.engine} mounts an output's parent folder)",
            )
        mounts = self._stage(pod)
        done: list[ContainerResult] = []
        for init in pod.init_containers:
            res = self._run_one(pod, init, mounts, cancel)
            done.append(ContainerResult(init.name, res.exit_code, res.message))
            if res.message or res.exit_code != 0:
                message = res.message or f"{init.name}: Error (exit code {res.exit_code})"
                return dataclasses.replace(res, message=message, containers=tuple(done))
        result = self._run_one(pod, pod.main, mounts, cancel)
        return dataclasses.replace(result, containers=(*done, *result.containers))


def make_executor(
    runtime: str, *, strict_images: bool = False, allow_host_writes: bool = False
) -> Executor | None:
    """The executor of a ``--runtime`` (None for host processes with every default).

    ``auto`` (the command line's default): the sandbox where bubblewrap can make one here, else
    host processes.
    ``strict_images``: refuse host stand-ins whose version is not the image tag's.
    ``allow_host_writes``: host processes may write outside their pod's folders (no Landlock).
    """
    host = (
        HostExecutor(strict_images=strict_images, allow_host_writes=allow_host_writes)
        if strict_images or allow_host_writes
        else None
    )
    if runtime == "host":
        return host
    if runtime in ("sandbox", "auto"):
        from wfsync.engine.sandbox import SandboxExecutor, SandboxMissing

        try:
            return SandboxExecutor(strict_images=strict_images)
        except SandboxMissing:
            if runtime == "auto":
                return host
            raise
    if runtime not in RUNTIMES:
        from wfsync.errors import UsageError

        raise UsageError(f"--runtime {runtime} is not available (choose from: {', '.join(RUNTIMES)})")
    return ContainerExecutor(runtime)


def host_writes_note(abi: int, allow_host_writes: bool, *, quiet: bool = False) -> str:
    """What stops a host-process pod from writing outside its folders ('' when ``quiet`` and refused)."""
    if allow_host_writes:
        return "host runtime: --allow-host-writes: pods may write anywhere on the host this user can"
    if abi <= 0:
        return (
            "host runtime: writes outside a pod's folders are NOT prevented (no Landlock in this "
            "kernel): a pod may change any file this user can"
        )
    return "" if quiet else f"host runtime: writes outside a pod's folders are refused (Landlock ABI {abi})"


def isolation_notes(runtime: str, executor: Executor | None, *, allow_host_writes: bool = False) -> list[str]:
    """What isolation pods lack in this run.

    ``auto`` that fell back to host processes says what they lack; host processes (``auto`` or
    chosen) say whether writes outside a pod's folders are refused, permitted
    (``--allow-host-writes``) or not prevented (no Landlock here); a sandbox says which of its
    protections this machine does not allow (a writable layer, limits).
    """
    from wfsync.engine.sandbox import SandboxExecutor

    if executor is None or isinstance(executor, HostExecutor) and not isinstance(executor, SandboxExecutor):
        notes = []
        if runtime == "auto":
            notes.append(f"runtime auto: no sandbox here (bwrap missing or not allowed): {HOST_ISOLATION}")
        abi = executor.landlock_abi if isinstance(executor, HostExecutor) else landlock.abi_version()
        writes = host_writes_note(abi, allow_host_writes, quiet=runtime != "auto")
        return [*notes, writes] if writes else notes
    if not isinstance(executor, SandboxExecutor):
        return []
    notes = []
    if not executor.layered:
        notes.append(
            "sandbox: host folders are read-only in pods (no writable layer of their own here: "
            "needs root and overlayfs), where a container could write"
        )
    enforced = executor.cgroups.enforced if executor.cgroups is not None else frozenset()
    missing = [
        what
        for what, controller in (("memory", "memory"), ("cpu", "cpu"), ("process-count", "pids"))
        if controller not in enforced
    ]
    if missing:
        notes.append(
            f"sandbox: {', '.join(missing)} limits are not enforced here (no cgroup wfsync may make)"
        )
    return notes
