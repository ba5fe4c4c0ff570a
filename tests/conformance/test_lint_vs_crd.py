"""Lint's structural verdict agrees with Argo's full CRD schemas (what a v4 API server enforces).

The CRDs are turned into strict JSON Schema (``tests/support/crd_schema.py``) and every Argo
document of the examples is validated both ways. The only documents on which the two disagree
are named with the reason.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.support.crd_schema import validate_document
from wfsync.library.discover import find_yaml_files, parse_text, read_file
from wfsync.lint.linter import lint_document

ARGO_KINDS = {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"}
LINT_ONLY = {
    ("fun-with-gifs.yaml", 0): "no metadata.name: the API server rejects it, but not through the CRD schema",
    ("k8s-jobs.yaml", 0): "no metadata.name: the API server rejects it, but not through the CRD schema",
}


def _lint_schema_rejects(doc: Any) -> bool:
    findings, _, _ = lint_document(doc, in_library=False)
    return any(f.rule.startswith("schema-") for f in findings)


def test_examples_agree_with_crd_schema(argo_examples: Path) -> None:
    files, _ = find_yaml_files([argo_examples])
    checked = agree = 0
    disagreements = []
    for path in files:
        for doc in read_file(path).documents:
            if doc.kind not in ARGO_KINDS:
                continue
            checked += 1
            crd = bool(validate_document(dict(doc.body)))
            lint = _lint_schema_rejects(doc)
            key = (path.name, doc.source.index)
            if crd == lint:
                agree += 1
            elif key not in LINT_ONLY:
                disagreements.append(
                    f"{path.name}#{doc.source.index}: crd rejects={crd}, lint rejects={lint}"
                )
    print(f"\nlint vs CRD schema: {agree}/{checked} documents agree; {len(LINT_ONLY)} named exceptions")
    assert not disagreements, "\n".join(disagreements)
    assert checked >= 220


# Not here: an unknown metadata field (``lables``). The CRD leaves metadata to the API server, which
# drops unknown keys with a warning; lint rejects it, as ``argo lint --strict`` does.
MUTATIONS = {
    "unknown template field": ("spec.templates[0]", "contianer", {"image": "busybox"}),
    "unknown spec field": ("spec", "entrypoints", "main"),
    "wrong type": ("spec", "parallelism", "two"),
    "list for a string": ("spec", "entrypoint", ["main"]),
    "number for a parameter value": ("spec.templates[0].inputs.parameters[0]", "value", 5),
    "string for an integer": ("spec.templates[0]", "parallelism", "x"),
}
BASE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: base}
spec:
  entrypoint: main
  templates:
    - name: main
      retryStrategy: {limit: "2"}
      activeDeadlineSeconds: 10
      container: {image: busybox, args: ["{{inputs.parameters.x}}"]}
      inputs: {parameters: [{name: x, value: "5"}]}
"""


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_schema_mutations_rejected_by_both(name: str, argo_crds: Path) -> None:
    where, key, value = MUTATIONS[name]
    (doc,) = parse_text(Path("m.yaml"), BASE).documents
    body: dict[str, Any] = dict(doc.body)
    assert not validate_document(body) and not _lint_schema_rejects(doc)
    body = copy.deepcopy(body)
    target: Any = body
    for part in where.replace("[0]", ".0").split("."):
        target = target[int(part)] if part.isdigit() else target[part]
    target[key] = value
    mutated = type(doc)(body, doc.source, None)
    assert validate_document(body), "the CRD schema should reject it"
    assert _lint_schema_rejects(mutated), "lint should reject it"
