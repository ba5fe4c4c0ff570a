"""``wfsync review`` end to end over real git histories: classification, callers, versions, refs, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.review.helpers import BUILD, CI, edit, git, make_repo, wfsync

SCRIPT = '      script:\n        image: python:3.12\n        source: |\n          print("lint")\n          print("done")\n'
CASES: list[tuple[str, str, str, str, str, str]] = [
    # (case, file, old, new, class, reason that must appear)
    ("member removed", "library/build.yaml", SCRIPT.replace("      script", "    - name: lint\n      script"), "", "breaking", "template 'lint' removed: 1 known caller"),
    ("member renamed", "library/build.yaml", "- name: main", "- name: compile", "breaking", "template 'main' renamed to 'compile'"),
    ("input without default", "library/build.yaml", "- name: msg\n", "- name: msg\n          - name: extra\n", "breaking", "input 'extra' of 'main' added without a default"),
    ("input with default", "library/build.yaml", "- name: msg\n", "- name: msg\n          - name: extra\n            default: x\n", "feature", "input 'extra' of 'main' added with a default"),
    ("input loses default", "library/build.yaml", "            default: info\n", "", "breaking", "input 'level' of 'main' lost its default"),
    ("artifact not optional", "library/build.yaml", "            optional: true\n", "            optional: true\n          - name: bin\n", "breaking", "input artifact 'bin' of 'main' added without optional"),
    ("artifact optional", "library/build.yaml", "            optional: true\n", "            optional: true\n          - name: bin\n            optional: true\n", "feature", "input artifact 'bin' of 'main' added"),
    ("input passed removed", "library/build.yaml", "          - name: msg\n", "", "breaking", "input 'msg' of 'main' removed while 1 caller(s) pass it"),
    ("input unused removed", "library/build.yaml", "          - name: level\n            default: info\n            enum: [debug, info, warn]\n", "", "feature", "input 'level' of 'main' removed (no known caller passes it)"),
    ("artifact unused removed", "library/build.yaml", "        artifacts:\n          - name: src\n            optional: true\n", "", "feature", "input artifact 'src' of 'main' removed (no known caller passes it)"),
    ("output removed", "library/build.yaml", "          - name: digest\n            valueFrom:\n              path: /tmp/digest\n", "", "breaking", "output parameter 'digest' of 'main' removed"),
    ("output added", "library/build.yaml", "              path: /tmp/digest\n", "              path: /tmp/digest\n          - name: size\n            value: '1'\n", "feature", "output parameter 'size' of 'main' added"),
    ("enum narrowed", "library/build.yaml", "[debug, info, warn]", "[debug, info]", "breaking", "enum narrowed, warn no longer accepted"),
    ("enum widened", "library/build.yaml", "[debug, info, warn]", "[debug, info, warn, error]", "feature", "enum widened"),
    ("type changed", "library/build.yaml", SCRIPT, "      container:\n        image: python:3.12\n", "breaking", "template 'lint' changed type from script to container"),
    ("image tag", "library/build.yaml", "alpine:3.19", "alpine:3.20", "fix", "image 'alpine:3.19' -> 'alpine:3.20'"),
    ("script body", "library/build.yaml", 'print("done")', 'print("finished")', "fix", "script source changed (+1 -1 lines)"),
    ("command", "library/build.yaml", "command: [sh, -c]", "command: [bash, -c]", "fix", "spec.templates[main].container.command"),
    ("description", "library/build.yaml", "Build things.", "Build all things.", "cosmetic", "metadata.annotations.workflows.argoproj.io/description changed"),
    ("family renamed", "library/build.yaml", "  name: build\n", "  name: builder\n", "breaking", "renamed from ClusterWorkflowTemplate/build to ClusterWorkflowTemplate/builder: 2 known callers"),
    ("kind moved", "library/build.yaml", "kind: ClusterWorkflowTemplate", "kind: WorkflowTemplate", "breaking", "moved from ClusterWorkflowTemplate to WorkflowTemplate"),
    ("entrypoint", "library/ci.yaml", "entrypoint: run", "entrypoint: other", "breaking", "entrypoint changed from 'run' to 'other'"),
]  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.delenv("WFSYNC_TARGET", raising=False)
    return root


def review(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = wfsync("review", "-o", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{t['kind']}/{t['name']}": t for t in doc["templates"]}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_class_with_its_reason(repo: Path, case: tuple[str, str, str, str, str, str]) -> None:
    _, name, old, new, expected, reason = case
    edit(repo, name, old, new)
    status = git(repo, "status", "--porcelain")
    code, doc = review()
    assert git(repo, "status", "--porcelain") == status, "review must not touch the working tree"
    changed = doc["templates"][0]
    assert changed["class"] == expected, changed["reasons"]
    assert any(reason in r["message"] for r in changed["reasons"]), changed["reasons"]
    # no bump was made: anything but cosmetic is a version finding, exit 1
    if expected == "cosmetic":
        assert code == 0 and "versionFinding" not in changed
    elif changed["status"] == "changed":
        assert code == 1 and "without a version bump" in changed["versionFinding"]


def test_an_input_artifact_a_caller_passes_is_breaking_to_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passing = CI.replace(
        "                - name: msg\n                  value: hello\n",
        "                - name: msg\n                  value: hello\n              artifacts:\n"
        "                - name: src\n                  raw: {data: hello}\n",
    )
    root = make_repo(tmp_path / "repo", {"library/build.yaml": BUILD, "library/ci.yaml": passing})
    monkeypatch.chdir(root)
    edit(
        root,
        "library/build.yaml",
        "        artifacts:\n          - name: src\n            optional: true\n",
        "",
    )
    _, doc = review()
    build = by_name(doc)["ClusterWorkflowTemplate/build"]
    assert build["class"] == "breaking"
    (reason,) = [r for r in build["reasons"] if "artifact 'src'" in r["message"]]
    assert reason["message"] == "input artifact 'src' of 'main' removed while 1 caller(s) pass it"
    assert reason["callers"] == ["library/ci.yaml:13"]  # the task that passes it


def test_family_removed_lists_its_callers_and_lint_reports_them(repo: Path) -> None:
    (repo / "library" / "build.yaml").unlink()
    code, doc = review()
    build = by_name(doc)["ClusterWorkflowTemplate/build"]
    assert build["status"] == "removed" and build["class"] == "breaking"
    assert sorted(c["where"] for c in build["callers"]) == ["library/ci.yaml:13", "library/ci.yaml:22"]
    assert code == 1 and any(f["rule"] for f in doc["lint"])  # ci.yaml's refs no longer resolve


def test_new_family_is_a_feature_and_needs_no_bump(repo: Path) -> None:
    (repo / "library" / "deploy.yaml").write_text(BUILD.replace("name: build", "name: deploy"))
    code, doc = review()
    assert code == 0
    assert by_name(doc)["ClusterWorkflowTemplate/deploy"]["status"] == "added"
    assert doc["counts"] == {"breaking": 0, "feature": 1, "fix": 0, "cosmetic": 0}


def test_formatting_only_is_no_change(repo: Path) -> None:
    code, out, _ = wfsync("fmt")
    assert code == 0, out
    edit(repo, "library/ci.yaml", "  name: ci\n", "  name: 'ci'\n")
    assert git(repo, "status", "--porcelain")
    code, doc = review()
    assert code == 0 and doc["templates"] == []


@pytest.mark.parametrize(
    ("bump", "expected_code"),
    [("1.2.4", 1), ("1.3.0", 1), ("2.0.0", 0), ("1.2.2", 1), ("banana", 1)],
)
def test_breaking_needs_a_major_bump(repo: Path, bump: str, expected_code: int) -> None:
    edit(repo, "library/build.yaml", "[debug, info, warn]", "[debug]")
    edit(repo, "library/build.yaml", '"1.2.3"', f'"{bump}"')
    code, doc = review()
    assert code == expected_code, doc["templates"][0].get("versionFinding")


@pytest.mark.parametrize(("bump", "expected_code"), [("1.2.4", 1), ("1.3.0", 0), ("2.0.0", 0)])
def test_feature_needs_a_minor_bump(repo: Path, bump: str, expected_code: int) -> None:
    edit(repo, "library/build.yaml", "[debug, info, warn]", "[debug, info, warn, error]")
    edit(repo, "library/build.yaml", '"1.2.3"', f'"{bump}"')
    assert review()[0] == expected_code


def test_version_bump_auto_writes_the_needed_bump_keeping_comments(repo: Path) -> None:
    edit(repo, "library/build.yaml", "[debug, info, warn]", "[debug]")
    edit(repo, "library/ci.yaml", "alpine:3.19", "alpine:3.20")
    code, out, err = wfsync("version", "bump", "-o", "json")
    assert code == 0, err
    bumped = {b["name"]: (b["from"], b["to"]) for b in json.loads(out)["bumped"]}
    assert bumped == {
        "ClusterWorkflowTemplate/build": ("1.2.3", "2.0.0"),
        "WorkflowTemplate/ci": ("1.0.0", "1.0.1"),
    }
    text = (repo / "library" / "build.yaml").read_text()
    assert 'wfsync.io/version: "2.0.0" # bumped by hand' in text
    assert text == BUILD.replace("[debug, info, warn]", "[debug]").replace('"1.2.3"', '"2.0.0"')
    assert review()[0] == 0
    code, out, _ = wfsync("version", "bump")  # nothing left to do: idempotent
    assert code == 0 and "no version to bump" in out


def test_version_bump_explicit_level_and_names(repo: Path) -> None:
    code, out, err = wfsync("version", "bump", "--minor", "ci")
    assert code == 0, err
    assert "1.0.0 -> 1.1.0" in out
    assert '"1.1.0"' in (repo / "library" / "ci.yaml").read_text()
    assert wfsync("version", "bump", "--major", "--patch")[0] == 2
    code, _, err = wfsync("version", "bump", "nope")
    assert code == 2 and "no template named 'nope'" in err


def test_base_and_head_refs_read_from_git_only(repo: Path) -> None:
    edit(repo, "library/build.yaml", "alpine:3.19", "alpine:3.20")
    edit(repo, "library/build.yaml", '"1.2.3"', '"1.2.4"')
    git(repo, "commit", "-qam", "fix image")
    git(repo, "tag", "head")
    edit(repo, "library/build.yaml", "[debug, info, warn]", "[debug]")  # uncommitted: not in --head head
    code, doc = review("--base", "base", "--head", "head")
    assert code == 0
    assert [t["class"] for t in doc["templates"]] == ["fix"]
    assert doc["base"] == git(repo, "rev-parse", "base")[:12]
    code, _, err = wfsync("review", "--base", "nope")
    assert code == 2 and "nope" in err


def test_default_base_is_the_merge_base_with_main(repo: Path) -> None:
    git(repo, "checkout", "-qb", "feature")
    edit(repo, "library/build.yaml", "alpine:3.19", "alpine:3.20")
    git(repo, "commit", "-qam", "feature work")
    git(repo, "checkout", "-q", "main")
    edit(repo, "library/ci.yaml", "entrypoint: run", "entrypoint: other")
    git(repo, "commit", "-qam", "main moves on")
    git(repo, "checkout", "-q", "feature")
    _, doc = review()
    assert doc["base"] == git(repo, "rev-parse", "base")[:12]
    assert list(by_name(doc)) == ["ClusterWorkflowTemplate/build"]


def test_callers_folder_makes_an_input_removal_breaking(repo: Path) -> None:
    pipelines = repo / "pipelines"
    pipelines.mkdir()
    (pipelines / "nightly.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: nightly-\n"
        "spec:\n  entrypoint: main\n  templates:\n    - name: main\n      steps:\n        - - name: b\n"
        "            templateRef: {name: build, template: main, clusterScope: true}\n"
        "            arguments:\n              parameters: [{name: msg, value: x}, {name: level, value: warn}]\n"
    )
    edit(
        repo,
        "library/build.yaml",
        "          - name: level\n            default: info\n            enum: [debug, info, warn]\n",
        "",
    )
    _, doc = review()
    assert doc["templates"][0]["class"] == "feature"
    _, doc = review("--callers", "pipelines")
    build = doc["templates"][0]
    assert build["class"] == "breaking"
    assert "pipelines/nightly.yaml:10" in build["reasons"][0]["callers"]
    assert {c["origin"] for c in build["callers"]} == {"library", "callers"}
    code, _, err = wfsync("review", "--callers", "missing")
    assert code == 2 and "missing" in err


LIVE_WORKFLOW = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "CronWorkflow",
    "metadata": {"name": "nightly", "namespace": "ci"},
    "spec": {
        "schedule": "0 1 * * *",
        "workflowSpec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [
                            {
                                "name": "b",
                                "templateRef": {"name": "build", "template": "main", "clusterScope": True},
                                "arguments": {"parameters": [{"name": "level", "value": "warn"}]},
                            }
                        ]
                    ],
                }
            ],
        },
    },
}


def test_target_callers_on_the_embedded_target(repo: Path) -> None:
    from wfsync.cluster.embedded import EmbeddedCluster

    EmbeddedCluster(repo / ".wfsync" / "cluster").create(dict(LIVE_WORKFLOW))
    edit(repo, "library/build.yaml", "          - name: level\n", "          - name: level2\n")
    _, doc = review("--target", "local")
    build = doc["templates"][0]
    live = [c for c in build["callers"] if c["origin"] == "target"]
    assert live == [
        {
            "origin": "target",
            "kind": "CronWorkflow",
            "name": "nightly",
            "where": "CronWorkflow/ci/nightly",
            "template": "main",
        }
    ]
    assert any("renamed to 'level2' while 1 caller(s) pass it" in r["message"] for r in build["reasons"])
    assert doc["target"] == "local" and doc["drift"] == []


def test_target_callers_over_the_kubernetes_api(repo: Path, shared_kube_server: Any) -> None:
    shared_kube_server.write_kubeconfig(repo / "kubeconfig")
    shared_kube_server.put(dict(LIVE_WORKFLOW))
    (repo / "library" / "build.yaml").unlink()
    code, doc = review("--target", "kube")
    build = by_name(doc)["ClusterWorkflowTemplate/build"]
    assert "CronWorkflow/ci/nightly" in [c["where"] for c in build["callers"]]
    assert "3 known callers" in build["reasons"][0]["message"]
    assert code == 1


def test_secret_values_are_masked(repo: Path) -> None:
    edit(
        repo,
        "library/build.yaml",
        "          - name: msg\n",
        "          - name: msg\n          - name: api-token\n            default: s3cr3t-one\n",
    )
    git(repo, "commit", "-qam", "token")
    edit(repo, "library/build.yaml", "s3cr3t-one", "s3cr3t-two")
    code, out, _ = wfsync("review", "-o", "json")
    assert "s3cr3t" not in out
    code, out, _ = wfsync("review", "-o", "markdown")
    assert "s3cr3t" not in out and "<redacted>" in out.replace("&lt;", "<").replace("&gt;", ">")


def test_text_output_and_history(repo: Path) -> None:
    edit(repo, "library/build.yaml", "[debug, info, warn]", "[debug]")
    code, out, _ = wfsync("review")
    assert code == 1
    assert "breaking  ClusterWorkflowTemplate/build" in out and "needs a major bump" in out
    assert wfsync("version", "bump")[0] == 0
    git(repo, "commit", "-qam", "narrow level")
    edit(repo, "library/build.yaml", "alpine:3.19", "alpine:3.20")
    git(repo, "commit", "-qam", "new alpine (no bump)")
    code, out, _ = wfsync("history", "build", "-o", "json")
    assert code == 0
    entries = json.loads(out)["entries"]
    assert [(e["summary"], e["version"], e["class"]) for e in entries] == [
        ("base", "1.2.3", "feature"),
        ("narrow level", "2.0.0", "breaking"),
        ("new alpine (no bump)", "2.0.0", "fix"),
    ]
    assert entries[2]["versionFinding"] and not entries[1]["versionFinding"]
    assert wfsync("history", "nope")[0] == 2


GOLDEN = Path(__file__).parent / "golden" / "review.md"


def test_markdown_golden(repo: Path) -> None:
    """Several kinds of change in one PR; WFSYNC_REGENERATE=1 rewrites the golden (never in CI)."""
    edit(repo, "library/build.yaml", "[debug, info, warn]", "[debug, info]")
    edit(repo, "library/build.yaml", 'print("done")', 'print("finished")')
    edit(repo, "library/ci.yaml", "depends: build\n", "depends: build && test\n")
    edit(
        repo,
        "library/ci.yaml",
        "    - name: other\n",
        "          - name: test\n            template: other\n            depends: build\n    - name: other\n",
    )
    edit(repo, "library/ci.yaml", '"1.0.0"', '"1.1.0"')
    git(repo, "commit", "-qam", "head")
    code, out, _ = wfsync("review", "--base", "base", "--head", "HEAD", "-o", "markdown")
    assert code == 1
    if os.environ.get("WFSYNC_REGENERATE") == "1" and os.environ.get("CI") != "true":
        GOLDEN.write_text(out)
    assert out == GOLDEN.read_text()
    assert out.count("<details>") == out.count("</details>") == 2
    assert "```mermaid" in out and "class n" in out


def test_workflow_template_callers_follow_argos_namespace_rule(repo: Path) -> None:
    """A templateRef without clusterScope names a WorkflowTemplate in the caller's own namespace."""
    (repo / "library" / "steps.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: steps\n  namespace: team-a\n"
        '  labels:\n    wfsync.io/version: "1.0.0"\nspec:\n  templates:\n    - name: main\n'
        "      container: {image: alpine}\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "steps")
    callers = repo / "pipelines"
    callers.mkdir()
    for ns in ("team-a", "team-b"):
        (callers / f"{ns}.yaml").write_text(
            f"apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: w\n  namespace: {ns}\n"
            "spec:\n  templates:\n    - name: x\n      steps:\n        - - name: s\n"
            "            templateRef: {name: steps, template: main}\n"
        )
    (repo / "library" / "steps.yaml").unlink()
    _, doc = review("--callers", "pipelines")
    gone = next(t for t in doc["templates"] if t["name"] == "steps")
    assert [c["where"] for c in gone["callers"]] == ["pipelines/team-a.yaml:10"]
