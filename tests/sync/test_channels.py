"""Major-version channels: ``<name>-v<major>`` published beside a template, kept while anything uses it.

Unit tests of the copy and of the prune rule, then the whole flow through ``wfsync push`` on both
backends (embedded store, and the test API server through the official client), with a real git
repository: publish 1.x, bump to 2.0.0, see ``-v1`` kept while a running Workflow or a
``--callers`` file still uses it, and pruned once nothing does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.kube.server import KubeServer
from wfsync.cli.app import app
from wfsync.cluster.embedded import EmbeddedCluster
from wfsync.errors import InputError
from wfsync.model.channels import CHANNEL_OF, PUBLISH_MAJOR, channel_name
from wfsync.model.documents import Identity
from wfsync.sync.channels import with_channels
from wfsync.sync.desired import DesiredObject, stamped
from wfsync.sync.normalize import content_hash
from wfsync.sync.ownership import CONTENT_HASH, LIBRARY_LABEL
from wfsync.sync.plan import Action, build_plan

CWT = "ClusterWorkflowTemplate"


def template(name: str, version: str = "1.0.0", *, publish: bool = True, calls: str = "") -> dict[str, Any]:
    """A ClusterWorkflowTemplate body; ``calls`` adds a step with a templateRef to that template."""
    meta: dict[str, Any] = {"name": name, "labels": {"wfsync.io/version": version}}
    if publish:
        meta["annotations"] = {PUBLISH_MAJOR: "true", "description": "builds"}
    templates: list[dict[str, Any]] = [
        {"name": "main", "container": {"image": "alpine:3", "command": ["true"]}}
    ]
    if calls:
        step = {"name": "inner", "templateRef": {"name": calls, "template": "main", "clusterScope": True}}
        templates.append({"name": "outer", "steps": [[step]]})
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": CWT,
        "metadata": meta,
        "spec": {"templates": templates},
    }


def desired(body: dict[str, Any]) -> DesiredObject:
    ident = Identity(CWT, "", body["metadata"]["name"])
    return stamped(
        ident,
        body,
        content_hash(body),
        line=1,
        library_id="demo",
        source_path="library/a.yaml",
        source_commit="c0",
    )


def test_channel_names_come_from_the_major_version() -> None:
    assert channel_name("build", "1.2.3") == "build-v1"
    assert channel_name("build", "v2.0.0") == "build-v2"
    assert channel_name("build", "0.3.0") == "build-v0"
    assert channel_name("build", "latest") is None
    assert channel_name("build", "01.0.0") is None


def test_an_opted_in_template_gets_a_stamped_copy_that_calls_itself() -> None:
    original = desired(template("build", "2.1.0", calls="build"))
    items = with_channels([original, desired(template("other", publish=False))], library_id="demo")
    assert [i.identity.name for i in items] == ["build", "other", "build-v2"]
    copy = items[-1]
    meta = copy.body["metadata"]
    assert meta["labels"][CHANNEL_OF] == "build" and meta["labels"][LIBRARY_LABEL] == "demo"
    assert meta["labels"]["wfsync.io/version"] == "2.1.0"
    assert PUBLISH_MAJOR not in meta["annotations"] and meta["annotations"]["description"] == "builds"
    assert meta["annotations"][CONTENT_HASH] == copy.content_hash != original.content_hash
    outer = copy.body["spec"]["templates"][1]
    assert outer["steps"][0][0]["templateRef"]["name"] == "build-v2"  # the pinned major calls itself
    assert original.body["spec"]["templates"][1]["steps"][0][0]["templateRef"]["name"] == "build"
    assert copy.where == "library/a.yaml:1"


def test_opting_in_without_a_semantic_version_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no semantic wfsync.io/version"):
        with_channels([desired(template("build", "latest"))], library_id="demo")


def live_copy(item: DesiredObject) -> dict[str, Any]:
    return dict(item.body, metadata=dict(item.body["metadata"], resourceVersion="1"))


def test_an_older_major_is_kept_while_anything_refers_to_it_and_pruned_after() -> None:
    old = with_channels([desired(template("build", "1.0.0"))], library_id="demo")
    new = with_channels([desired(template("build", "2.0.0"))], library_id="demo")
    live = [live_copy(i) for i in old]
    v1 = Identity(CWT, "", "build-v1")
    plan = build_plan(new, live, library_id="demo", prune=True, outside_refs={v1: ["live Workflow/ci/run-1"]})
    (prune,) = plan.of(Action.PRUNE)
    assert prune.identity == v1 and prune.blocked == "still referenced by live Workflow/ci/run-1"
    plan = build_plan(new, live, library_id="demo", prune=True)
    (prune,) = plan.of(Action.PRUNE)
    assert prune.identity == v1 and prune.blocked == ""
    assert [c.identity.name for c in plan.of(Action.CREATE)] == ["build-v2"]
    plan = build_plan(new, live, library_id="demo", prune=True, unchecked="could not list Workflows")
    assert plan.of(Action.PRUNE)[0].blocked == "could not list Workflows"


def test_a_kept_channel_keeps_what_it_calls_and_unmanaged_referrers_count() -> None:
    # helper-v1 is only used by build-v1; build-v1 is used by a Workflow: both stay
    old = with_channels(
        [desired(template("helper", "1.0.0")), desired(template("build", "1.0.0", calls="helper-v1"))],
        library_id="demo",
    )
    new = with_channels(
        [desired(template("helper", "2.0.0")), desired(template("build", "2.0.0", calls="helper-v2"))],
        library_id="demo",
    )
    live = [live_copy(i) for i in old]
    build_v1, helper_v1 = Identity(CWT, "", "build-v1"), Identity(CWT, "", "helper-v1")
    plan = build_plan(
        new, live, library_id="demo", prune=True, outside_refs={build_v1: ["callers/ci.yaml:3"]}
    )
    blocked = {c.identity: c.blocked for c in plan.of(Action.PRUNE)}
    assert blocked == {
        build_v1: "still referenced by callers/ci.yaml:3",
        helper_v1: "still referenced by ClusterWorkflowTemplate/build-v1 (kept)",
    }
    # a template of someone else's in the cluster calling helper-v1 keeps it too
    theirs = template("theirs", publish=False, calls="helper-v1")
    theirs["metadata"]["resourceVersion"] = "9"
    plan = build_plan(new, [*live, theirs], library_id="demo", prune=True)
    blocked = {c.identity: c.blocked for c in plan.of(Action.PRUNE)}
    assert blocked == {build_v1: "", helper_v1: "still referenced by live ClusterWorkflowTemplate/theirs"}


# -- through the CLI, on both backends --------------------------------------------------------

CONFIG = """\
library: library
libraryId: demo
targets:
  local:
    type: embedded
    namespace: ci
  kube:
    type: kubernetes
    kubeconfig: kubeconfig
    namespace: ci
    allowedContexts: [wfsync-test]
"""
LIBRARY_CWT = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: build
  labels:
    wfsync.io/version: "{version}"
  annotations:
    wfsync.io/publish-major: "true"
spec:
  templates:
    - name: main
      container:
        image: alpine:{version}
        command: [echo, built]
"""
CALLER = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: pinned-
  namespace: ci
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: build
            templateRef: {name: build-v1, template: main, clusterScope: true}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)


def wfsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(params=["local", "kube"])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, KubeServer | None]:
    root = tmp_path / "repo"
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text(CONFIG)
    (root / "library" / "build.yaml").write_text(LIBRARY_CWT.format(version="1.4.0"))
    (root / ".gitignore").write_text(".wfsync/\nkubeconfig\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    monkeypatch.chdir(root)
    monkeypatch.setenv("WFSYNC_TARGET", request.param)
    server: KubeServer | None = None
    if request.param == "kube":
        server = request.getfixturevalue("shared_kube_server")
        server.write_kubeconfig(root / "kubeconfig")
    return root, server


def names(root: Path, server: KubeServer | None) -> list[str]:
    if server is not None:
        return sorted(o["metadata"]["name"] for o in server.objects("clusterworkflowtemplates"))
    return sorted(
        o["metadata"]["name"] for o in EmbeddedCluster(root / ".wfsync" / "cluster").list(CWT, None)
    )


def put_workflow(root: Path, server: KubeServer | None, completed: bool) -> None:
    import yaml

    obj = yaml.safe_load(CALLER)
    obj["metadata"] = {"name": "pinned-abc12", "namespace": "ci"}
    if completed:
        obj["metadata"]["labels"] = {"workflows.argoproj.io/completed": "true"}
    if server is not None:
        server.put(obj)
        return
    store = EmbeddedCluster(root / ".wfsync" / "cluster")
    live = store.get("Workflow", "ci", "pinned-abc12")
    if live is None:
        store.create(obj)
    else:
        obj["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        store.update(obj)


def test_push_publishes_the_major_and_keeps_the_old_one_while_used(
    target: tuple[Path, KubeServer | None],
) -> None:
    root, server = target
    code, out, err = wfsync("push", "--yes")
    assert code == 0, err
    assert "created ClusterWorkflowTemplate/build-v1" in out
    assert names(root, server) == ["build", "build-v1"]
    assert wfsync("diff")[0] == 0  # the copy is in sync like any other object

    (root / "library" / "build.yaml").write_text(LIBRARY_CWT.format(version="2.0.0"))
    put_workflow(root, server, completed=False)  # a running Workflow pinned to the old major
    code, out, err = wfsync("push", "--yes", "--prune")
    assert "created ClusterWorkflowTemplate/build-v2" in out
    assert (
        "ClusterWorkflowTemplate/build-v1: not pruned: still referenced by live Workflow/ci/pinned-abc12"
        in err
    )
    assert names(root, server) == ["build", "build-v1", "build-v2"]

    put_workflow(root, server, completed=True)  # it finished: only a callers folder uses v1 now
    (root / "callers").mkdir()
    (root / "callers" / "nightly.yaml").write_text(CALLER)
    code, out, err = wfsync("push", "--yes", "--prune", "--callers", "callers")
    assert "not pruned: still referenced by callers/nightly.yaml:1" in err
    assert "build-v1" in names(root, server)

    code, out, err = wfsync("push", "--yes", "--prune")
    assert code == 0, err
    assert "deleted ClusterWorkflowTemplate/build-v1" in out
    assert names(root, server) == ["build", "build-v2"]


def test_callers_that_do_not_exist_are_a_usage_error(target: tuple[Path, KubeServer | None]) -> None:
    code, _, err = wfsync("push", "--yes", "--prune", "--callers", "nowhere")
    assert code == 2 and "--callers nowhere: no such file or folder" in err


def test_lint_names_a_publish_annotation_that_is_not_a_boolean(
    target: tuple[Path, KubeServer | None],
) -> None:
    root, _ = target
    text = LIBRARY_CWT.format(version="1.4.0").replace('publish-major: "true"', "publish-major: yes-please")
    (root / "library" / "build.yaml").write_text(text)
    code, out, _ = wfsync("lint")
    assert code == 1
    assert (
        "library/build.yaml\n    8:30  error" in out
        and 'wfsync.io/publish-major must be "true" or "false"' in out
    )
    code, _, _ = wfsync("push", "--yes")
    assert code == 1  # nothing is pushed while lint fails


def test_lint_resolves_a_published_major_and_accepts_older_ones(
    target: tuple[Path, KubeServer | None],
) -> None:
    root, _ = target
    (root / "callers").mkdir()
    (root / "callers" / "now.yaml").write_text(CALLER)  # build-v1: the library's build is 1.4.0
    (root / "callers" / "old.yaml").write_text(CALLER.replace("build-v1", "build-v0"))  # kept in the cluster
    code, out, _ = wfsync("lint", "library", "callers")
    assert code == 0, out
    (root / "callers" / "typo.yaml").write_text(CALLER.replace("build-v1", "biuld-v1"))
    code, out, _ = wfsync("lint", "library", "callers")
    assert code == 1 and "ClusterWorkflowTemplate 'biuld-v1' not found" in out
    # without the opt-in, build-v1 is just a name that does not exist
    (root / "library" / "build.yaml").write_text(
        LIBRARY_CWT.format(version="1.4.0").replace('wfsync.io/publish-major: "true"', "team: ci")
    )
    (root / "callers" / "typo.yaml").unlink()
    code, out, _ = wfsync("lint", "library", "callers")
    assert code == 1 and "ClusterWorkflowTemplate 'build-v1' not found" in out


@pytest.mark.parametrize("target", ["local"], indirect=True)  # a local run reads the library, not a target
def test_run_resolves_a_published_major_from_the_library(target: tuple[Path, KubeServer | None]) -> None:
    root, _ = target
    workflow = CALLER.replace("generateName: pinned-", "name: pinned")
    (root / "pinned.yaml").write_text(workflow)
    code, out, err = wfsync("run", "pinned.yaml")
    assert code == 0, out + err
    assert "Succeeded" in out
