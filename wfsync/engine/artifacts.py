"""The local artifact repository: outputs stored as ``.tgz`` under ``.wfsync/artifacts``.

It stands in for the default artifact repository, so stored artifacts are recorded as Argo
records them (``s3: {key: <wf>/<pod>/<name>.tgz}``) and key-only artifacts resolve here.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

from wfsync import safepath


class ArtifactRepository:
    """A folder of artifacts, addressed by key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file of a key (which may not exist); a key comes from the workflow, so it must stay in the repository."""
        return safepath.within(self.root, key.lstrip("/"), what="artifact key")

    def save(self, key: str, source: Path, *, archive: bool = True) -> None:
        """Store a file or folder under ``key``: tar+gzip (Argo's default), or as-is with ``none``."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not archive:
            if target.is_dir():
                safepath.remove(target, what="artifact key")
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True, symlinks=True)
            else:
                shutil.copyfile(source, target)
            return
        with tarfile.open(target, "w:gz") as tar:
            tar.add(source, arcname=source.name)

    def save_bytes(self, key: str, name: str, data: bytes) -> None:
        """Store raw data as a one-file archive."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as tar:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    def exists(self, key: str) -> bool:
        """Whether something is stored under ``key``."""
        return self.path(key).exists()


def artifact_key(art: dict[str, object]) -> str | None:
    """The repository key of a stored (or key-only) artifact, if it is in the default repository."""
    s3 = art.get("s3")
    if isinstance(s3, dict) and set(s3) <= {"key"} and isinstance(s3.get("key"), str):
        return str(s3["key"])
    return None
