"""What the scheduler asks of a pod runner: run one pod, give back exit code, stdout and files.

The scheduler builds a :class:`Pod` from a processed container or script template; an
:class:`Executor` runs it (host processes today, containers later) in the pod's own ``root``
folder, where every declared path of the pod lives, and returns a :class:`PodResult`.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Protocol

from wfsync.errors import ExitCode, WfsyncError

RESULT_LIMIT = 256 * 1024
"""Argo keeps only the last 256 kB of stdout as ``outputs.result``."""


class Unsupported(WfsyncError):
    """Something the local engine cannot run faithfully; the message starts with ``unsupported:``."""

    exit_code = ExitCode.INCOMPLETE

    def __init__(self, message: str) -> None:
        text = message if message.startswith("unsupported:") else f"unsupported: {message}"
        super().__init__(text)


@dataclasses.dataclass(frozen=True)
class Container:
    """One container of a pod as the template declares it (after substitution)."""

    name: str
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    working_dir: str = ""
    dependencies: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Pod:
    """A pod to run: its main container, declared paths, and where its files live on the host.

    ``files`` are written into the pod before it starts (declared path -> content);
    ``unpack`` are archives to extract at declared paths; ``paths`` are all declared
    in-container paths (inputs, outputs, volume mounts) the executor must map into ``root``;
    ``mounts`` are the volume mount folders, which exist when the pod starts.
    ``containers`` is a containerSet's graph (run instead of ``main`` alone; ``main`` is then its
    container named ``main``, whose stdout is the result); ``init_containers`` run one after the
    other before it; ``sidecars`` start with it and are killed once it ends.
    """

    name: str
    node_name: str
    main: Container
    root: Path
    paths: tuple[str, ...] = ()
    files: tuple[tuple[str, bytes, int | None], ...] = ()
    unpack: tuple[tuple[str, Path, str], ...] = ()
    deadline: float | None = None
    mounts: tuple[str, ...] = ()
    shared_dirs: tuple[tuple[str, Path], ...] = ()
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    sidecars: tuple[Container, ...] = ()


@dataclasses.dataclass(frozen=True)
class ContainerResult:
    """How one container of a pod ended (``exit_code`` None when it never ran)."""

    name: str
    exit_code: int | None
    message: str = ""


@dataclasses.dataclass(frozen=True)
class PodResult:
    """How a pod ended: exit code (None when it never started), stdout, stderr and a message."""

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    message: str = ""
    deadline_exceeded: bool = False
    containers: tuple[ContainerResult, ...] = ()

    @property
    def result(self) -> str:
        """``outputs.result``: stdout, one trailing newline removed, last 256 kB."""
        text = self.stdout[:-1] if self.stdout.endswith("\n") else self.stdout
        return text[-RESULT_LIMIT:]


class Executor(Protocol):
    """Runs pods; implementations must be safe to call from several threads at once."""

    def check(self, image: str, command: tuple[str, ...]) -> str | None:
        """Why this image/command cannot run here (an ``unsupported: ...`` reason), or None."""

    def host_path(self, pod: Pod, path: str) -> Path:
        """Where the in-container ``path`` of ``pod`` lives on the host."""

    def run(self, pod: Pod, cancel: threading.Event) -> PodResult:
        """Run the pod's main container to completion, or until ``cancel`` is set."""

    def substitutions(self) -> dict[str, str]:
        """Images this executor replaced by host tools so far (image -> what ran instead)."""
