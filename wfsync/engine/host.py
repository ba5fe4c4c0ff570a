"""Pods as host processes: well-known images map to host tools, declared paths to a pod root.

Each pod gets a folder; every in-container path it declares (artifact and parameter paths,
volume mounts, the script, ``/tmp``, the working directory) is mapped under it, and those paths
are rewritten in the command, arguments, environment and script source. Paths the pod does not
declare are the host's. Images other than the well-known ones, and commands the host lacks, are
refused with an ``unsupported: ...`` reason before anything runs.

Each container is its own process group; :mod:`wfsync.engine.lifetime` ends it, and whatever it
left behind, when it exits, on its deadline and when the run stops.

Where the kernel has Landlock (:mod:`wfsync.engine.landlock`), each container's process may
write only beneath the pod's folders (its root and shared volumes): a write anywhere else on the
host fails with "Permission denied" in the pod, unless ``--allow-host-writes``. Elsewhere (macOS,
older kernels) nothing stops it, and the run's notes say so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from wfsync.engine import landlock, lifetime
from wfsync.engine.containerset import run_set
from wfsync.engine.executor import Container, ContainerResult, Pod, PodResult
from wfsync.engine.images import StandIns, Tool, differs, tag_version
from wfsync.engine.podprocs import stop_all, wait_piped
from wfsync.engine.unpack import unpack

SCRIPT_PATH = "/argo/staging/script"
LOG_DIR = ".wfsync-logs"
"""Where containers other than ``main`` write stdout/stderr, in the pod root."""
ARGOSAY = Path(__file__).with_name("argosay.py")
SHIMS = Path(__file__).with_name("shims")
"""Stand-ins for the few tools well-known example images carry that hosts lack (``cowsay``)."""
BUSYBOX_SHIMS = SHIMS / "busybox"
"""Stand-ins for BusyBox applets as Alpine builds them that Debian's BusyBox lacks (``nc -k``),
first on the PATH of busybox and alpine images only."""
_BUSYBOX_IMAGES = ("busybox", "alpine")

_FAMILIES = {
    "busybox": "shell",
    "alpine": "shell",
    "debian": "shell",
    "ubuntu": "shell",
    "python": "python",
    "node": "node",
    "golang": "golang",
    "argoproj/argosay": "argosay",
    "alpine/git": "shell",  # a shell with git: the library's git-checkout runs there
}
_DEFAULT_COMMAND = {
    "shell": "sh",
    "python": "python3",
    "node": "node",
    "golang": "bash",
    "argosay": "argosay",
}
_SYSTEM = frozenset({"bin", "sbin", "usr", "lib", "lib64", "etc", "proc", "sys", "dev", "run", "var", "root"})
"""Top-level folders that stay the host's (mapping them would hide the host tools)."""
_FHS = ("tmp", "mnt", "root", "home", "opt", "srv", "var/tmp", "var/run", "argo/staging")
"""Top-level folders every image has, so a pod may create declared paths below them."""
_REFUSED = ("Permission denied", "Invalid cross-device link")
"""How a write Landlock refused shows in a pod's stderr (``EACCES``, ``EXDEV``)."""
_LANGUAGE = {"python": ("python", "python3"), "node": ("node", "nodejs"), "golang": ("go", "gofmt")}


def image_family(image: str) -> str | None:
    """Which host toolset stands in for ``image`` (None when it is not a well-known image)."""
    return _FAMILIES.get(image_name(image))


def is_busybox_image(image: str) -> bool:
    """Whether ``image`` is busybox or alpine, whose shell and applets are BusyBox's."""
    return image_name(image) in _BUSYBOX_IMAGES


def image_name(image: str) -> str:
    """The image's repository without registry, ``library/``, tag or digest (``alpine/git``)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts)


@functools.cache
def _busybox_shim(program: str) -> str | None:
    """The shim standing in for a BusyBox applet Debian's BusyBox lacks (None: the host's will do).

    Remembered: the shims ship with wfsync, and a pod starts with this lookup.
    """
    shim = BUSYBOX_SHIMS / program
    return str(shim) if shim.is_file() else None


class HostExecutor:
    """Runs each pod as a process group on this machine."""

    def __init__(self, *, strict_images: bool = False, allow_host_writes: bool = False) -> None:
        self._lock = threading.Lock()
        self._substituted: dict[str, dict[str, Tool]] = {}
        self._which: dict[str, str | None] = {}
        self.tools = StandIns()
        self.strict_images = strict_images
        """Refuse stand-ins whose version is not the one the image's tag names (``--strict-images``)."""
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        """Marks this executor's pod processes (:data:`lifetime.POD_MARKER`), to find them all."""
        self.allow_host_writes = allow_host_writes
        """Let pods write outside their folders (``--allow-host-writes``): no Landlock ruleset."""
        self.landlock_abi = landlock.abi_version()
        """The kernel's Landlock ABI, probed once for the run (0: none, writes cannot be confined)."""
        self.refused_writes = False
        """Whether a confined pod failed saying "Permission denied" (the run's summary says why)."""

    def close(self) -> None:
        """Kill every process any of this executor's pods left running (the run ends)."""
        lifetime.sweep(f"{self.token}:", prefix=True)

    def substitutions(self) -> dict[str, str]:
        """Images replaced by host tools so far (image -> the tools that ran it, with versions)."""
        with self._lock:
            return {
                image: ", ".join(t.label for t in tools.values())
                for image, tools in self._substituted.items()
            }

    def _find(self, program: str, image: str = "") -> str | None:
        if is_busybox_image(image) and (shim := _busybox_shim(program)) is not None:
            return shim
        if program not in self._which:
            self._which[program] = shutil.which(program) or shutil.which(program, path=str(SHIMS))
        return self._which[program]

    def _argv0(self, family: str, command: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        program = command[0] if command else _DEFAULT_COMMAND[family]
        return Path(program).name, command[1:] if command else ()

    def check(self, image: str, command: tuple[str, ...]) -> str | None:
        """An ``unsupported: ...`` reason when this image/command cannot run here."""
        family = image_family(image)
        if family is None:
            return (
                f"unsupported: image {image!r} has no host stand-in (well-known images only: "
                "busybox, alpine, alpine/git, debian, ubuntu, python, node, golang, argoproj/argosay)"
            )
        program, _ = self._argv0(family, command)
        if family == "argosay" and program == "argosay":
            return None
        for language, programs in _LANGUAGE.items():
            if program in programs and family != language:
                return f"unsupported: command {program!r} is not in image {image!r}"
        if program in ("python", "python3"):
            return None
        if self._find(program, image) is None:
            return f"unsupported: command {program!r} of image {image!r} is not available on this host"
        return None

    def resolve(self, image: str, command: tuple[str, ...], args: tuple[str, ...]) -> list[str]:
        """The host argv for a container's command and arguments."""
        tool = self.stand_in(image, command)
        _, rest = self._argv0(image_family(image) or "shell", command)
        if tool.exact:  # the argosay shim
            return [sys.executable, str(ARGOSAY), *rest, *args]
        return [tool.path, *rest, *args]

    def stand_in(self, image: str, command: tuple[str, ...]) -> Tool:
        """The host tool that runs this container's program, with its version (recorded for the summary)."""
        family = image_family(image) or "shell"
        program, _ = self._argv0(family, command)
        if family == "argosay" and program == "argosay":
            tool = Tool(sys.executable, "wfsync argosay shim", exact=True)
        elif program in ("python", "python3"):
            tool = self.tools.python(tag_version(image) if family == "python" else None)
        else:
            tool = self.tools.tool(program, self._find(program, image) or program)
        with self._lock:
            self._substituted.setdefault(image, {})[program] = tool
        return tool

    def _image_path(self, image: str) -> list[str]:
        """Folders first on a container's PATH: a python image's interpreter (its ``python``, ``pip``).

        So a shell script in ``python:3.9`` that runs ``python`` or ``pip`` gets the 3.9 stand-in;
        busybox and alpine images get the BusyBox applets Debian's BusyBox lacks (:data:`BUSYBOX_SHIMS`).
        """
        if is_busybox_image(image):
            return [str(BUSYBOX_SHIMS)]
        if image_family(image) != "python":
            return []
        tool = self.tools.python(tag_version(image))
        with self._lock:
            self._substituted.setdefault(image, {})["python"] = tool
        folder = str(Path(tool.path).parent)
        return [folder] if Path(folder, "python").exists() or Path(folder, "python3").exists() else []

    def _note_shims(self, pod: Pod, ctr: Container) -> None:
        """Record the BusyBox applet stand-ins a busybox/alpine container names (for the summary)."""
        if not is_busybox_image(ctr.image):
            return
        texts = [
            *ctr.command,
            *ctr.args,
            *(c.decode("utf-8", "replace") for p, c, _ in pod.files if p == SCRIPT_PATH),
        ]
        for shim in BUSYBOX_SHIMS.iterdir():
            if any(re.search(rf"(?<![\w.-]){re.escape(shim.name)}(?![\w.-])", t) for t in texts):
                with self._lock:
                    tools = self._substituted.setdefault(ctr.image, {})
                    tools[shim.name] = Tool(
                        str(shim), f"wfsync {shim.name} stand-in (Alpine BusyBox options)"
                    )

    def describe(self, pod: Pod) -> str:
        """What ran the pod's toolchain images when it is not the version their tag names.

        ``python:3.9 ran as host Python 3.11.7``, for its node's message: there the divergence
        matters to whoever reads the verdict. Shell images and exact stand-ins are listed in the
        run's summary only (a Succeeded node's message stays Argo's, empty).
        """
        said: list[str] = []
        for ctr in (*pod.init_containers, *(pod.containers or (pod.main,)), *pod.sidecars):
            if image_family(ctr.image) not in _LANGUAGE:
                continue
            tools = [self.stand_in(ctr.image, ctr.command)]
            if image_family(ctr.image) == "python":  # first on its PATH: see _image_path
                tools.append(self.tools.python(tag_version(ctr.image)))
            labels = [
                t.label
                for t in tools
                if differs(ctr.image, t)
                and t.label.lower().startswith(("host python", "host node", "host go"))
            ]
            text = f"{ctr.image} ran as {', '.join(dict.fromkeys(labels))}" if labels else ""
            if text and text not in said:
                said.append(text)
        return "; ".join(said)

    def strict_problem(self, image: str, command: tuple[str, ...]) -> str | None:
        """Why ``--strict-images`` refuses this stand-in (its version is not the tag's), or None."""
        if image_family(image) is None:
            return None
        tool = self.stand_in(image, command)
        if not differs(image, tool):
            return None
        return f"{image} would run as {tool.label}"

    def host_path(self, pod: Pod, path: str) -> Path:
        """Where an in-container path lives: a shared volume folder, else under the pod root."""
        for mount, folder in sorted(pod.shared_dirs, key=lambda m: -len(m[0])):
            if path == mount or path.startswith(mount.rstrip("/") + "/"):
                return folder / path[len(mount) :].lstrip("/")
        return pod.root / path.lstrip("/")

    contained = False
    """Whether every process of a pod dies with it by construction (a PID namespace per container):
    then no search of ``/proc`` for its leftovers when it ends."""

    rewrites = True
    """Whether in-container paths in commands, arguments, environment and scripts are rewritten to
    host paths (host processes); a sandbox binds them at their real paths instead."""

    def pod_tops(self, pod: Pod) -> set[str]:
        """The in-container folders that live in the pod root (or are shared volumes).

        The whole top-level folder of each declared path is mapped (``/mnt/out/part.json`` maps
        ``/mnt``), so a pod that creates ``/mnt/out`` itself never touches the host's ``/mnt``;
        system folders (``/usr``, ``/etc``, ``/proc``, ...) stay the host's.
        """
        declared = [*pod.paths, "/tmp", SCRIPT_PATH, *(m for m, _ in pod.shared_dirs)]
        every = (pod.main, *pod.containers, *pod.init_containers, *pod.sidecars)
        declared.extend(c.working_dir for c in every if c.working_dir.startswith("/"))
        paths = {m.rstrip("/") for m, _ in pod.shared_dirs if m.rstrip("/")}
        for path in declared:
            top = path.strip("/").split("/", 1)[0]
            if top and path.startswith("/") and top not in _SYSTEM:
                paths.add("/" + top)
        return paths

    def _mapper(self, pod: Pod) -> re.Pattern[str] | None:
        """A pattern for every in-container path that lives in the pod root (see :meth:`pod_tops`)."""
        paths = self.pod_tops(pod)
        if not paths:
            return None
        alternatives = "|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True))
        return re.compile(rf"(?<![\w.\-/])({alternatives})(?=$|[^\w.\-]|/)")

    def _map(self, pod: Pod, pattern: re.Pattern[str] | None, text: str) -> str:
        if pattern is None or not self.rewrites:
            return text
        return pattern.sub(lambda m: str(self.host_path(pod, m.group(1))), text)

    @property
    def confines_writes(self) -> bool:
        """Whether each pod's processes may write only beneath its folders (Landlock).

        Only pods that see the host's own filesystem (their paths rewritten into the pod root)
        need it: a sandbox keeps the host read-only by itself, and bwrap must mount, which a
        Landlock-restricted process may not.
        """
        return self.rewrites and not self.allow_host_writes and self.landlock_abi > 0

    def writable(self, pod: Pod) -> list[Path]:
        """The folders a confined pod may write beneath: its root and its shared volumes."""
        return [pod.root, *(folder for _, folder in pod.shared_dirs)]

    def wrap(self, pod: Pod, ctr: Container, argv: list[str], env: dict[str, str]) -> list[str]:
        """The argv that runs ``argv`` for this container (a sandbox puts itself in front)."""
        del pod, ctr, env
        return argv

    def spawning(self, pod: Pod, ctr: Container) -> contextlib.AbstractContextManager[None]:
        """Held while the container's process starts (a sandbox puts the thread in its cgroups)."""
        del pod, ctr
        return contextlib.nullcontext()

    def _stage(self, pod: Pod) -> re.Pattern[str] | None:
        """Create the pod's folders and files; the path mapping of its in-container paths."""
        pattern = self._mapper(pod)
        for folder in _FHS:
            if pattern is not None and pattern.search("/" + folder):
                (pod.root / folder).mkdir(parents=True, exist_ok=True)
        for mount in pod.mounts:
            self.host_path(pod, mount).mkdir(parents=True, exist_ok=True)
        for path, content, mode in pod.files:
            target = self.host_path(pod, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path == SCRIPT_PATH:
                content = self._map(pod, pattern, content.decode("utf-8")).encode("utf-8")
            target.write_bytes(content)
            if mode is not None:
                target.chmod(mode)
        for path, archive, sub_path in pod.unpack:
            unpack(archive, self.host_path(pod, path), sub_path)
        (pod.root / "root").mkdir(parents=True, exist_ok=True)
        return pattern

    def _start(
        self, pod: Pod, pattern: re.Pattern[str] | None, ctr: Container, *, to_files: bool = False
    ) -> subprocess.Popen[bytes] | PodResult:
        """Start one container as a process group (stdout/stderr piped, or to files in the pod)."""
        # map only what the container declares: the host program and shim paths that resolve()
        # puts in front may themselves live under a mapped folder (a checkout in /tmp, say)
        command = (*ctr.command[:1], *(self._map(pod, pattern, c) for c in ctr.command[1:]))
        args = tuple(self._map(pod, pattern, a) for a in ctr.args)
        argv = self.resolve(ctr.image, command, args)
        self._note_shims(pod, ctr)
        env = {
            "PATH": os.pathsep.join(
                [*self._image_path(ctr.image), str(SHIMS), os.environ.get("PATH", "/usr/bin:/bin")]
            ),
            "HOME": str(pod.root / "root"),
            "TMPDIR": str(self.host_path(pod, "/tmp")),
            "LANG": "C.UTF-8",
            "ARGO_POD_NAME": pod.name,
            "ARGO_CONTAINER_NAME": ctr.name,
            "ARGO_NODE_NAME": pod.node_name,
            "PYTHONUNBUFFERED": "1",
        }
        for key, value in ctr.env:
            env[key] = self._map(pod, pattern, value)
        env[lifetime.POD_MARKER] = lifetime.marker_env(self.token, pod.name, ctr.name)
        cwd = self.host_path(pod, ctr.working_dir) if ctr.working_dir else pod.root
        cwd.mkdir(parents=True, exist_ok=True)
        argv = self.wrap(pod, ctr, argv, env)
        out: Any = subprocess.PIPE
        err: Any = subprocess.PIPE
        if to_files:
            logs = pod.root / LOG_DIR
            logs.mkdir(parents=True, exist_ok=True)
            out = (logs / f"{ctr.name}.out").open("wb")
            err = (logs / f"{ctr.name}.err").open("wb")

        def popen() -> subprocess.Popen[bytes]:
            with self.spawning(pod, ctr):
                return subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )

        try:
            with self._confined(pod) as rules:
                return popen() if rules is None else landlock.spawn(rules, popen)
        except OSError as exc:
            return PodResult(None, message=f"failed to start {argv[0]}: {exc.strerror or exc}")
        finally:
            if to_files:
                out.close()
                err.close()

    def _confined(self, pod: Pod) -> contextlib.AbstractContextManager[landlock.Ruleset | None]:
        """The Landlock ruleset a container's process starts under (None: not confined)."""
        if not self.confines_writes:
            return contextlib.nullcontext()
        return landlock.ruleset(self.landlock_abi, self.writable(pod))

    def run(self, pod: Pod, cancel: threading.Event) -> PodResult:
        """Run the pod (:meth:`_run_pod`); note when a confined pod failed on "Permission denied"."""
        result = self._run_pod(pod, cancel)
        if (
            self.confines_writes
            and result.exit_code not in (0, None)
            and any(w in result.stderr for w in _REFUSED)
        ):
            self.refused_writes = True
        return result

    def _run_pod(self, pod: Pod, cancel: threading.Event) -> PodResult:
        """Stage the pod, run its init containers, then main (or the containerSet) with its sidecars."""
        pattern = self._stage(pod)
        done: list[ContainerResult] = []
        for init in pod.init_containers:
            proc = self._start(pod, pattern, init)
            if isinstance(proc, PodResult):
                return proc
            res = wait_piped(proc, pod.deadline, cancel, self._marker(pod, init))
            done.append(ContainerResult(init.name, res.exit_code, res.message))
            if res.message or res.exit_code != 0:
                message = res.message or f"{init.name}: Error (exit code {res.exit_code})"
                return dataclasses.replace(res, message=message, containers=tuple(done))
        sidecars: list[tuple[Container, subprocess.Popen[bytes]]] = []
        for sidecar in pod.sidecars:
            proc = self._start(pod, pattern, sidecar, to_files=True)
            if isinstance(proc, PodResult):
                stop_all(sidecars, self._leftovers(pod))
                return proc
            sidecars.append((sidecar, proc))
        if pod.containers:
            result = self._run_set(pod, pattern, cancel)
        else:
            main = self._start(pod, pattern, pod.main)
            marker = self._marker(pod, pod.main)
            result = main if isinstance(main, PodResult) else wait_piped(main, pod.deadline, cancel, marker)
        ended = stop_all(sidecars, self._leftovers(pod))
        message = result.message
        for name, code in ended:
            done.append(ContainerResult(name, code))
            if not message and code not in (0, 137, 143):
                message = f"{name}: Error (exit code {code})"
        return dataclasses.replace(result, message=message, containers=(*done, *result.containers))

    def _marker(self, pod: Pod, ctr: Container | None = None) -> str:
        """The marker of one container's processes, or (no container) the prefix of the pod's."""
        return lifetime.marker_env(self.token, pod.name, ctr.name if ctr is not None else "")

    def _leftovers(self, pod: Pod) -> str:
        """The marker prefix to sweep when the pod ends; empty when nothing can be left (contained)."""
        return "" if self.contained else self._marker(pod)

    def _run_set(self, pod: Pod, pattern: re.Pattern[str] | None, cancel: threading.Event) -> PodResult:
        """A containerSet (:mod:`.containerset`), each container's output to files in the pod."""

        def start(ctr: Container) -> subprocess.Popen[bytes] | PodResult:
            return self._start(pod, pattern, ctr, to_files=True)

        return run_set(pod, start, cancel, self._leftovers(pod), pod.root / LOG_DIR)
