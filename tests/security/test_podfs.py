"""A sandboxed run's pods folder in memory (:mod:`wfsync.engine.podfs`): real tmpfs mounts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from wfsync.engine.layers import sweep_stale
from wfsync.engine.podfs import PodFolders

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a tmpfs needs root"
)


def _fstype(path: Path) -> str | None:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            return fields[fields.index("-", 5) + 1]
    return None


@needs_root
def test_a_pods_folder_is_a_tmpfs_until_the_run_ends(tmp_path: Path) -> None:
    pods = tmp_path / "run" / "pods"
    folders = PodFolders(enabled=True)
    folders.ensure(pods)
    folders.ensure(pods)  # once per folder
    try:
        assert _fstype(pods) == "tmpfs"
        (pods / "p1").mkdir()
        (pods / "p1" / "out.txt").write_text("x")
    finally:
        folders.close()
    assert _fstype(pods) is None
    assert pods.is_dir()
    assert list(pods.iterdir()) == []  # the pods' files went with the tmpfs, none reached the disk


@needs_root
def test_a_pods_folder_that_already_holds_pods_is_not_hidden(tmp_path: Path) -> None:
    pods = tmp_path / "pods"
    (pods / "earlier").mkdir(parents=True)
    folders = PodFolders(enabled=True)
    folders.ensure(pods)
    folders.close()
    assert _fstype(pods) is None
    assert (pods / "earlier").is_dir()


def test_disabled_leaves_the_folder_on_disk(tmp_path: Path) -> None:
    folders = PodFolders(enabled=False)
    folders.ensure(tmp_path / "pods")
    assert _fstype(tmp_path / "pods") is None
    assert not (tmp_path / "pods").exists()


@needs_root
def test_a_pods_folder_of_a_run_killed_outright_is_unmounted(tmp_path: Path) -> None:
    pods = tmp_path / "pods"
    folders = PodFolders(enabled=True)
    folders.ensure(pods)
    try:
        dead = subprocess.Popen(["true"])
        dead.wait()
        # only this test's mounts: other runs on this machine are never its to judge
        mountinfo = "\n".join(
            line for line in Path("/proc/self/mountinfo").read_text().splitlines() if str(tmp_path) in line
        )
        assert sweep_stale(mountinfo, alive=[]) == []  # this process's own folder is never swept
        assert _fstype(pods) == "tmpfs"
        theirs = mountinfo.replace(f"wfsync-pods-{os.getpid()}", f"wfsync-pods-{dead.pid}")
        assert str(pods) in sweep_stale(theirs, alive=[os.getpid()])
        assert _fstype(pods) is None
    finally:
        folders.close()


@needs_root
def test_no_pod_starts_before_its_folder_is_mounted(tmp_path: Path) -> None:
    """Pods starting together: none makes its folder on disk to be hidden under the tmpfs."""
    import concurrent.futures

    pods = tmp_path / "pods"
    folders = PodFolders(enabled=True)

    def start(index: int) -> None:
        folders.ensure(pods)
        (pods / str(index)).mkdir()

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(start, range(32)))
        assert sorted(int(p.name) for p in pods.iterdir()) == list(range(32))
    finally:
        folders.close()
    assert list(pods.iterdir()) == []
