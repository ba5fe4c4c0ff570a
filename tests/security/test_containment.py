"""Issue 10, "no path leaves its root": every path case of the issue, through the CLI.

Each test builds a world in a temporary folder: ``repo`` (a git repository with ``wfsync.yaml``
and a library) and a sibling ``outside`` folder holding a victim file, a victim folder and an
action that traversal payloads aim at. The command runs in ``repo`` and the test asserts the
exit code, a message naming the input, and that nothing outside ``repo`` was written or deleted
(the whole world outside it is snapshotted, names, sizes and mtimes, before and after).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app

CONFIG = "library: library\nlibraryId: sec\ntargets:\n  local:\n    type: embedded\n    namespace: ci\n"
TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    wfsync.io/version: "1.0.0"
spec:
  templates:
    - name: main
      container:
        image: alpine
        command: [echo, hi]
"""


@dataclass
class World:
    """A repository and the folder beside it that must not change."""

    root: Path
    repo: Path
    outside: Path

    def snapshot(self) -> dict[str, tuple[int, int, bool]]:
        """Every path of the world outside ``repo``: size, mtime and whether it is a folder."""
        seen: dict[str, tuple[int, int, bool]] = {}
        for folder, dirs, files in os.walk(self.root):
            here = Path(folder)
            if here == self.repo:
                dirs[:] = []
                continue
            for name in [*dirs, *files]:
                path = here / name
                if path == self.repo:
                    continue
                info = path.lstat()
                seen[str(path.relative_to(self.root))] = (info.st_size, info.st_mtime_ns, path.is_dir())
        return seen

    def write(self, relative: str, text: str) -> Path:
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    root = tmp_path / "world"
    repo, outside = root / "repo", root / "outside"
    (outside / "victim-dir").mkdir(parents=True)
    (outside / "victim-dir" / "keep.txt").write_text("keep me\n", encoding="utf-8")
    (outside / "secret.txt").write_text("OUTSIDE-SECRET-CONTENT\n", encoding="utf-8")
    (outside / "action").mkdir()
    (outside / "action" / "action.yml").write_text(
        "name: outside\nruns:\n  using: composite\n  steps:\n"
        "    - run: echo OUTSIDE-SECRET-CONTENT\n      shell: bash\n",
        encoding="utf-8",
    )
    (repo / "library").mkdir(parents=True)
    (repo / "wfsync.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / "library" / "ok.yaml").write_text(TEMPLATE.format(name="ok", namespace="ci"), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    w = World(root, repo, outside)
    before = w.snapshot()
    yield w
    assert w.snapshot() == before, "something outside the repository was written or deleted"


def wfsync(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def assert_refused(code: int, out: str, *names: str, exit_code: int = 2) -> None:
    assert code == exit_code, out
    for name in names:
        assert name in out, out
    assert "Traceback" not in out and "internal error" not in out, out


# -- the embedded store: namespace and name become file paths ---------------------------------------

HOSTILE_NAMESPACE = "../../../../../outside/x"
"""From ``.wfsync/cluster/objects/workflowtemplates/``, five levels up is the world folder."""


def test_lint_reports_a_namespace_that_is_not_a_dns_label_with_its_line(world: World) -> None:
    world.write("library/evil.yaml", TEMPLATE.format(name="evil", namespace=HOSTILE_NAMESPACE))
    code, out = wfsync("lint")
    assert_refused(code, out, "library/evil.yaml", "name-format", HOSTILE_NAMESPACE, exit_code=1)
    assert "    5:14  error" in out  # the namespace line, at its value


def test_push_of_a_traversing_namespace_writes_nothing_outside(world: World) -> None:
    world.write("library/evil.yaml", TEMPLATE.format(name="evil", namespace=HOSTILE_NAMESPACE))
    code, out = wfsync("push", "--yes")
    assert_refused(code, out, "library/evil.yaml", "nothing was pushed", exit_code=1)  # lint comes first
    assert not (world.repo / ".wfsync" / "cluster" / "objects").exists()


def test_push_with_the_lint_rule_disabled_is_refused_by_the_store_rule(world: World) -> None:
    (world.repo / "wfsync.yaml").write_text(CONFIG + "lint:\n  disable: [name-format]\n", encoding="utf-8")
    world.write("library/evil.yaml", TEMPLATE.format(name="evil", namespace=HOSTILE_NAMESPACE))
    for command in (["push", "--yes"], ["diff"], ["status"]):
        code, out = wfsync(*command)
        assert_refused(code, out, "library/evil.yaml:1", "metadata.namespace", HOSTILE_NAMESPACE)
    assert not list(world.repo.rglob("evil.json"))


def test_resource_template_with_a_traversing_namespace_fails_its_node_and_writes_nothing(
    world: World,
) -> None:
    manifest = (
        f"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\n  namespace: {HOSTILE_NAMESPACE}\\n"
    )
    world.write(
        "wf.yaml",
        f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: res-
        spec:
          entrypoint: main
          templates:
            - name: main
              resource:
                action: create
                manifest: "{manifest}"
        """,
    )
    code, out = wfsync("run", "wf.yaml")
    # a manifest is computed at run time: Kubernetes refuses it and the node fails, as in Argo
    assert_refused(code, out, "metadata.namespace", HOSTILE_NAMESPACE, exit_code=1)


# -- engine artifacts: in-container paths map into the pod's folder -----------------------------------


def _artifact_workflow(world: World, parameter: str, path: str) -> int:
    """A workflow with a raw input artifact at ``path``; the line of that path."""
    text = world.write(
        "wf.yaml",
        f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: art-
        spec:
          entrypoint: main
          arguments:
            parameters:
              - name: dir
                value: "{parameter}"
          templates:
            - name: main
              inputs:
                parameters:
                  - name: dir
                artifacts:
                  - name: data
                    path: {path}
                    raw:
                      data: pwned
              container:
                image: alpine
                command: [sh, -c, "true"]
        """,
    ).read_text()
    return next(n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith("path:"))


def _traversal_to(world: World, target: Path) -> str:
    """An in-container path that climbs from /tmp to ``target`` on the host (``/tmp/../../...``)."""
    return "/tmp/" + "../" * 40 + str(target).lstrip("/")


def test_a_literal_input_artifact_path_above_root_is_an_input_error_naming_its_line(world: World) -> None:
    hostile = _traversal_to(world, world.outside / "victim-dir")
    line = _artifact_workflow(world, "x", hostile)
    code, out = wfsync("run", "wf.yaml")
    assert_refused(code, out, f"wf.yaml:{line}", "inputs.artifacts.0.path", "leaves the container's root")
    assert (world.outside / "victim-dir" / "keep.txt").read_text() == "keep me\n"


def test_a_templated_input_artifact_path_above_root_ends_the_node_in_error(world: World) -> None:
    hostile = _traversal_to(world, world.outside / "victim-dir")
    _artifact_workflow(world, hostile, '"{{inputs.parameters.dir}}"')
    code, out = wfsync("run", "wf.yaml")
    assert_refused(code, out, "input artifact 'data' path", "leaves the container's root", exit_code=1)
    assert (world.outside / "victim-dir" / "keep.txt").read_text() == "keep me\n"


def test_an_output_artifact_key_leaving_the_repository_is_refused_before_the_pod_runs(world: World) -> None:
    world.write(
        "wf.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: key-
        spec:
          entrypoint: main
          templates:
            - name: main
              outputs:
                artifacts:
                  - name: out
                    path: /tmp/out.txt
                    s3:
                      key: ../../../outside/victim-dir/keep.txt
              container:
                image: alpine
                command: [sh, -c, "echo x > /tmp/out.txt"]
        """,
    )
    code, out = wfsync("run", "wf.yaml")
    assert_refused(code, out, "artifact key", "../../../outside/victim-dir/keep.txt", exit_code=1)


def test_a_workflow_name_that_would_name_a_folder_outside_is_refused(world: World) -> None:
    world.write(
        "wf.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          name: ../../../outside/victim-dir
        spec:
          entrypoint: main
          templates:
            - name: main
              container: {image: alpine, command: [sh, -c, "true"]}
        """,
    )
    code, out = wfsync("run", "wf.yaml")
    assert_refused(code, out, "metadata.name", "../../../outside/victim-dir")
    code, out = wfsync("resume", "../../../outside/victim-dir")
    assert_refused(code, out, "workflow", "../../../outside/victim-dir")


def test_run_with_a_folder_holding_a_symlink_out_is_refused(world: World) -> None:
    (world.repo / "extra").mkdir()
    (world.repo / "extra" / "t.yaml").symlink_to(world.outside / "secret.txt")
    world.write(
        "wf.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: w-}
        spec:
          entrypoint: main
          templates:
            - name: main
              container: {image: alpine, command: [sh, -c, "true"]}
        """,
    )
    code, out = wfsync("run", "wf.yaml", "--with", "extra")
    assert_refused(code, out, "--with", "extra/t.yaml", "symlink leaves")
    assert "OUTSIDE-SECRET-CONTENT" not in out


# -- convert: uses: ./ paths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uses", "where"),
    [
        ("./.github/workflows/" + "../" * 12 + "etc/passwd", "job"),
        ("./../outside/action", "step"),
        ("./../outside/secret.txt", "job"),
    ],
)
def test_convert_refuses_uses_paths_leaving_the_repository_without_reading_them(
    world: World, uses: str, where: str
) -> None:
    if where == "job":
        body = f"jobs:\n  call:\n    uses: {uses}\n"
    else:
        body = f"jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {uses}\n"
    world.write(".github/workflows/ci.yml", "on: push\n" + body)
    out_dir = world.repo / "converted"
    code, out = wfsync("convert", "github-actions", ".github/workflows/ci.yml", "--out-dir", str(out_dir))
    assert_refused(code, out, ".github/workflows/ci.yml:", "uses", uses[2:])
    assert "OUTSIDE-SECRET-CONTENT" not in out and "root:x:" not in out
    assert not list(out_dir.glob("*.yaml")), "a workflow using an outside file must not be converted"


def test_convert_refuses_a_uses_symlink_out_of_the_repository(world: World) -> None:
    (world.repo / "actions").mkdir()
    (world.repo / "actions" / "linked").symlink_to(world.outside / "action")
    world.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./actions/linked\n",
    )
    code, out = wfsync("convert", "github-actions", ".github/workflows/ci.yml", "--out-dir", "converted")
    assert_refused(code, out, "ci.yml:6", "uses", "through a symlink")
    assert "OUTSIDE-SECRET-CONTENT" not in out


# -- the library folder and the state folder --------------------------------------------------------


def test_a_library_outside_the_repository_is_refused_with_its_line(world: World) -> None:
    (world.repo / "wfsync.yaml").write_text(CONFIG.replace("library: library", "library: ../outside"))
    for command in (["lint"], ["push", "--yes"], ["diff"]):
        code, out = wfsync(*command)
        assert_refused(code, out, "wfsync.yaml:1", "library", "'../outside'")


def test_a_library_folder_symlinked_out_of_the_repository_is_refused_like_a_symlinked_file(
    world: World,
) -> None:
    (world.repo / "lib2").symlink_to(world.outside)
    (world.repo / "wfsync.yaml").write_text(CONFIG.replace("library: library", "library: lib2"))
    code, out = wfsync("push", "--yes")
    assert_refused(code, out, "wfsync.yaml:1", "library", "through a symlink")
    # the same folder given to lint: the rule for symlinked files, as a finding
    (world.repo / "wfsync.yaml").write_text(CONFIG)
    code, out = wfsync("lint", "lib2")
    assert_refused(code, out, "lib2", "file-refused", "symlink leaves the repository", exit_code=1)
    (world.repo / "library" / "linked.yaml").symlink_to(world.outside / "secret.txt")
    code, out = wfsync("lint")
    assert_refused(
        code, out, "library/linked.yaml", "file-refused", "symlink leaves the repository", exit_code=1
    )


def test_a_state_folder_symlinked_out_of_the_repository_is_never_written(world: World) -> None:
    (world.repo / ".wfsync").symlink_to(world.outside / "victim-dir")
    for command in (["lint"], ["push", "--yes"]):
        code, out = wfsync(*command)
        assert_refused(code, out, "state folder", ".wfsync", "through a symlink")


@pytest.mark.parametrize("folder", ["cache", "cluster"])
def test_cache_and_store_folders_symlinked_out_are_never_written(world: World, folder: str) -> None:
    (world.repo / ".wfsync").mkdir()
    (world.repo / ".wfsync" / folder).symlink_to(world.outside / "victim-dir")
    code, out = wfsync("push", "--yes")
    assert_refused(code, out, "state folder", f".wfsync/{folder}", "through a symlink")


def test_lint_reports_dotdot_in_artifact_and_mount_paths(world: World) -> None:
    world.write(
        "library/paths.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata:
          name: paths
          labels: {wfsync.io/version: "1.0.0"}
        spec:
          templates:
            - name: main
              inputs:
                artifacts:
                  - name: a
                    path: /tmp/../../etc/a
              outputs:
                artifacts:
                  - name: b
                    path: /work/../b
              container:
                image: alpine
                volumeMounts:
                  - name: v
                    mountPath: /mnt/../../x
        """,
    )
    code, out = wfsync("lint")
    assert_refused(code, out, "path-traversal", exit_code=1)
    lines = sorted(int(row.split()[0].split(":")[0]) for row in out.splitlines() if "path-traversal" in row)
    assert lines == [12, 16, 21]


def test_a_volume_claim_name_that_would_name_a_folder_outside_fails_its_node(world: World) -> None:
    world.write(
        "wf.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: vol-}
        spec:
          entrypoint: main
          volumes:
            - name: v
              persistentVolumeClaim: {claimName: ../../../../../outside/victim-dir}
          templates:
            - name: main
              container:
                image: alpine
                command: [sh, -c, "echo pwned > /data/keep.txt"]
                volumeMounts: [{name: v, mountPath: /data}]
        """,
    )
    code, out = wfsync("run", "wf.yaml")
    assert_refused(code, out, "volume claim", "../../../../../outside/victim-dir", exit_code=1)
