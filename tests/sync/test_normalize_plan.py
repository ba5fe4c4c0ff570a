"""Normalisation, content hashes, the semantic diff and the plan (pure functions)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from wfsync.errors import InputError
from wfsync.model.documents import Document, Identity, SourceRef
from wfsync.sync.desired import desired_objects
from wfsync.sync.normalize import content_hash, normalize
from wfsync.sync.ownership import CONTENT_HASH, LIBRARY_LABEL, MANAGED_BY, SOURCE_COMMIT, SOURCE_PATH
from wfsync.sync.plan import Action, build_plan
from wfsync.sync.semdiff import REDACTED, REDACTED_CHANGED, field_changes, unified

CWT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "ClusterWorkflowTemplate",
    "metadata": {"name": "build", "labels": {"wfsync.io/version": "1.0.0"}},
    "spec": {
        "templates": [
            {
                "name": "main",
                "retryStrategy": {"limit": 2},
                "inputs": {"parameters": [{"name": "b", "default": "1"}, {"name": "a", "enum": ["x", "y"]}]},
                "container": {
                    "image": "alpine:3",
                    "args": ["-c", "echo"],
                    "resources": {"limits": {"cpu": "1"}},
                },
            },
            {
                "name": "steps",
                "steps": [[{"name": "one", "template": "main"}], [{"name": "two", "template": "main"}]],
            },
        ]
    },
}
WT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "WorkflowTemplate",
    "metadata": {"name": "ci", "labels": {"wfsync.io/version": "1.0.0"}},
    "spec": {
        "entrypoint": "go",
        "templates": [
            {
                "name": "go",
                "steps": [
                    [
                        {
                            "name": "b",
                            "templateRef": {"name": "build", "template": "main", "clusterScope": True},
                        }
                    ]
                ],
            }
        ],
    },
}


def live_from(body: dict, **meta: object) -> dict:
    """What a server answers for ``body``: server fields, status, reordered lists, string ints."""
    obj = copy.deepcopy(body)
    obj["metadata"].update(
        {"uid": "u", "resourceVersion": "7", "generation": 3, "creationTimestamp": "t", **meta}
    )
    obj["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    obj["status"] = {}
    return obj


def test_server_fields_defaults_and_int_or_string_fold_away() -> None:
    live = live_from(CWT)
    tpl = live["spec"]["templates"][0]
    tpl["retryStrategy"]["limit"] = "2"
    tpl["inputs"]["parameters"].reverse()
    tpl["container"]["resources"]["limits"]["cpu"] = "1000m"
    tpl["container"]["env"] = []
    tpl["outputs"] = {}
    next(p for p in tpl["inputs"]["parameters"] if p["name"] == "b")["default"] = 1
    live["spec"]["templates"].reverse()
    assert normalize(live) == normalize(CWT)
    assert content_hash(live) == content_hash(CWT)


def test_meaningful_order_and_values_still_count() -> None:
    steps = copy.deepcopy(CWT)
    steps["spec"]["templates"][1]["steps"].reverse()
    args = copy.deepcopy(CWT)
    args["spec"]["templates"][0]["container"]["args"].reverse()
    image = copy.deepcopy(CWT)
    image["spec"]["templates"][0]["container"]["image"] = "alpine:4"
    hashes = {content_hash(x) for x in (CWT, steps, args, image)}
    assert len(hashes) == 4


def test_field_changes_match_list_items_by_name() -> None:
    new = copy.deepcopy(CWT)
    new["spec"]["templates"][0]["container"]["image"] = "alpine:4"
    new["spec"]["templates"].insert(0, {"name": "added", "script": {"image": "x", "source": "y"}})
    changes = {c.path: c for c in field_changes(normalize(CWT), normalize(new))}
    assert changes["spec.templates[main].container.image"].before == "alpine:3"
    assert changes["spec.templates[main].container.image"].after == "alpine:4"
    assert changes["spec.templates[added]"].change == "added"
    assert len(changes) == 2
    steps = copy.deepcopy(CWT)
    steps["spec"]["templates"][1]["steps"].reverse()
    paths = [c.path for c in field_changes(normalize(CWT), normalize(steps))]
    assert paths and all(p.startswith("spec.templates[steps].steps") for p in paths)


def test_secrets_are_never_printed() -> None:
    old = copy.deepcopy(WT)
    old["spec"]["arguments"] = {"parameters": [{"name": "api-token", "value": "s3cr3t-old"}]}
    old["spec"]["templates"][0]["env"] = [{"name": "DB_PASSWORD", "value": "hunter2"}]
    new = copy.deepcopy(old)
    new["spec"]["arguments"]["parameters"][0]["value"] = "s3cr3t-new"
    changes = field_changes(normalize(old), normalize(new))
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("spec.arguments.parameters[api-token].value", REDACTED, REDACTED_CHANGED)
    ]
    text = unified(normalize(old), normalize(new), "x") + repr(changes)
    assert "s3cr3t" not in text and "hunter2" not in text and REDACTED_CHANGED in text


def doc(body: dict, path: str = "library/x.yaml", line: int = 1) -> Document:
    return Document(body, SourceRef(Path(path), line))


def desired(*bodies: dict, commit: str = "abc") -> list:
    return desired_objects([doc(b) for b in bodies], library_id="lib", namespace="ci", source_commit=commit)


def test_desired_objects_are_stamped_and_ordered() -> None:
    objs = desired(WT, CWT)
    assert [o.identity for o in objs] == [
        Identity("ClusterWorkflowTemplate", "", "build"),
        Identity("WorkflowTemplate", "ci", "ci"),
    ]
    meta = objs[0].body["metadata"]
    assert meta["labels"] == {"wfsync.io/version": "1.0.0", MANAGED_BY: "wfsync", LIBRARY_LABEL: "lib"}
    assert meta["annotations"][SOURCE_PATH] == "library/x.yaml"
    assert meta["annotations"][SOURCE_COMMIT] == "abc"
    assert meta["annotations"][CONTENT_HASH] == content_hash(CWT)
    with pytest.raises(InputError, match="defined twice"):
        desired(WT, WT)


def test_plan_covers_every_action() -> None:
    wanted = desired(CWT, WT, {**WT, "metadata": {"name": "new"}}, {**WT, "metadata": {"name": "theirs"}})
    by_name = {o.identity.name: o for o in wanted}
    unchanged = live_from(by_name["build"].body)
    changed_body = copy.deepcopy(by_name["ci"].body)
    changed_body["spec"]["entrypoint"] = "old"
    changed_body["metadata"]["annotations"][CONTENT_HASH] = content_hash(changed_body)
    updated = live_from(changed_body)
    unmanaged = live_from({**WT, "metadata": {"name": "theirs", "namespace": "ci"}})
    orphan = live_from({**by_name["ci"].body, "metadata": {**by_name["ci"].body["metadata"], "name": "gone"}})
    plan = build_plan(wanted, [unchanged, updated, unmanaged, orphan], library_id="lib", prune=False)
    actions = {c.identity.name: c.action for c in plan.changes}
    assert actions == {
        "build": Action.UNCHANGED,
        "ci": Action.UPDATE,
        "new": Action.CREATE,
        "theirs": Action.CONFLICT,
        "gone": Action.PRUNE,
    }
    gone = plan.of(Action.PRUNE)[0]
    assert "prune is not enabled" in gone.blocked
    assert "not managed by wfsync" in plan.of(Action.CONFLICT)[0].reason
    assert not plan.in_sync

    drifted = copy.deepcopy(unchanged)
    drifted["spec"]["templates"][0]["container"]["image"] = "edited-by-hand"
    plan = build_plan(wanted[:1], [drifted], library_id="lib", prune=True)
    assert plan.changes[0].action is Action.DRIFT and "--force" in plan.changes[0].reason
    other = copy.deepcopy(unchanged)
    other["metadata"]["labels"][LIBRARY_LABEL] = "other"
    plan = build_plan(wanted[:1], [other], library_id="lib", prune=True)
    assert plan.changes[0].action is Action.CONFLICT and "another wfsync library" in plan.changes[0].reason


def test_prune_refusals() -> None:
    objs = desired(CWT, WT)
    cwt_live, wt_live = (live_from(o.body) for o in objs)
    # empty library: never prune
    plan = build_plan([], [cwt_live, wt_live], library_id="lib", prune=True)
    assert (
        all("library is empty" in c.blocked for c in plan.of(Action.PRUNE))
        and len(plan.of(Action.PRUNE)) == 2
    )
    # still referenced by a kept template
    plan = build_plan(objs[1:], [cwt_live, wt_live], library_id="lib", prune=True)
    (prune,) = plan.of(Action.PRUNE)
    assert prune.identity.name == "build" and "still referenced by WorkflowTemplate/ci/ci" in prune.blocked
    # only this library's objects are candidates
    foreign = live_from(
        {
            **WT,
            "metadata": {
                "name": "x",
                "namespace": "ci",
                "labels": {MANAGED_BY: "wfsync", LIBRARY_LABEL: "other"},
            },
        }
    )
    plan = build_plan(objs, [cwt_live, wt_live, foreign], library_id="lib", prune=True)
    assert plan.of(Action.PRUNE) == [] and plan.in_sync
    # allowed: WorkflowTemplates pruned before ClusterWorkflowTemplates
    keep = {**WT, "metadata": {"name": "keep"}, "spec": {"templates": [{"name": "a", "suspend": {}}]}}
    plan = build_plan(desired(keep), [cwt_live, wt_live], library_id="lib", prune=True)
    assert [(c.identity.kind, c.blocked) for c in plan.of(Action.PRUNE)] == [
        ("WorkflowTemplate", ""),
        ("ClusterWorkflowTemplate", ""),
    ]


@pytest.mark.parametrize("key", [1, None, True])
def test_a_non_string_top_level_key_is_an_input_error_not_a_crash(key: object) -> None:
    # YAML ``1: x`` / ``null: y`` / ``true: z`` at the top of a document
    odd = {**WT, key: "x"}
    digest = content_hash(odd)  # mixed key types used to make json.dumps(sort_keys=True) raise TypeError
    assert digest == content_hash({**WT, str(key): "x"}) and digest != content_hash(WT)
    with pytest.raises(InputError, match=f"top-level key that is not a field name: {key!r}") as err:
        desired_objects(
            [doc(odd, "library/odd.yaml", 4)], library_id="lib", namespace="ci", source_commit="c"
        )
    assert str(err.value).startswith("library/odd.yaml:4: WorkflowTemplate 'ci'")
