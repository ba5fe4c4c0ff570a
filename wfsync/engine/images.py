"""Which host tool, at which version, stands in for an image: found once a run, said honestly.

An image such as ``python:3.9`` runs here as a host program. Where an exact stand-in exists it
is used: ``uv python find 3.9`` (uv's own or a system interpreter, never a download), or
pyenv's 3.9; otherwise the interpreter wfsync runs on, and the node's message says so
("python:3.9 ran as host Python 3.11.7"). Every stand-in has a label naming the tool and its
version; ``--strict-images`` refuses an image whose tag names a version the stand-in does not
have (:func:`differs`).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

_VERSION = re.compile(r"(\d+(?:\.\d+)+)")
_TAG_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")
_PROBE_TIMEOUT = 10
_PY_VERSION = "import platform; print(platform.python_version())"


@dataclasses.dataclass(frozen=True)
class Tool:
    """A host program standing in for an image's: where it is, what it is called, its version."""

    path: str
    label: str
    """``host Python 3.11.7``, ``uv Python 3.9.18``, ``host BusyBox 1.35.0``, ``host sh``."""
    version: str | None = None
    exact: bool = False
    """A stand-in that matches by construction (the argosay shim): never refused."""


def tag_version(image: str) -> str | None:
    """The version an image's tag names (``python:3.9-slim`` -> ``3.9``); None for none or ``latest``."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon <= slash:
        return None
    match = _TAG_VERSION.match(name[colon + 1 :])
    return match.group(1) if match else None


def matches(tag: str, version: str) -> bool:
    """Whether a tool at ``version`` is what a tag ``tag`` names (``3.9`` matches ``3.9.18``)."""
    want, have = tag.split("."), version.split(".")
    return have[: len(want)] == want


def differs(image: str, tool: Tool) -> bool:
    """Whether the stand-in is not the version the image's tag names (what ``--strict-images`` refuses)."""
    wanted = tag_version(image)
    if wanted is None or tool.exact:
        return False
    return tool.version is None or not matches(wanted, tool.version)


def _output(argv: list[str]) -> str:
    """The first line a probe prints (stdout, else stderr); empty when it fails."""
    env = {**os.environ, "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}  # never the network
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False, env=env
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    if done.returncode != 0:
        return ""
    lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return lines[0].strip() if lines else ""


class StandIns:
    """The stand-ins of one run, each program probed once (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pythons: dict[str | None, Tool] = {}
        self._tools: dict[str, Tool] = {}

    def python(self, wanted: str | None) -> Tool:
        """The interpreter for an image asking Python ``wanted`` (``3.9``; None: any)."""
        with self._lock:
            if wanted in self._pythons:
                return self._pythons[wanted]
        tool = self._find_python(wanted)
        with self._lock:
            return self._pythons.setdefault(wanted, tool)

    def _find_python(self, wanted: str | None) -> Tool:
        host = Tool(sys.executable, f"host Python {platform.python_version()}", platform.python_version())
        if wanted is None or matches(wanted, host.version or ""):
            return host
        uv = shutil.which("uv")
        if uv is not None:
            path = _output([uv, "python", "find", "--no-python-downloads", wanted])
            found = self._interpreter(path, "uv", wanted)
            if found is not None:
                return found
        pyenv = shutil.which("pyenv")
        if pyenv is not None:
            prefix = _output([pyenv, "prefix", wanted])
            found = self._interpreter(
                str(Path(prefix) / "bin" / "python3") if prefix else "", "pyenv", wanted
            )
            if found is not None:
                return found
        return host

    @staticmethod
    def _interpreter(path: str, how: str, wanted: str) -> Tool | None:
        """The interpreter at ``path`` when it runs and is version ``wanted``."""
        if not path or not Path(path).is_file():
            return None
        version = _output([path, "-c", _PY_VERSION])
        if not version or not matches(wanted, version):
            return None
        return Tool(path, f"{how} Python {version}", version)

    def tool(self, program: str, path: str) -> Tool:
        """A host program (``busybox``, ``node``, ``go``, ``sh``) with the version it reports."""
        with self._lock:
            if path in self._tools:
                return self._tools[path]
        version = None
        name = Path(path).name
        if name in ("busybox", "node", "go", "bash", "gofmt"):
            flag = {"busybox": "--help", "go": "version"}.get(name, "--version")
            match = _VERSION.search(_output([path, flag]))
            version = match.group(1) if match else None
        label = {"busybox": "BusyBox", "node": "node", "go": "go"}.get(name, program)
        tool = Tool(path, f"host {label} {version}" if version else f"host {label}", version)
        with self._lock:
            return self._tools.setdefault(path, tool)
