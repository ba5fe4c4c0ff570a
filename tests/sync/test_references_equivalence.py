"""sync's references come from the model's walker and resolver: same answers as the old walk.

The old implementation (a recursive search for any ``templateRef``/``workflowTemplateRef``
mapping under ``spec``) is kept here as the oracle, over Argo's examples and the library.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, corpus_path
from wfsync.model.documents import Identity, Kind
from wfsync.sync.references import references


def _old_refs(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("templateRef", "workflowTemplateRef") and isinstance(item, Mapping):
                yield item
            else:
                yield from _old_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _old_refs(item)


def _old_references(body: Mapping[str, Any], namespace: str) -> set[Identity]:
    found: set[Identity] = set()
    for ref in _old_refs(body.get("spec")):
        name = ref.get("name")
        if not isinstance(name, str) or not name or "{{" in name:
            continue
        if ref.get("clusterScope") is True:
            found.add(Identity(Kind.CLUSTER_WORKFLOW_TEMPLATE.value, "", name))
        else:
            found.add(Identity(Kind.WORKFLOW_TEMPLATE.value, namespace, name))
    return found


def _documents(*roots: Path) -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for root in roots:
        for path in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
            try:
                loaded = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            except yaml.YAMLError:
                continue
            docs += [(f"{path}#{i}", d) for i, d in enumerate(loaded) if isinstance(d, dict)]
    return docs


@pytest.mark.corpus
def test_references_equal_the_old_walk_over_argo_examples_and_the_library() -> None:
    docs = _documents(corpus_path("argo", "examples"), REPO_ROOT / "library")
    with_refs = 0
    for where, body in docs:
        for namespace in ("", "team-a"):
            assert references(body, namespace) == _old_references(body, namespace), where
        with_refs += bool(_old_references(body, ""))
    assert len(docs) > 150 and with_refs >= 10


def test_a_reference_inside_an_inline_template_and_a_cron_workflow_counts() -> None:
    body = {
        "kind": "CronWorkflow",
        "spec": {
            "workflowSpec": {
                "workflowTemplateRef": {"name": "base"},
                "templates": [
                    {
                        "name": "m",
                        "steps": [
                            [
                                {
                                    "name": "s",
                                    "inline": {
                                        "dag": {
                                            "tasks": [
                                                {
                                                    "name": "t",
                                                    "templateRef": {
                                                        "name": "lib",
                                                        "template": "x",
                                                        "clusterScope": True,
                                                    },
                                                },
                                            ]
                                        }
                                    },
                                }
                            ]
                        ],
                    },
                ],
            }
        },
    }
    assert (
        references(body, "ns")
        == _old_references(body, "ns")
        == {
            Identity("WorkflowTemplate", "ns", "base"),
            Identity("ClusterWorkflowTemplate", "", "lib"),
        }
    )
