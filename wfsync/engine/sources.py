"""Input artifacts from ``http`` and ``git`` locations, loaded as Argo's executor loads them.

Argo's init container downloads an ``http.url`` (then unpacks it when it is a gzipped tarball,
unless ``archive: none``) and clones a ``git.repo`` into the artifact's path
(``workflow/artifacts/http``, ``workflow/artifacts/git``; ``executor.go`` ``loadArtifacts``).
Here the location is fetched into a folder of the run, and the scheduler places it in the pod.
Only this machine is reachable unless the network is allowed (:mod:`wfsync.engine.network`).
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from wfsync import safepath
from wfsync.engine import network
from wfsync.engine.executor import Unsupported
from wfsync.errors import WfsyncError
from wfsync.model.values import listed, mapping

DOWNLOAD_TIMEOUT = 300.0


class LoadError(WfsyncError):
    """An input artifact that could not be loaded (its node ends in Error)."""


class NotFound(LoadError):
    """The location answered that there is nothing there (an ``optional`` artifact is then skipped)."""


@dataclasses.dataclass(frozen=True)
class Fetched:
    """A loaded artifact on the host: a folder, a tarball to unpack, or a plain file."""

    path: Path
    unpack: bool


def is_remote(art: Mapping[str, object]) -> bool:
    """Whether the artifact names an ``http`` or ``git`` location."""
    return isinstance(art.get("http"), Mapping) or isinstance(art.get("git"), Mapping)


def fetch(art: Mapping[str, object], folder: Path, *, allow_network: bool = False) -> Fetched | None:
    """Load ``art`` under ``folder``; :class:`Unsupported` off this machine, :class:`LoadError` on failure.

    None for an ``optional`` artifact whose location holds nothing (Argo skips it).
    """
    try:
        return _fetch(art, folder, allow_network=allow_network)
    except NotFound:
        if art.get("optional"):
            return None
        raise


def _fetch(art: Mapping[str, object], folder: Path, *, allow_network: bool) -> Fetched:
    name = str(art.get("name") or "artifact")
    folder.mkdir(parents=True, exist_ok=True)
    target = safepath.within(folder, name, what="input artifact name")
    if target.exists() or target.is_symlink():
        safepath.remove(target, what=f"input artifact {name!r}")
    git = art.get("git")
    if isinstance(git, Mapping):
        clone(git, target, name=name, allow_network=allow_network)
        return Fetched(target, unpack=True)
    download(mapping(art.get("http")), target, name=name, allow_network=allow_network)
    archive = art.get("archive")
    plain = isinstance(archive, Mapping) and "none" in archive
    return Fetched(target, unpack=not plain and is_gzipped_tarball(target))


def is_gzipped_tarball(path: Path) -> bool:
    """Argo's ``isTarball``: a gzip stream holding a tar archive."""
    try:
        with gzip.open(path, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            return tar.next() is not None
    except (OSError, tarfile.TarError, EOFError):
        return False


def download(spec: Mapping[str, object], target: Path, *, name: str, allow_network: bool) -> None:
    """GET ``spec.url`` (with its plain ``headers``) into ``target``; non-2xx is a load failure."""
    url = str(spec.get("url") or "")
    reason = network.check(f"input artifact {name!r} (http)", url, allow_network=allow_network)
    if reason is not None:
        raise Unsupported(reason)
    if spec.get("auth"):
        raise Unsupported(
            f"input artifact {name!r}: http auth (basic, oauth2, client cert) is not available locally"
        )
    request = urllib.request.Request(url)
    if request.type not in ("http", "https"):
        raise LoadError(f"failed to load artifact {name!r}: unsupported protocol scheme {request.type!r}")
    for header in listed(spec.get("headers")):
        if isinstance(header, Mapping) and header.get("name"):
            request.add_header(str(header["name"]), str(header.get("value") or ""))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({} if network.is_local_url(url) else None)
    )
    try:
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as exc:
        found = NotFound if exc.code == 404 else LoadError
        raise found(f"failed to load artifact {name!r}: GET {url}: {exc.code} {exc.reason}") from None
    except (OSError, ValueError) as exc:
        detail = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise LoadError(f"failed to load artifact {name!r}: GET {url}: {detail}") from None


def _git(args: list[str], cwd: Path | None, name: str) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise Unsupported(f"input artifact {name!r}: git is not installed on this host") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise LoadError(
            f"failed to load artifact {name!r}: git {args[0]}: {detail[-1] if detail else done.returncode}"
        )


def clone(spec: Mapping[str, object], target: Path, *, name: str, allow_network: bool) -> None:
    """``git clone`` ``repo`` into ``target``: depth, singleBranch/branch, fetch refspecs, revision."""
    repo = str(spec.get("repo") or "")
    if not repo:
        raise LoadError(f"failed to load artifact {name!r}: git.repo is empty")
    reason = network.check(f"input artifact {name!r} (git)", repo, allow_network=allow_network)
    if reason is not None:
        raise Unsupported(reason)
    for secret in ("usernameSecret", "passwordSecret", "sshPrivateKeySecret"):
        if spec.get(secret):
            raise Unsupported(f"input artifact {name!r}: git {secret} credentials are not available locally")
    args = ["clone", "--quiet"]
    depth = spec.get("depth")
    if depth:
        args += ["--depth", str(int(depth) if isinstance(depth, int | float) else int(str(depth)))]
        if "://" not in repo and Path(repo).exists():
            repo = Path(repo).resolve().as_uri()  # git ignores --depth for plain-path clones
    if spec.get("singleBranch"):
        args.append("--single-branch")
        if spec.get("branch"):
            args += ["--branch", str(spec["branch"])]
    if not spec.get("disableSubmodules"):
        args.append("--recurse-submodules")
    _git([*args, "--", repo, str(target)], None, name)
    for refspec in listed(spec.get("fetch")):
        _git(["fetch", "--quiet", "origin", str(refspec)], target, name)
    revision = str(spec.get("revision") or "")
    if revision:
        _git(["checkout", "--quiet", revision, "--"], target, name)
        if not spec.get("disableSubmodules"):
            _git(["submodule", "update", "--init", "--recursive", "--quiet"], target, name)
