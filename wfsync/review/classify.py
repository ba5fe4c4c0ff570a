"""What a template change means for its callers: breaking, feature, fix or cosmetic, with reasons.

(Inputs are judged in :mod:`wfsync.review.inputs`, leftover field changes in
:mod:`wfsync.review.fields`; the verdict's vocabulary is :mod:`wfsync.review.reasons`.)

Interface rules (what callers bind to) are read from the two normal forms directly; every other
field change of the semantic diff is then a *fix* (behaviour: image, script, command, resources,
...) or *cosmetic* (descriptions, annotations, the version label), so no change goes unclassified.

- breaking: template or family removed or renamed (or moved between kinds); input parameter added
  without a default (or losing it); input artifact added without ``optional`` (or losing it); an
  input (parameter or artifact) removed or renamed while a caller passes it; output parameter or artifact removed; ``enum``
  narrowed (or added); template type changed; ``entrypoint`` changed (submitted by name, the
  template now starts elsewhere);
- feature: input added with a default, output added, new template, enum widened, an input removed
  that no known caller passes;
- fix: script, command, args, image and any other behaviour change;
- cosmetic: descriptions, annotations, labels, formatting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from wfsync.model import values
from wfsync.model.documents import Identity, Kind
from wfsync.review.fields import covered as _covered
from wfsync.review.fields import leftover as _leftover
from wfsync.review.fields import member_of as _member_of
from wfsync.review.impact import CallerIndex
from wfsync.review.inputs import InputChanges
from wfsync.review.match import Pair, match_named
from wfsync.review.reasons import ARTIFACT_SOURCES, ChangeClass, Reason
from wfsync.review.reasons import enum_change as _enum
from wfsync.review.reasons import named as _named
from wfsync.review.snapshot import VERSION_LABEL, Template
from wfsync.sync.semdiff import FieldChange, field_changes

__all__ = ["ARTIFACT_SOURCES", "TYPE_KEYS", "ChangeClass", "Classified", "Reason", "classify"]


TYPE_KEYS = (
    "container",
    "script",
    "resource",
    "steps",
    "dag",
    "suspend",
    "data",
    "http",
    "containerSet",
    "plugin",
)
"""The fields that make a template's type (Argo allows exactly one)."""


@dataclasses.dataclass(frozen=True)
class Classified:
    """A pair's verdict: its class, the reasons and the semantic field changes (masked)."""

    pair: Pair
    change_class: ChangeClass
    reasons: tuple[Reason, ...]
    fields: tuple[FieldChange, ...]
    changed_members: frozenset[str]


def classify(pair: Pair, callers: CallerIndex) -> Classified:
    """Classify one matched pair."""
    reasons: list[Reason] = []
    explained: list[str] = []
    base, head = pair.base, pair.head
    if base is None and head is not None:
        reasons.append(Reason(ChangeClass.FEATURE, f"new {head.identity.kind} {head.identity.name!r}"))
        return _done(pair, reasons, (), frozenset(head.members()))
    if head is None and base is not None:
        found = callers.of(base.identity)
        reasons.append(
            Reason(
                ChangeClass.BREAKING,
                f"{base.identity.kind} {base.identity.name!r} removed" + _count(found),
                callers=tuple(c.where for c in found),
            )
        )
        return _done(pair, reasons, (), frozenset(base.members()))
    assert base is not None and head is not None
    if not pair.renamed and base.body == head.body:
        return _done(pair, [], (), frozenset())  # the common case in a large library: nothing to diff
    if pair.renamed:
        found = callers.of(base.identity)
        b, h = base.identity, head.identity
        if b.kind != h.kind and b.name == h.name:
            what = f"moved from {b.kind} to {h.kind} (references need clusterScope: {str(h.kind == Kind.CLUSTER_WORKFLOW_TEMPLATE).lower()})"
        else:
            what = f"renamed from {b} to {h}"
        reasons.append(
            Reason(ChangeClass.BREAKING, what + _count(found), callers=tuple(c.where for c in found))
        )
        explained += ["metadata.name", "metadata.namespace", "kind"]
    fields = tuple(field_changes(*_trimmed(base.body, head.body)))
    changed: set[str] = set()
    _entrypoint(base, head, reasons, explained)
    _arguments(base, head, reasons, explained)
    _members(base, head, callers, reasons, explained, changed)
    for change in fields:
        if change.path == f"metadata.labels.{VERSION_LABEL}" or _covered(change.path, explained):
            continue  # the version is checked on its own (versions.py)
        reasons.append(_leftover(change))
        member = _member_of(change.path)
        if member:
            changed.add(member)
    for r in reasons:
        if r.member:
            changed.add(r.member)
    return _done(pair, reasons, fields, frozenset(changed))


def _trimmed(a: dict[str, object], b: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """Both bodies without what is equal on both sides (top-level keys, spec keys, member templates).

    The field paths are the same as on the whole bodies (members are matched by name), and
    masking and diffing only walk what changed: a one-line fix in a large family costs little.
    """
    out_a, out_b = _drop_equal(a, b)
    spec_a, spec_b = out_a.get("spec"), out_b.get("spec")
    if isinstance(spec_a, dict) and isinstance(spec_b, dict):
        spec_a, spec_b = _drop_equal(spec_a, spec_b)
        ta, tb = spec_a.get("templates"), spec_b.get("templates")
        if isinstance(ta, list) and isinstance(tb, list):
            equal = {t.get("name") for t in ta if isinstance(t, dict) and t in tb}
            keep = next(iter(equal), None) if len(equal) in (len(ta), len(tb)) else None
            spec_a["templates"] = [
                t for t in ta if not isinstance(t, dict) or t.get("name") not in equal - {keep}
            ]
            spec_b["templates"] = [
                t for t in tb if not isinstance(t, dict) or t.get("name") not in equal - {keep}
            ]
        out_a["spec"], out_b["spec"] = spec_a, spec_b
    return out_a, out_b


def _drop_equal(a: dict[str, object], b: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    same = {k for k in a.keys() & b.keys() if a[k] == b[k]}
    if "metadata" in same:
        same.discard("metadata")  # kept: masking reads names from it
    return {k: v for k, v in a.items() if k not in same}, {k: v for k, v in b.items() if k not in same}


def _done(
    pair: Pair, reasons: list[Reason], fields: tuple[FieldChange, ...], changed: frozenset[str]
) -> Classified:
    ordered = sorted(reasons, key=lambda r: r.change_class.rank)
    verdict = ordered[0].change_class if ordered else ChangeClass.NONE
    return Classified(pair, verdict, tuple(ordered), fields, changed)


def _count(found: Iterable[object]) -> str:
    n = len(list(found))
    return f": {n} known caller{'s' if n != 1 else ''} fail with 'not found'" if n else ""


def _entrypoint(base: Template, head: Template, reasons: list[Reason], explained: list[str]) -> None:
    old, new = base.spec.get("entrypoint"), head.spec.get("entrypoint")
    if old == new:
        return
    explained.append("spec.entrypoint")
    if old is None:
        reasons.append(Reason(ChangeClass.FEATURE, f"entrypoint {new!r} added", "spec.entrypoint"))
    else:
        reasons.append(
            Reason(
                ChangeClass.BREAKING,
                f"entrypoint changed from {old!r} to {new!r}: submitted by name"
                " (argo submit --from, workflowTemplateRef) it now starts elsewhere",
                "spec.entrypoint",
            )
        )


def _arguments(base: Template, head: Template, reasons: list[Reason], explained: list[str]) -> None:
    old = _named(values.at(base.spec, "arguments", "parameters"))
    new = _named(values.at(head.spec, "arguments", "parameters"))
    for name, param in new.items():
        path = f"spec.arguments.parameters[{name}]"
        if name not in old and "value" not in param and "valueFrom" not in param:
            explained.append(path)
            reasons.append(
                Reason(ChangeClass.BREAKING, f"workflow argument {name!r} added without a value", path)
            )
        elif name in old:
            _enum(old[name], param, path, "", f"workflow argument {name!r}", reasons, explained)


def _members(
    base: Template,
    head: Template,
    callers: CallerIndex,
    reasons: list[Reason],
    explained: list[str],
    changed: set[str],
) -> None:
    old_members, new_members = base.members(), head.members()
    family = base.identity
    for old, new in match_named(old_members, new_members):
        if old is None and new is not None:
            explained.append(f"spec.templates[{new}]")
            reasons.append(
                Reason(ChangeClass.FEATURE, f"new template {new!r}", f"spec.templates[{new}]", new)
            )
            continue
        found = callers.of(family, old) if old is not None else []
        where = tuple(c.where for c in found)
        if new is None and old is not None:
            explained.append(f"spec.templates[{old}]")
            reasons.append(
                Reason(
                    ChangeClass.BREAKING,
                    f"template {old!r} removed" + _count(found),
                    f"spec.templates[{old}]",
                    old,
                    callers=where,
                )
            )
            continue
        assert old is not None and new is not None
        if old != new:
            explained += [f"spec.templates[{old}]", f"spec.templates[{new}]"]
            reasons.append(
                Reason(
                    ChangeClass.BREAKING,
                    f"template {old!r} renamed to {new!r}" + _count(found),
                    f"spec.templates[{new}]",
                    new,
                    callers=where,
                )
            )
            changed.add(new)
            continue
        _member(family, new, old_members[old], new_members[new], callers, reasons, explained)


def _member(
    family: Identity,
    name: str,
    old: Mapping[str, object],
    new: Mapping[str, object],
    callers: CallerIndex,
    reasons: list[Reason],
    explained: list[str],
) -> None:
    at = f"spec.templates[{name}]"
    old_type, new_type = _type(old), _type(new)
    if old_type != new_type:
        explained += [f"{at}.{old_type}", f"{at}.{new_type}"]
        reasons.append(
            Reason(
                ChangeClass.BREAKING,
                f"template {name!r} changed type from {old_type} to {new_type}",
                at,
                name,
            )
        )
    InputChanges(name, reasons, explained).classify(family, old, new, callers)
    for section in ("parameters", "artifacts"):
        before = _named(values.at(old, "outputs", section))
        after = _named(values.at(new, "outputs", section))
        word = "parameter" if section == "parameters" else "artifact"
        # removing an output breaks whoever reads it; adding one breaks nobody (sorted: stable reports)
        for names, cls, verb in (
            (before.keys() - after.keys(), ChangeClass.BREAKING, "removed"),
            (after.keys() - before.keys(), ChangeClass.FEATURE, "added"),
        ):
            for out in sorted(names):
                path = f"{at}.outputs.{section}[{out}]"
                explained.append(path)
                reasons.append(Reason(cls, f"output {word} {out!r} of {name!r} {verb}", path, name))


def _type(template: Mapping[str, object]) -> str:
    # the normal form drops empty values, and the only type that is valid empty is ``suspend: {}``
    return next((k for k in TYPE_KEYS if k in template), "suspend")
