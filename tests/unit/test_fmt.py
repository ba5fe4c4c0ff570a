"""wfsync.fmt: canonical indentation and key order, comments and scalars kept, idempotent."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import yaml

from wfsync.errors import CompletionError, InputError
from wfsync.fmt.formatter import format_text, needs_formatting

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "fmt"


def fmt(text: str) -> str:
    return format_text(textwrap.dedent(text))


def keys_of(text: str, *path: str | int) -> list[str]:
    node = yaml.safe_load(text)
    for part in path:
        node = node[part]
    return list(node)


WORKFLOW = """\
spec:
  templates:
  - container:
      args: [hi]
      command: [echo]
      image: busybox
      name: main
      env:
      - value: "1"
        name: A
    outputs: {}
    timeout: 10s
    inputs:
      parameters:
      - value: x
        name: p
    name: main
  - name: flow
    dag:
      tasks:
      - depends: "a"
        withItems: [1]
        arguments:
          artifacts:
          - from: x
            name: art
        template: main
        name: b
  entrypoint: main
  arguments:
    parameters:
    - value: v
      name: g
  workflowTemplateRef:
    name: other
metadata:
  annotations:
    a: b
  namespace: ns
  name: wf
kind: Workflow
apiVersion: argoproj.io/v1alpha1
"""


def test_argo_key_order() -> None:
    out = format_text(WORKFLOW)
    assert keys_of(out) == ["apiVersion", "kind", "metadata", "spec"]
    assert keys_of(out, "metadata") == ["name", "namespace", "annotations"]
    assert keys_of(out, "spec") == ["workflowTemplateRef", "entrypoint", "arguments", "templates"]
    assert keys_of(out, "spec", "arguments", "parameters", 0) == ["name", "value"]
    template = ["name", "inputs", "outputs", "timeout", "container"]
    assert keys_of(out, "spec", "templates", 0) == template
    assert keys_of(out, "spec", "templates", 0, "inputs", "parameters", 0) == ["name", "value"]
    assert keys_of(out, "spec", "templates", 0, "container") == ["name", "image", "command", "args", "env"]
    assert keys_of(out, "spec", "templates", 0, "container", "env", 0) == ["name", "value"]
    task = ["name", "template", "arguments", "depends", "withItems"]
    assert keys_of(out, "spec", "templates", 1, "dag", "tasks", 0) == task
    assert keys_of(out, "spec", "templates", 1, "dag", "tasks", 0, "arguments", "artifacts", 0) == [
        "name",
        "from",
    ]
    assert yaml.safe_load(out) == yaml.safe_load(WORKFLOW)


def test_unknown_keys_keep_their_relative_order_between_head_and_tail() -> None:
    out = fmt("""\
        kind: WorkflowTemplate
        spec:
          templates: []
          zeta: 1
          entrypoint: main
          alpha: 2
        apiVersion: argoproj.io/v1alpha1
        """)
    assert keys_of(out, "spec") == ["entrypoint", "zeta", "alpha", "templates"]


def test_cron_workflow_spec_and_its_workflow_spec_are_ordered() -> None:
    out = fmt("""\
        kind: CronWorkflow
        apiVersion: argoproj.io/v1alpha1
        spec:
          workflowSpec:
            templates: []
            entrypoint: main
          schedule: "* * * * *"
        """)
    assert keys_of(out, "spec") == ["schedule", "workflowSpec"]
    assert keys_of(out, "spec", "workflowSpec") == ["entrypoint", "templates"]


def test_other_kinds_only_get_indentation() -> None:
    source = """\
        kind: ConfigMap
        apiVersion: v1
        data:
            b: |
                text
            a:
            - 1
        """
    assert fmt(source) == "kind: ConfigMap\napiVersion: v1\ndata:\n  b: |\n    text\n  a:\n    - 1\n"


def test_argo_indentation_and_parallel_steps() -> None:
    out = fmt("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        spec:
          templates:
          - name: main
            steps:
            - - name: a
                template: t
              - name: b
                template: t
        """)
    assert out.endswith(
        "  templates:\n"
        "    - name: main\n"
        "      steps:\n"
        "        - - name: a\n"
        "            template: t\n"
        "          - name: b\n"
        "            template: t\n"
    )


def test_comments_follow_moved_keys() -> None:
    out = fmt("""\
        # header
        kind: Workflow  # the kind
        # about the API version
        apiVersion: argoproj.io/v1alpha1
        spec:
          templates:
          - name: a
            container:
              image: busybox
              # commented-out: args: [x]
            # about the inputs
            inputs: {}
        """)
    assert out == textwrap.dedent("""\
        # header
        # about the API version
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow  # the kind
        spec:
          templates:
            - name: a
              # about the inputs
              inputs: {}
              container:
                image: busybox
                # commented-out: args: [x]
        """)


def test_refuses_a_result_that_would_change_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from wfsync.fmt import formatter

    monkeypatch.setattr(formatter, "canonicalize", lambda document: document.update({"extra": 1}))
    with pytest.raises(CompletionError, match="would change the data"):
        format_text("a: 1\n", path="x.yaml")


def test_block_scalars_quotes_and_long_lines_are_kept() -> None:
    long = "x" * 300
    source = textwrap.dedent(f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        spec:
          templates:
          - name: s
            script:
              source: |
                echo "a"

                echo 'b'
              image: 'alpine'
              args: ["{long}", '1', "yes", 2]
            outputs:
              parameters:
              - name: folded
                value: >-
                  one
                  two
        """)
    out = format_text(source)
    assert "    source: |\n          echo \"a\"\n\n          echo 'b'\n" in out
    assert "image: 'alpine'" in out
    assert f'args: ["{long}", \'1\', "yes", 2]' in out
    assert "value: >-\n              one\n              two\n" in out
    assert yaml.safe_load(out) == yaml.safe_load(source)


def test_multi_document_stream_keeps_separators_and_header() -> None:
    source = "# file header\n---\nb: 1\na: 2\n--- # second\nkind: Workflow\napiVersion: v\n"
    assert (
        format_text(source) == "# file header\n---\nb: 1\na: 2\n--- # second\napiVersion: v\nkind: Workflow\n"
    )


def test_stream_with_directive_uses_ruamel_documents() -> None:
    out = format_text("%YAML 1.2\n---\nkind: Workflow\napiVersion: v\n")
    assert list(yaml.safe_load_all(out)) == [{"apiVersion": "v", "kind": "Workflow"}]
    assert out.index("apiVersion") < out.index("kind")


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3),
        ("a: 1\n---\nb: 1\n  c: 2\n", 4),
        ("a: 1\na: 2\n", 2),
    ],
    ids=["unclosed-flow", "second-document", "duplicate-key"],
)
def test_invalid_yaml_is_an_input_error_with_line(source: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        format_text(source, path="bad.yaml")
    assert info.value.line == line
    assert info.value.path == Path("bad.yaml")
    assert str(info.value).startswith(f"bad.yaml:{line}: not valid YAML")


def test_idempotent_and_needs_formatting() -> None:
    once = format_text(WORKFLOW)
    assert format_text(once) == once
    assert needs_formatting(WORKFLOW)
    assert not needs_formatting(once)


def test_empty_and_comment_only_documents_are_kept() -> None:
    assert format_text("") == ""
    assert format_text("# only a comment\n") == "# only a comment\n"
    assert format_text("a: 1\n---\n") == "a: 1\n---\n"


def _golden_cases() -> list[str]:
    return sorted(path.name.removesuffix(".in.yaml") for path in GOLDEN.glob("*.in.yaml"))


@pytest.mark.parametrize("case", _golden_cases())
def test_golden(case: str) -> None:
    """``<case>.in.yaml`` formats to ``<case>.out.yaml``; WFSYNC_REGENERATE=1 rewrites them (never in CI)."""
    source = (GOLDEN / f"{case}.in.yaml").read_text(encoding="utf-8")
    expected_path = GOLDEN / f"{case}.out.yaml"
    out = format_text(source, path=f"{case}.in.yaml")
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not in_ci and (os.environ.get("WFSYNC_REGENERATE") == "1" or not expected_path.exists()):
        expected_path.write_text(out, encoding="utf-8")
    assert expected_path.exists(), f"missing golden file {expected_path}"
    assert out == expected_path.read_text(encoding="utf-8")
    assert format_text(out) == out
    assert list(yaml.safe_load_all(out)) == list(yaml.safe_load_all(source))
