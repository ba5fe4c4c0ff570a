"""Property: whatever path an input holds, nothing wfsync derives from it leaves its root.

Hypothesis builds hostile paths from the pieces attackers use (``..``, absolute prefixes,
symlinks planted inside the root that point out of it or loop, unicode look-alikes, right-to-left
marks, NUL, names and paths over the file-system limits) and feeds them to every place a path
enters: store namespace and name, artifact paths in a pod and artifact keys, ``uses:`` paths of
convert, ``--with`` folders, the library folder of ``wfsync.yaml``, and deletion. Each example
either is refused with an input error or yields a path inside its root, and the world outside
the root (a sibling folder holding a secret and a victim folder) never changes.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfsync import safepath
from wfsync.cluster.api import ClusterError
from wfsync.cluster.embedded import EmbeddedCluster
from wfsync.config import load_config
from wfsync.convert.gha import composite
from wfsync.convert.gha.api import _local_resolver
from wfsync.engine.artifacts import ArtifactRepository
from wfsync.engine.executor import Container, Pod
from wfsync.engine.host import HostExecutor
from wfsync.engine.unpack import unpack
from wfsync.errors import InputError
from wfsync.library.discover import find_yaml_files

SECRET = "OUTSIDE-SECRET-CONTENT"
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

PIECES = st.sampled_from(
    [
        "..",
        ".",
        "",
        "...",
        "a",
        "ok-name",
        "link-out",  # a symlink inside the root, to the outside folder
        "link-loop",  # a symlink to itself
        "link-up",  # a relative symlink, ../..
        "outside",
        "secret.txt",
        "victim",
        "..\\..",
        "%2e%2e",
        "\uff0e\uff0e",  # fullwidth dots
        "\u202eevil",  # right-to-left override
        "ü",
        "\x00",
        "x" * 300,  # over NAME_MAX
        "~",
    ]
)


@st.composite
def hostile_paths(draw: st.DrawFn) -> str:
    """A path from hostile pieces, sometimes absolute, sometimes aimed at the outside folder."""
    parts = draw(st.lists(PIECES, min_size=1, max_size=8))
    text = "/".join(parts)
    if draw(st.booleans()):
        text = "/" + text
    if draw(st.integers(0, 4)) == 0:
        text = text + "/" + "/".join(["d" * 200] * 25)  # over PATH_MAX
    if draw(st.integers(0, 3)) == 0:
        text = draw(st.text(min_size=1, max_size=40)) + "/" + text
    return text


@dataclass
class World:
    """``root`` is where paths must stay; ``outside`` is beside it and must never change."""

    base: Path
    root: Path
    outside: Path

    def snapshot(self) -> dict[str, tuple[int, int]]:
        seen = {}
        for folder, dirs, files in os.walk(self.base):
            here = Path(folder)
            if here == self.root:
                dirs[:] = []
                continue
            for name in [*dirs, *files]:
                if here / name == self.root:
                    continue
                info = (here / name).lstat()
                seen[str((here / name).relative_to(self.base))] = (info.st_size, info.st_mtime_ns)
        return seen


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("containment")
    root, outside = base / "root", base / "outside"
    (outside / "victim").mkdir(parents=True)
    (outside / "victim" / "keep.txt").write_text("keep\n")
    (outside / "secret.txt").write_text(SECRET + "\n")
    (outside / "action.yml").write_text(f"runs:\n  using: composite\n  steps:\n    - run: echo {SECRET}\n")
    (outside / "secret.yaml").write_text(f"kind: WorkflowTemplate\nmetadata: {{name: {SECRET.lower()}}}\n")
    root.mkdir()
    for folder in (root, root / "a", root / "a" / "a"):
        folder.mkdir(exist_ok=True)
        (folder / "link-out").symlink_to(outside)
        (folder / "link-loop").symlink_to(folder / "link-loop")
        (folder / "link-up").symlink_to("../..")
    w = World(base, root, outside)
    before = w.snapshot()
    yield w
    assert w.snapshot() == before, "something outside the root was written or deleted"


def inside(root: Path, path: Path) -> bool:
    """``path`` under ``root`` lexically, and where it really is."""
    return safepath.is_within(root, path)


@PROPERTY
@given(namespace=hostile_paths(), name=hostile_paths())
def test_store_paths_from_namespace_and_name_stay_in_the_store(
    world: World, namespace: str, name: str
) -> None:
    store_root = world.root / "store"
    cluster = EmbeddedCluster(store_root, any_kind=True)
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name, "namespace": namespace}}
    try:
        cluster.create(obj)
    except (InputError, ClusterError):
        pass
    try:
        got = cluster.get("ConfigMap", namespace, name)
    except InputError:
        got = None
    assert got is None or got["metadata"]["name"] == name
    for found in store_root.rglob("*"):
        assert inside(store_root, found)


def _tarball(name: str) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        payload = b"pwned"
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return data.getvalue()


@PROPERTY
@given(path=hostile_paths(), sub_path=st.one_of(st.just(""), hostile_paths()))
def test_artifact_paths_of_a_pod_stay_in_the_pod_folder(world: World, path: str, sub_path: str) -> None:
    run_dir = world.root / "run"
    pod_root = run_dir / "pods" / "p"
    pod_root.mkdir(parents=True, exist_ok=True)
    archive = world.root / "artifact.tgz"
    archive.write_bytes(_tarball("data"))
    pod = Pod(name="p", node_name="p", main=Container("main", "alpine"), root=pod_root)
    with safepath.deletable(run_dir):
        try:
            normal = safepath.container_path(path, what="path")
        except InputError:
            return
        dest = HostExecutor().host_path(pod, normal)
        try:
            unpack(archive, dest, sub_path)
        except (InputError, OSError):
            pass
    for found in run_dir.rglob("*"):
        assert inside(run_dir, found)


@PROPERTY
@given(key=hostile_paths())
def test_artifact_keys_stay_in_the_artifact_repository(world: World, key: str) -> None:
    repo = ArtifactRepository(world.root / "artifacts")
    try:
        target = repo.path(key)
    except InputError:
        return
    assert inside(repo.root, target)


@PROPERTY
@given(uses=hostile_paths())
def test_uses_paths_never_read_outside_the_repository(world: World, uses: str) -> None:
    (world.root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    workflow = world.root / ".github" / "workflows" / "ci.yml"
    try:
        action = composite.read_action(world.root, "./" + uses)
    except (InputError, composite.CompositeError) as err:
        assert SECRET not in str(err)
    else:
        assert SECRET not in str(action)
    resolve = _local_resolver(workflow)
    try:
        text = resolve("./" + uses)  # type: ignore[operator]
    except InputError as err:
        assert SECRET not in str(err)
    else:
        assert text is None or SECRET not in text


@PROPERTY
@given(target=hostile_paths())
def test_with_folders_keep_their_files(world: World, target: str) -> None:
    folder = world.root / "with"
    folder.mkdir(exist_ok=True)
    link = folder / "t.yaml"
    link.unlink(missing_ok=True)
    try:
        link.symlink_to(target.replace("\x00", ""))  # a pod or a checkout planted any link
    except OSError:
        return
    files, _ = find_yaml_files([folder], root=folder)
    for file in files:
        assert inside(folder, file)


@PROPERTY
@given(library=hostile_paths())
def test_the_library_folder_stays_in_the_repository(world: World, library: str) -> None:
    repo = world.root / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "link-out").unlink(missing_ok=True)
    (repo / "link-out").symlink_to(world.outside)
    quoted = library.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\0")
    (repo / "wfsync.yaml").write_text(f'library: "{quoted}"\n', encoding="utf-8")
    try:
        config = load_config(repo)
    except InputError:
        return
    assert inside(repo, config.library)


@PROPERTY
@given(target=hostile_paths())
def test_deletion_happens_only_inside_a_run_directory(world: World, target: str) -> None:
    run_dir = world.root / "run-del"
    (run_dir / "x").mkdir(parents=True, exist_ok=True)
    with safepath.deletable(run_dir):
        candidate = run_dir / "x" / target if not target.startswith("/") else Path(target)
        try:
            safepath.remove(candidate)
        except (InputError, OSError, ValueError):
            pass
    assert run_dir.is_dir()
