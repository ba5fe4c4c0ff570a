"""Input artifacts put in place in a pod's folders, as Argo's executor loads them."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from wfsync import safepath


def unpack(archive: Path, dest: Path, sub_path: str = "") -> None:
    """Load a stored artifact at ``dest`` as Argo's executor does (a lone archive entry becomes ``dest``).

    A folder (stored with ``archive: none``) is copied; ``sub_path`` picks a path inside the artifact.
    ``dest`` must lie inside a run directory (:mod:`wfsync.safepath`), so an artifact never lands,
    and nothing is replaced, outside the pod's folders.
    """
    safepath.in_run_directory(dest, what="input artifact")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if archive.is_dir():
        source = safepath.within(archive, sub_path, what="subPath") if sub_path else archive
        if source.is_dir():
            shutil.copytree(source, dest, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copyfile(source, dest)
        return
    if not tarfile.is_tarfile(archive):
        shutil.copyfile(archive, dest)
        return
    if sub_path:
        staging_dest = dest.parent / f".{dest.name}.whole"
        unpack(archive, staging_dest)
        picked = safepath.within(staging_dest, sub_path, what="subPath")
        picked.rename(dest)
        safepath.remove(staging_dest, what="input artifact")
        return
    staging = dest.parent / f".{dest.name}.unpack"
    if staging.exists() or staging.is_symlink():
        safepath.remove(staging, what="input artifact")
    staging.mkdir(parents=True)
    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(staging, filter="data")
    entries = list(staging.iterdir())
    if dest.exists() or dest.is_symlink():
        safepath.remove(dest, what="input artifact")
    if len(entries) == 1:
        entries[0].rename(dest)
        staging.rmdir()
    else:
        staging.rename(dest)
