"""Every breaking class injected into every WorkflowTemplate/ClusterWorkflowTemplate of Argo's examples and
the library is classified breaking with the right reason; cosmetic edits (fmt, descriptions) never are.

Run with ``-s`` to see the counts.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, corpus_root
from wfsync.fmt.formatter import format_text
from wfsync.library.discover import parse_text
from wfsync.lint.index import summarize
from wfsync.model.documents import LIBRARY_KINDS, Identity
from wfsync.review.classify import TYPE_KEYS, ChangeClass, classify
from wfsync.review.impact import CallerIndex
from wfsync.review.match import Pair, match
from wfsync.review.snapshot import Template
from wfsync.sync.normalize import normalize

Body = dict[str, Any]
Injection = Callable[[Body], tuple[Body | None, str] | None]
"""A mutation of a document: the new body (None: removed) and the reason expected, or None if n/a."""


def sources() -> list[tuple[str, Body]]:
    """Every WT/CWT document of the library and (when present) Argo's examples."""
    folders = [REPO_ROOT / "library"]
    examples = corpus_root() / "argo" / "examples"
    if examples.is_dir():
        folders.append(examples)
    out: list[tuple[str, Body]] = []
    for folder in folders:
        for path in sorted(folder.rglob("*.y*ml")):
            read = parse_text(path, path.read_text())
            out.extend(
                (f"{path.relative_to(folder.parent)}:{doc.source.line}", dict(doc.body))
                for doc in read.documents
                if doc.kind in LIBRARY_KINDS and doc.name
            )
    return out


def members(body: Body) -> list[Body]:
    return [
        t for t in (body.get("spec") or {}).get("templates") or [] if isinstance(t, dict) and t.get("name")
    ]


def first_with(body: Body, test: Callable[[Body], bool]) -> Body | None:
    return next((t for t in members(body) if test(t)), None)


def params(t: Body, section: str = "inputs", kind: str = "parameters") -> list[Body]:
    return [p for p in (t.get(section) or {}).get(kind) or [] if isinstance(p, dict) and p.get("name")]


def removed(body: Body) -> tuple[Body | None, str]:
    return None, "removed"


def renamed(body: Body) -> tuple[Body | None, str]:
    body["metadata"]["name"] = body["metadata"]["name"] + "-v2"
    return body, "renamed from"


def member_removed(body: Body) -> tuple[Body | None, str] | None:
    if not members(body):
        return None
    gone = members(body)[-1]
    body["spec"]["templates"].remove(gone)
    return body, f"template {gone['name']!r} removed"


def member_renamed(body: Body) -> tuple[Body | None, str] | None:
    if not members(body):
        return None
    t = members(body)[-1]
    old, t["name"] = t["name"], t["name"] + "-renamed"
    return body, f"template {old!r} renamed to {t['name']!r}"


def input_required(body: Body) -> tuple[Body | None, str] | None:
    if not members(body):
        return None
    t = members(body)[0]
    t.setdefault("inputs", {}).setdefault("parameters", []).append({"name": "injected"})
    return body, f"input 'injected' of {t['name']!r} added without a default"


def artifact_required(body: Body) -> tuple[Body | None, str] | None:
    if not members(body):
        return None
    t = members(body)[0]
    t.setdefault("inputs", {}).setdefault("artifacts", []).append({"name": "injected", "path": "/tmp/x"})
    return body, f"input artifact 'injected' of {t['name']!r} added without optional"


def input_removed_while_passed(body: Body) -> tuple[Body | None, str] | None:
    t = first_with(body, lambda t: bool(params(t)))
    if t is None:
        return None
    gone = params(t)[0]
    t["inputs"]["parameters"].remove(gone)
    return body, f"input {gone['name']!r} of {t['name']!r} removed while 1 caller(s) pass it"


def artifact_removed_while_passed(body: Body) -> tuple[Body | None, str] | None:
    t = first_with(body, lambda t: bool(params(t, kind="artifacts")))
    if t is None:
        return None
    gone = params(t, kind="artifacts")[0]
    t["inputs"]["artifacts"].remove(gone)
    return body, f"input artifact {gone['name']!r} of {t['name']!r} removed while 1 caller(s) pass it"


def output_removed(body: Body) -> tuple[Body | None, str] | None:
    for kind in ("parameters", "artifacts"):
        t = next((m for m in members(body) if params(m, "outputs", kind)), None)
        if t is not None:
            gone = params(t, "outputs", kind)[0]
            t["outputs"][kind].remove(gone)
            word = "parameter" if kind == "parameters" else "artifact"
            return body, f"output {word} {gone['name']!r} of {t['name']!r} removed"
    return None


def enum_narrowed(body: Body) -> tuple[Body | None, str] | None:
    for t in members(body):
        for p in params(t):
            if isinstance(p.get("enum"), list) and len(p["enum"]) >= 2:
                lost = p["enum"].pop()
                return body, f"enum narrowed, {lost} no longer accepted"
    holder = first_with(body, lambda t: bool(params(t)))
    if holder is None:
        return None
    params(holder)[0]["enum"] = ["only-this"]
    return body, "enum added, only"


def type_changed(body: Body) -> tuple[Body | None, str] | None:
    if not members(body):
        return None
    t = members(body)[0]
    old = next((k for k in TYPE_KEYS if k in t), None)
    if old is None:
        return None
    new = "suspend" if old != "suspend" else "container"
    del t[old]
    t[new] = {} if new == "suspend" else {"image": "alpine"}
    return body, f"template {t['name']!r} changed type from {old} to {new}"


def entrypoint_changed(body: Body) -> tuple[Body | None, str] | None:
    spec = body.get("spec") or {}
    others = [t["name"] for t in members(body) if t["name"] != spec.get("entrypoint")]
    if not spec.get("entrypoint") or not others:
        return None
    spec["entrypoint"] = others[0]
    return body, "entrypoint changed from"


INJECTIONS: dict[str, Injection] = {
    "family removed": removed,
    "family renamed": renamed,
    "template removed": member_removed,
    "template renamed": member_renamed,
    "required input added": input_required,
    "required artifact added": artifact_required,
    "passed input removed": input_removed_while_passed,
    "passed artifact removed": artifact_removed_while_passed,
    "output removed": output_removed,
    "enum narrowed": enum_narrowed,
    "type changed": type_changed,
    "entrypoint changed": entrypoint_changed,
}


def template(body: Body, where: str) -> Template:
    ident = Identity(body["kind"], "", body["metadata"]["name"])
    return Template(ident, normalize(body), where, 1)


def callers_passing_everything(body: Body) -> CallerIndex:
    """A caller of each member that passes every input parameter and artifact (so removing one breaks it)."""
    index = CallerIndex()
    cluster = body["kind"] == "ClusterWorkflowTemplate"
    steps = [
        [
            {
                "name": f"call-{i}",
                "templateRef": {
                    "name": body["metadata"]["name"],
                    "template": t["name"],
                    "clusterScope": cluster,
                },
                "arguments": {
                    "parameters": [{"name": p["name"], "value": "x"} for p in params(t)],
                    "artifacts": [
                        {"name": a["name"], "raw": {"data": "x"}} for a in params(t, kind="artifacts")
                    ],
                },
            }
        ]
        for i, t in enumerate(members(body))
    ]
    wf = {"kind": "Workflow", "spec": {"templates": [{"name": "main", "steps": steps}]}}
    index.add("callers", [summarize(wf, "Workflow", "caller.yaml", 1, lambda _p: 0, "", "caller")])
    return index


def injected() -> Iterator[tuple[str, str, Pair, str, CallerIndex]]:
    for where, body in sources():
        callers = callers_passing_everything(body)
        base = template(body, where)
        for name, inject in INJECTIONS.items():
            result = inject(copy.deepcopy(body))
            if result is None:
                continue
            new_body, reason = result
            head = {} if new_body is None else {(t := template(new_body, where)).identity: t}
            pairs = match({base.identity: base}, head)
            yield where, name, pairs[0], reason, callers


def test_every_breaking_class_injected_is_breaking_with_its_reason() -> None:
    counts: Counter[str] = Counter()
    documents = set()
    wrong: list[str] = []
    for where, name, pair, reason, callers in injected():
        documents.add(where)
        verdict = classify(pair, callers)
        breaking = [r.message for r in verdict.reasons if r.change_class is ChangeClass.BREAKING]
        if verdict.change_class is not ChangeClass.BREAKING or not any(reason in m for m in breaking):
            wrong.append(
                f"{where} {name}: {verdict.change_class.value} {[r.message for r in verdict.reasons]}"
            )
        counts[name] += 1
    print(
        f"\nbreaking injections: {sum(counts.values())} into {len(documents)} templates, {len(wrong)} wrong"
    )
    for name, n in counts.items():
        print(f"  {name:24} {n}")
    assert not wrong, "\n".join(wrong[:20])
    assert len(counts) == len(INJECTIONS)


def test_cosmetic_edits_are_never_breaking() -> None:
    checked = 0
    for where, body in sources():
        base = template(body, where)
        edited = copy.deepcopy(body)
        for t in members(edited):
            t["metadata"] = {**(t.get("metadata") or {})}
            for p in params(t):
                p["description"] = "a new description"
        annotations = edited["metadata"].setdefault("annotations", {}) or {}
        annotations["workflows.argoproj.io/description"] = "changed"
        edited["metadata"]["annotations"] = annotations
        verdict = classify(Pair(base, template(edited, where)), callers_passing_everything(body))
        assert verdict.change_class in (ChangeClass.COSMETIC, ChangeClass.NONE), (where, verdict.reasons)
        checked += 1
    print(f"\ncosmetic edits: {checked} templates, none breaking")


@pytest.mark.parametrize("folder", ["library", "examples"])
def test_fmt_is_never_a_change(folder: str) -> None:
    root = REPO_ROOT / "library" if folder == "library" else corpus_root() / "argo" / "examples"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    checked = 0
    for path in sorted(root.rglob("*.y*ml")):
        text = path.read_text()
        try:
            formatted = format_text(text, path=path)
        except Exception:  # noqa: BLE001 - files fmt refuses are not what this test is about
            continue
        before = [d for d in parse_text(path, text).documents if d.kind in LIBRARY_KINDS and d.name]
        after = [d for d in parse_text(path, formatted).documents if d.kind in LIBRARY_KINDS and d.name]
        for a, b in zip(before, after, strict=True):
            pair = Pair(template(dict(a.body), str(path)), template(dict(b.body), str(path)))
            assert classify(pair, CallerIndex()).change_class is ChangeClass.NONE, path
            checked += 1
    print(f"\nfmt of {folder}: {checked} templates, no change")
