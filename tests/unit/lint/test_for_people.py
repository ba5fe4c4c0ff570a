"""Lint for people: line and column, a code frame, "did you mean", arguments, volumes, ``when``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wfsync.lint.linter import LintOptions, lint_paths
from wfsync.lint.rules.spec import when_syntax_problem

LIBRARY = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: checkout}
spec:
  templates:
    - name: clone
      inputs: {parameters: [{name: repo}]}
      container:
        image: alpine/git
        volumeMounts: [{name: workspace, mountPath: /work}]
"""

CALLER = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: build-}
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: get
            templateRef: {name: checkout, template: clone, clusterScope: true}
            arguments: {parameters: [{name: repo, value: x}]}
"""


def lint(tmp_path: Path, **files: str) -> list[tuple[str, str, int, int]]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    report = lint_paths([tmp_path], LintOptions())
    return [(f.path.stem, f.rule, f.line, f.column or 0) for f in report.findings]


def test_library_template_mounting_a_volume_is_fine_on_its_own(tmp_path: Path) -> None:
    assert lint(tmp_path, lib=LIBRARY) == []


def test_workflow_calling_it_without_the_volume_is_reported_at_the_call(tmp_path: Path) -> None:
    assert lint(tmp_path, lib=LIBRARY, wf=CALLER) == [("wf", "volume-undeclared", 10, 13)]
    message = lint_paths([tmp_path], LintOptions()).findings[0].message
    assert "task 'get' calls template 'clone' of ClusterWorkflowTemplate 'checkout'" in message


@pytest.mark.parametrize(
    "declaration",
    [
        "  volumes: [{name: workspace, emptyDir: {}}]\n",
        "  volumeClaimTemplates: [{metadata: {name: workspace}, spec: {accessModes: [ReadWriteOnce]}}]\n",
        "  podSpecPatch: '{}'\n",
    ],
)
def test_declared_volume_or_claim_or_pod_patch_passes(tmp_path: Path, declaration: str) -> None:
    assert lint(tmp_path, lib=LIBRARY, wf=CALLER + declaration) == []


def test_unreached_templates_and_template_level_volumes_are_not_reported(tmp_path: Path) -> None:
    local = CALLER.replace(
        "          - name: get", "          - {name: own, template: own}\n          - name: get"
    ) + (
        "    - name: own\n      volumes: [{name: scratch, emptyDir: {}}]\n"
        "      container: {image: a, volumeMounts: [{name: scratch, mountPath: /s}]}\n"
        "    - name: unused\n      container: {image: a, volumeMounts: [{name: nope, mountPath: /n}]}\n"
        "  volumes: [{name: workspace, emptyDir: {}}]\n"
    )
    assert lint(tmp_path, lib=LIBRARY, wf=local) == []


def test_workflow_template_with_an_entrypoint_is_checked(tmp_path: Path) -> None:
    submitted = CALLER.replace("kind: Workflow", "kind: WorkflowTemplate").replace(
        "generateName: build-", "name: build"
    )
    assert lint(tmp_path, lib=LIBRARY, wft=submitted) == [("wft", "volume-undeclared", 10, 13)]


def test_workflow_template_ref_merges_volumes(tmp_path: Path) -> None:
    submitted = CALLER.replace("kind: Workflow", "kind: WorkflowTemplate").replace(
        "generateName: build-", "name: build"
    )
    run = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: r-}\nspec:\n"
    run += "  workflowTemplateRef: {name: build}\n"
    found = lint(tmp_path, lib=LIBRARY, wft=submitted, run=run)
    assert ("run", "volume-undeclared", 5, 3) in found
    fixed = run + "  volumes: [{name: workspace, emptyDir: {}}]\n"
    assert [f for f in lint(tmp_path, run=fixed) if f[0] == "run"] == []


def test_argument_to_templateref_names_the_closest_input(tmp_path: Path) -> None:
    wf = (
        CALLER.replace("{name: repo, value: x}", "{name: rpeo, value: x}")
        + "  volumes: [{name: workspace}]\n"
    )
    assert ("wf", "argument-unknown", 12, 45) in lint(tmp_path, lib=LIBRARY, wf=wf)
    report = lint_paths([tmp_path], LintOptions())
    unknown = [f for f in report.findings if f.rule == "argument-unknown"]
    assert [(f.line, f.column, f.suggestion) for f in unknown] == [(12, 45, "repo")]


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ('{{= {"Succeeded": "success"}[tasks.a.status] == "success" }}', None),
        ("{{=tasks.a.status}} == Succeeded", None),
        ('{{= "}" == "x" }}', None),
        ('{{= {"a": {"b": "c"}}["a"]["b"] == "c" }}', "Argo ends a '{{=' expression at the first '}}'"),
        ("({{tasks.a.status}} == Succeeded", "Unbalanced parenthesis"),
    ],
)
def test_when_tags_end_where_fasttemplate_ends_them(when: str, problem: str | None) -> None:
    found = when_syntax_problem(when)
    assert found == problem if problem is None else (found or "").startswith(problem)


def test_lint_twice_from_the_cache_gives_the_same_findings(tmp_path: Path) -> None:
    (tmp_path / "lib.yaml").write_text(LIBRARY)
    (tmp_path / "wf.yaml").write_text(CALLER)
    options = LintOptions(cache_dir=tmp_path / "cache")
    cold = lint_paths([tmp_path / "lib.yaml", tmp_path / "wf.yaml"], options)
    warm = lint_paths([tmp_path / "lib.yaml", tmp_path / "wf.yaml"], options)
    assert warm.cached_files == 2 and warm.findings == cold.findings != ()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wfsync", *args], capture_output=True, text=True, cwd=cwd)


def test_text_output_prints_the_line_with_a_caret_and_json_the_suggestion(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(
        CALLER.replace(
            "templateRef: {name: checkout, template: clone, clusterScope: true}", "template: sya"
        ).replace("{name: repo, value: x}", "{name: m, value: x}")
        + "    - name: say\n      inputs: {parameters: [{name: m}]}\n      container: {image: a}\n"
    )
    proc = _cli("lint", "wf.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if "template-not-found" in line)
    assert "11:23" in lines[head] and "did you mean `say`?" in lines[head]
    assert lines[head + 1].endswith("|             template: sya")
    assert lines[head + 2].endswith("|                       ^")
    doc = json.loads(_cli("lint", "wf.yaml", "-o", "json", cwd=tmp_path).stdout)
    (finding,) = doc["findings"]
    assert (finding["line"], finding["column"], finding["suggestion"]) == (11, 23, "say")
    github = _cli("lint", "wf.yaml", "-o", "github", cwd=tmp_path).stdout
    assert github.startswith("::error file=wf.yaml,line=11,col=23,")
