"""The containment rule: a path wfsync derives from input stays inside the root it belongs to.

wfsync trusts the repository it runs in, not what it reads (templates, workflows, converted
pipelines, artifacts, anything a pod writes). Every file path built from such input goes through
this module: Kubernetes names before they name store files (:func:`check_namespace`,
:func:`check_name`), relative paths under a root (:func:`within`), in-container paths of a pod
(:func:`container_path`), and deletions (:func:`remove`), which only ever happen inside the run
directories wfsync registered (:func:`deletable`). A violation is a :class:`PathEscapeError`,
an input error (exit code 2) naming the input, and the file and line when they are known.

Pure standard library: every layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from wfsync.errors import InputError
from wfsync.model import values

MAX_NAME_BYTES = 255
"""Longest file name (one path component) Linux and macOS file systems take (``NAME_MAX``)."""
MAX_PATH_BYTES = 4096
"""Longest path the kernel takes (``PATH_MAX``)."""

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class PathEscapeError(InputError):
    """A path derived from input that would leave its root, or that cannot be a path at all."""


# -- Kubernetes names ---------------------------------------------------------------------------


def is_dns_label(text: str) -> bool:
    """Whether ``text`` is an RFC 1123 label: a-z, 0-9 and '-', alphanumeric at both ends, at most 63.

    What Kubernetes asks of a namespace; wfsync asks it of a library id and a kind cluster's name too.
    """
    return len(text) <= DNS_LABEL_MAX and _DNS_LABEL.match(text) is not None


def namespace_problem(namespace: str) -> str | None:
    """Why ``namespace`` is not a Kubernetes namespace (an RFC 1123 label), or None."""
    if len(namespace) > DNS_LABEL_MAX:
        return f"must be no more than {DNS_LABEL_MAX} characters (currently {len(namespace)})"
    if not _DNS_LABEL.match(namespace):
        return "must be a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending alphanumeric)"
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a Kubernetes object name (an RFC 1123 subdomain), or None."""
    if len(name) > DNS_SUBDOMAIN_MAX:
        return f"must be no more than {DNS_SUBDOMAIN_MAX} characters (currently {len(name)})"
    if not _DNS_SUBDOMAIN.match(name):
        return (
            "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', starting and ending alphanumeric)"
        )
    return None


def check_namespace(
    namespace: str,
    *,
    what: str = "metadata.namespace",
    path: Path | str | None = None,
    line: int | None = None,
) -> str:
    """``namespace``, or :class:`PathEscapeError` when it is not a valid namespace."""
    problem = namespace_problem(namespace)
    if problem is not None:
        raise PathEscapeError(f"{what} {_shown(namespace)} {problem}", path=path, line=line)
    return namespace


def check_name(
    name: str, *, what: str = "metadata.name", path: Path | str | None = None, line: int | None = None
) -> str:
    """``name``, or :class:`PathEscapeError` when it is not a valid object name."""
    problem = name_problem(name)
    if problem is not None:
        raise PathEscapeError(f"{what} {_shown(name)} {problem}", path=path, line=line)
    return name


# -- paths under a root -------------------------------------------------------------------------


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a path at all (NUL, over-long name or path), or None."""
    if "\x00" in text:
        return "contains a NUL character"
    encoded = text.encode("utf-8", "surrogateescape")
    if len(encoded) > MAX_PATH_BYTES:
        return f"is {len(encoded)} bytes long, over the {MAX_PATH_BYTES} byte path limit"
    for part in text.split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            return f"has a name over the {MAX_NAME_BYTES} byte limit"
    return None


def relative_problem(text: str) -> str | None:
    """Why ``text`` is not a relative path that stays below where it starts, or None."""
    problem = text_problem(text)
    if problem is not None:
        return problem
    if text.startswith(("/", "\\")) or PurePosixPath(text).is_absolute() or re.match(r"^[A-Za-z]:", text):
        return "is absolute where a relative path is required"
    if _climbs(text.replace("\\", "/")):
        return "leaves its folder ('..')"
    return None


def within(
    root: Path,
    relative: str,
    *,
    what: str,
    path: Path | str | None = None,
    line: int | None = None,
) -> Path:
    """``root/relative`` if it stays inside ``root`` once symlinks are followed, else an error.

    ``what`` names the input in the message (``"uses: ./x"``, ``"artifact key"``). The result is
    the lexical path (``root`` as given, ``..`` removed), so messages keep the user's spelling.
    """
    problem = relative_problem(relative)
    if problem is not None:
        problem = problem.replace("its folder", str(root))
        raise PathEscapeError(f"{what}: {_shown(relative)} {problem}", path=path, line=line)
    candidate = Path(os.path.normpath(root / relative)) if relative not in ("", ".") else root
    escape = symlink_escape(root, candidate)
    if escape is not None:
        raise PathEscapeError(
            f"{what}: {_shown(relative)} leaves {root} through a symlink (to {escape})", path=path, line=line
        )
    return candidate


def symlink_escape(root: Path, candidate: Path) -> Path | None:
    """Where ``candidate`` really is when a symlink takes it out of ``root`` (None: it stays inside)."""
    real_root = root.resolve()
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError):  # a symlink loop: treat as leaving, it cannot be used
        return candidate
    return None if real == real_root or real.is_relative_to(real_root) else real


def is_within(root: Path, candidate: Path) -> bool:
    """Whether ``candidate`` is ``root`` or below it, lexically and with symlinks followed."""
    lexical = Path(os.path.normpath(candidate.absolute()))
    base = Path(os.path.normpath(root.absolute()))
    return (lexical == base or lexical.is_relative_to(base)) and symlink_escape(root, candidate) is None


# -- in-container paths -------------------------------------------------------------------------


def container_path(text: str, *, what: str, path: Path | str | None = None, line: int | None = None) -> str:
    """An in-container path, normalised (``/tmp/a/../b`` -> ``/tmp/b``).

    A path whose ``..`` climbs above the container's ``/`` would leave the pod's folder on the
    host, so it is refused, as are NUL and over-long paths. A relative path stays relative.
    """
    problem = text_problem(text)
    if problem is None and _climbs(text.lstrip("/")):
        problem = "leaves the container's root ('..' above '/')"
    elif problem is None and (not text or posixpath.normpath(text) in ("/", "//", ".")):
        problem = "is the container's root itself"
    if problem is not None:
        raise PathEscapeError(f"{what}: {_shown(text)} {problem}", path=path, line=line)
    normal = posixpath.normpath(text)
    if text.startswith("//"):  # POSIX keeps a leading '//'; a container path does not need it
        normal = "/" + normal.lstrip("/")
    return normal


def declared_paths(body: Mapping[str, object]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every in-container path an Argo document declares, with its JSON path.

    Input and output artifact paths, output parameter ``valueFrom.path`` and volume
    ``mountPath``s of every template (containers, scripts, container sets, init containers,
    sidecars): the paths the local engine maps into a pod's folder on the host.
    """
    spec = body.get("spec")
    base: tuple[str | int, ...] = ("spec",)
    if isinstance(spec, Mapping) and isinstance(spec.get("workflowSpec"), Mapping):  # CronWorkflow
        spec, base = spec["workflowSpec"], ("spec", "workflowSpec")
    templates = spec.get("templates") if isinstance(spec, Mapping) else None
    if not isinstance(templates, list):
        return
    for index, tmpl in enumerate(templates):
        if isinstance(tmpl, Mapping):
            yield from _template_paths(tmpl, (*base, "templates", index))


def _template_paths(
    tmpl: Mapping[str, object], at: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for section in ("inputs", "outputs"):
        for i, art in enumerate(values.items(values.at(tmpl, section, "artifacts"))):
            if isinstance(path := art.get("path"), str):
                yield (*at, section, "artifacts", i, "path"), path
    for i, param in enumerate(values.items(values.at(tmpl, "outputs", "parameters"))):
        value_from = param.get("valueFrom")
        if isinstance(value_from, Mapping) and isinstance(path := value_from.get("path"), str):
            yield (*at, "outputs", "parameters", i, "valueFrom", "path"), path
    holders: list[tuple[tuple[str | int, ...], object]] = [
        ((*at, kind), tmpl.get(kind)) for kind in ("container", "script", "containerSet")
    ]
    for group in ("initContainers", "sidecars"):
        holders.extend(((*at, group, i), c) for i, c in enumerate(values.items(tmpl.get(group))))
    holders.extend(
        ((*at, "containerSet", "containers", i), c)
        for i, c in enumerate(values.items(values.at(tmpl, "containerSet", "containers")))
    )
    for where, holder in holders:
        if isinstance(holder, Mapping):
            for i, mount in enumerate(values.items(holder.get("volumeMounts"))):
                if isinstance(mount_path := mount.get("mountPath"), str):
                    yield (*where, "volumeMounts", i, "mountPath"), mount_path


def has_dotdot(text: str) -> bool:
    """Whether a path has a ``..`` segment (lint flags every one: it may leave its folder)."""
    return ".." in text.replace("\\", "/").split("/")


def _climbs(text: str) -> bool:
    """Whether the relative path ``text`` goes above where it starts at any point."""
    depth = 0
    for part in text.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


# -- deletion -------------------------------------------------------------------------------------

_DELETABLE: dict[Path, int] = {}
_LOCK = threading.Lock()


@contextlib.contextmanager
def deletable(root: Path) -> Iterator[Path]:
    """Register ``root`` (a run directory wfsync made) as a place :func:`remove` may delete in."""
    real = root.resolve()
    with _LOCK:
        _DELETABLE[real] = _DELETABLE.get(real, 0) + 1
    try:
        yield root
    finally:
        with _LOCK:
            _DELETABLE[real] -= 1
            if not _DELETABLE[real]:
                del _DELETABLE[real]


def deletion_root(target: Path) -> Path | None:
    """The registered run directory strictly containing ``target`` (its last part not followed)."""
    try:
        real = Path(os.path.normpath(target.parent.resolve() / target.name))  # a last '..' too
    except (OSError, RuntimeError):
        return None
    with _LOCK:
        roots = list(_DELETABLE)
    return next((r for r in roots if real != r and real.is_relative_to(r)), None)


def in_run_directory(target: Path, *, what: str) -> Path:
    """``target`` when it lies inside a registered run directory (symlinks followed), else an error.

    Where wfsync writes or extracts on behalf of a workflow (artifacts into a pod's folder).
    """
    try:
        real = target.resolve()
    except (OSError, RuntimeError):
        real = None
    with _LOCK:
        roots = list(_DELETABLE)
    if real is None or not any(real != r and real.is_relative_to(r) for r in roots):
        raise PathEscapeError(f"{what}: {target} is not inside a wfsync run directory")
    return target


def remove(target: Path, *, what: str = "path") -> None:
    """Delete a file, folder or symlink (the link, never what it points to) inside a run directory.

    Anything else is refused with :class:`PathEscapeError`: wfsync deletes only in the run
    directories it made and registered with :func:`deletable`.
    """
    if deletion_root(target) is None:
        raise PathEscapeError(f"{what}: refusing to delete {target}: it is not inside a wfsync run directory")
    if target.is_symlink() or not target.is_dir():
        target.unlink(missing_ok=True)
    else:
        shutil.rmtree(target)


def _shown(text: str) -> str:
    """``text`` for a message: quoted, control characters escaped, at most 200 characters."""
    shown = repr(text)
    return shown if len(shown) <= 200 else shown[:197] + "..."
