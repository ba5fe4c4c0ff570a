"""Argo's validation rules on small documents: what passes and what each rule catches."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.lint.linter import lint_text


def rules(text: str) -> list[tuple[str, int]]:
    result = lint_text(Path("t.yaml"), text)
    return sorted((f.rule, f.line) for f in result.findings)


HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: t-}\nspec:\n"


def test_loops_transitive_ancestors_and_earlier_steps_pass() -> None:
    text = (
        HEAD
        + """\
  entrypoint: main
  arguments: {parameters: [{name: p, value: v}]}
  templates:
    - name: main
      dag:
        tasks:
          - {name: a, template: echo, arguments: {parameters: [{name: m, value: "{{workflow.parameters.p}}"}]}}
          - {name: b, depends: a, template: echo, arguments: {parameters: [{name: m, value: "{{tasks.a.outputs.result}}"}]}}
          - name: c
            depends: "b.Succeeded || b.Failed"
            template: echo
            withItems: [{k: 1}, {k: 2}]
            arguments: {parameters: [{name: m, value: "{{tasks.a.id}} {{item.k}} {{item}}"}]}
          - {name: s, depends: c, template: loop}
    - name: loop
      steps:
        - - {name: one, template: echo, arguments: {parameters: [{name: m, value: x}]}}
        - - name: two
            template: echo
            when: "'{{steps.one.outputs.result}}' == 'x'"
            arguments: {parameters: [{name: m, value: "{{steps.one.outputs.result}}"}]}
      outputs:
        parameters:
          - {name: out, valueFrom: {parameter: "{{steps.two.outputs.result}}"}}
    - name: echo
      inputs: {parameters: [{name: m}]}
      container: {image: busybox, args: ["{{inputs.parameters.m}} {{pod.name}} {{retries}} {{=inputs.parameters.m}}"]}
"""
    )
    assert rules(text) == []


def test_tasks_reference_needs_an_ancestor() -> None:
    text = (
        HEAD
        + """\
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - {name: a, template: echo}
          - {name: b, template: echo}
          - {name: c, dependencies: [a], template: echo, arguments: {parameters: [{name: m, value: "{{tasks.b.outputs.result}}"}]}}
    - name: echo
      inputs: {parameters: [{name: m, default: x}]}
      container: {image: busybox}
"""
    )
    assert rules(text) == [("variable-unresolved", 12)]


def test_workflow_template_ref_and_templates_conflict() -> None:
    text = (
        HEAD
        + """\
  workflowTemplateRef: {name: other}
  templates:
    - {name: a, container: {image: busybox}}
"""
    )
    assert ("field-not-allowed", 6) in rules(text)


def test_onexit_and_hooks_must_resolve() -> None:
    text = (
        HEAD
        + """\
  entrypoint: a
  onExit: cleanup
  hooks:
    running: {template: notify, expression: workflow.status == "Running"}
  templates:
    - {name: a, container: {image: busybox}}
"""
    )
    assert rules(text) == [("template-not-found", 6), ("template-not-found", 8)]


def test_cron_workflow_spec_is_checked() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 3 * * *"]
  workflowSpec:
    entrypoint: mian
    templates:
      - {name: main, container: {image: busybox}}
"""
    assert rules(text) == [("entrypoint-missing", 7)]


def test_long_names() -> None:
    long = "a" * 64
    text = (
        HEAD.replace("generateName: t-", f"name: {long}")
        + "  entrypoint: x\n  templates:\n    - {name: x, suspend: {}}\n"
    )
    assert rules(text) == [("name-format", 3)]


@pytest.mark.parametrize(
    ("when", "ok"),
    [
        ("{{steps.a.outputs.result}} == heads", True),
        ("'{{steps.a.outputs.result}}' =~ '^h'", True),
        ("{{=steps.a.outputs.result == 'x'}}", True),
        ("({{steps.a.outputs.result}} == heads", False),
        ("{{steps.a.outputs.result}} ==", False),
        ("a == 'b", False),
    ],
)
def test_when_syntax(when: str, ok: bool) -> None:
    text = (
        HEAD
        + f"""\
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {{name: a, template: leaf}}
        - - name: b
            template: leaf
            when: {when!r}
    - {{name: leaf, container: {{image: busybox}}}}
"""
    )
    assert (rules(text) == []) is ok, rules(text)


def test_other_kinds_are_skipped_not_errors() -> None:
    result = lint_text(
        Path("t.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\nfoo: bar\n"
    )
    assert result.findings == ()
    assert [s.kind for s in result.skipped] == ["ConfigMap", "(no kind)"]
