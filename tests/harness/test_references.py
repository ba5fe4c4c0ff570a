"""Referenced templates: found transitively, judged against the library's plan for the target."""

from __future__ import annotations

import copy
from typing import Any

from wfsync.harness.references import Problem, problems, referenced
from wfsync.model.documents import Identity
from wfsync.sync.desired import stamped
from wfsync.sync.normalize import content_hash
from wfsync.sync.plan import build_plan

CWT = Identity("ClusterWorkflowTemplate", "", "say")
WT = Identity("WorkflowTemplate", "ci", "build")
OTHER = Identity("WorkflowTemplate", "ci", "notify")


def _template(ident: Identity, version: str, refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    steps = [[{"name": f"s{i}", "templateRef": ref} for i, ref in enumerate(refs or [])]]
    meta: dict[str, Any] = {"name": ident.name, "labels": {"wfsync.io/version": version}}
    if ident.namespace:
        meta["namespace"] = ident.namespace
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": ident.kind,
        "metadata": meta,
        "spec": {
            "templates": [
                {"name": "main", "steps": steps} if refs else {"name": "main", "container": {"image": "a"}}
            ]
        },
    }


def _desired(body: dict[str, Any], ident: Identity) -> Any:
    return stamped(
        ident, body, content_hash(body), line=1, library_id="lib", source_path="x.yaml", source_commit="c"
    )


WORKFLOW = {
    "kind": "Workflow",
    "metadata": {"name": "w", "namespace": "ci"},
    "spec": {"workflowTemplateRef": {"name": "build"}},
}
BUILD = _template(
    WT,
    "1.0.0",
    [{"name": "say", "template": "main", "clusterScope": True}, {"name": "notify", "template": "main"}],
)
SAY = _template(CWT, "2.0.0")


def test_references_followed_transitively_and_cycles_end() -> None:
    bodies = {WT: BUILD, CWT: _template(CWT, "1", [{"name": "build", "template": "main"}])}
    assert referenced(WORKFLOW, "ci", bodies.get) == sorted(
        [CWT, WT, OTHER], key=lambda i: (i.kind, i.namespace, i.name)
    )


def test_templated_names_are_left_out() -> None:
    wf = {"kind": "Workflow", "spec": {"workflowTemplateRef": {"name": "{{workflow.parameters.t}}"}}}
    assert referenced(wf, "ci", lambda _i: None) == []


def test_missing_outdated_and_in_sync() -> None:
    desired = [_desired(SAY, CWT), _desired(BUILD, WT)]
    old_build = copy.deepcopy(desired[1].body)
    old_build["metadata"]["labels"]["wfsync.io/version"] = "0.9.0"
    old_build["metadata"]["annotations"]["wfsync.io/content-hash"] = "old"
    old_build["spec"]["templates"][0]["steps"][0][0]["name"] = "renamed"
    old_build["metadata"]["annotations"]["wfsync.io/content-hash"] = content_hash(old_build)
    plan = build_plan(desired, [old_build], library_id="lib", prune=False)
    found = problems([CWT, WT, OTHER], {c.identity: c for c in plan.changes}, {})
    by_id = {p.identity: p for p in found}
    assert by_id[CWT].problem is Problem.MISSING and by_id[CWT].pushable
    assert (
        by_id[WT].problem is Problem.OUTDATED and "0.9.0" in by_id[WT].detail and "1.0.0" in by_id[WT].detail
    )
    assert by_id[OTHER].problem is Problem.MISSING and not by_id[OTHER].pushable


def test_present_templates_are_fine() -> None:
    desired = [_desired(SAY, CWT)]
    plan = build_plan(desired, [copy.deepcopy(desired[0].body)], library_id="lib", prune=False)
    changes = {c.identity: c for c in plan.changes}
    assert problems([CWT, OTHER], changes, {OTHER: {"kind": "WorkflowTemplate"}}) == []


def test_drift_and_foreign_are_not_pushable() -> None:
    desired = [_desired(SAY, CWT), _desired(BUILD, WT)]
    edited = copy.deepcopy(desired[0].body)
    edited["spec"]["templates"][0]["container"]["image"] = "b"
    foreign = copy.deepcopy(BUILD)
    plan = build_plan(desired, [edited, foreign], library_id="lib", prune=False)
    found = {p.identity: p for p in problems([CWT, WT], {c.identity: c for c in plan.changes}, {})}
    assert found[CWT].problem is Problem.DRIFTED and not found[CWT].pushable
    assert found[WT].problem is Problem.FOREIGN and not found[WT].pushable
