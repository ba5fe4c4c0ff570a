"""What a template change means for its callers: breaking, feature, fix or cosmetic, with reasons.

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
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from wfsync.model.documents import Identity, Kind
from wfsync.review.impact import CallerIndex
from wfsync.review.match import Pair, match_named
from wfsync.review.snapshot import VERSION_LABEL, Template
from wfsync.secrets import REDACTED, is_secret_name, mask_text
from wfsync.sync.semdiff import FieldChange, field_changes


class ChangeClass(enum.StrEnum):
    """How much a change can hurt callers, most first (:attr:`rank` orders them)."""

    BREAKING = "breaking"
    FEATURE = "feature"
    FIX = "fix"
    COSMETIC = "cosmetic"
    NONE = "unchanged"

    @property
    def rank(self) -> int:
        """0 for breaking ... 4 for unchanged."""
        return list(ChangeClass).index(self)


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
ARTIFACT_SOURCES = frozenset(
    {"raw", "http", "git", "s3", "gcs", "artifactory", "hdfs", "oss", "azure", "from", "fromExpression"}
)
"""An input artifact with one of these brings its own content, so callers need not pass it."""
TOPICS = (
    ("security", ("serviceAccountName", "securityContext", "privileged", "podSpecPatch", "hostPath",
                  "automountServiceAccountToken", "secretKeyRef", "action", "hostNetwork")),
    ("image", ("image", "imagePullPolicy", "imagePullSecrets")),
    ("resources", ("resources", "nodeSelector", "tolerations", "affinity", "priorityClassName")),
    ("script", ("source", "command", "args", "manifest")),
    ("behaviour", ("when", "retryStrategy", "activeDeadlineSeconds", "parallelism", "synchronization",
                   "podGC", "ttlStrategy", "timeout", "continueOn", "depends", "dependencies")),
)  # fmt: skip
"""Which field names make a fix worth a reviewer's special attention, and under which heading."""


@dataclasses.dataclass(frozen=True)
class Reason:
    """One classified change, with the field path it is about and what it means."""

    change_class: ChangeClass
    message: str
    path: str = ""
    member: str = ""
    """The member template it is about ('' for the family)."""
    topic: str = "interface"
    callers: tuple[str, ...] = ()
    """Callers it breaks (``path:line``)."""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"class": self.change_class.value, "topic": self.topic, "message": self.message}
        if self.path:
            out["path"] = self.path
        if self.member:
            out["template"] = self.member
        if self.callers:
            out["callers"] = list(self.callers)
        return out


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


def _trimmed(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
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


def _drop_equal(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
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
    old = _named((base.spec.get("arguments") or {}).get("parameters"))
    new = _named((head.spec.get("arguments") or {}).get("parameters"))
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
    old: Mapping[str, Any],
    new: Mapping[str, Any],
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
    _inputs(family, name, old, new, callers, reasons, explained)
    for section in ("parameters", "artifacts"):
        before = _named((old.get("outputs") or {}).get(section))
        after = _named((new.get("outputs") or {}).get(section))
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


def _inputs(
    family: Identity,
    name: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    callers: CallerIndex,
    reasons: list[Reason],
    explained: list[str],
) -> None:
    at = f"spec.templates[{name}].inputs"
    before = _named((old.get("inputs") or {}).get("parameters"))
    after = _named((new.get("inputs") or {}).get("parameters"))
    passing = callers.passing(family, name)
    for was, now in match_named(before, after):
        path = f"{at}.parameters[{now or was}]"
        if was is None and now is not None:
            explained.append(path)
            if _required(after[now]):
                reasons.append(
                    Reason(
                        ChangeClass.BREAKING, f"input {now!r} of {name!r} added without a default", path, name
                    )
                )
            else:
                reasons.append(
                    Reason(ChangeClass.FEATURE, f"input {now!r} of {name!r} added with a default", path, name)
                )
            continue
        if was is not None and (now is None or now != was):
            explained += [f"{at}.parameters[{was}]"] + ([path] if now else [])
            users = tuple(c.where for c in passing.get(was, ()))
            verb = "removed" if now is None else f"renamed to {now!r}"
            if users:
                reasons.append(
                    Reason(
                        ChangeClass.BREAKING,
                        f"input {was!r} of {name!r} {verb} while {len(users)} caller(s) pass it",
                        path,
                        name,
                        callers=users,
                    )
                )
            else:
                reasons.append(
                    Reason(
                        ChangeClass.FEATURE,
                        f"input {was!r} of {name!r} {verb} (no known caller passes it)",
                        path,
                        name,
                    )
                )
            if now is not None and _required(after[now]):
                reasons.append(
                    Reason(
                        ChangeClass.BREAKING, f"input {now!r} of {name!r} added without a default", path, name
                    )
                )
            continue
        assert was is not None and now is not None
        p_old, p_new = before[was], after[now]
        if _required(p_new) and not _required(p_old):
            explained += [f"{path}.default", f"{path}.value"]
            reasons.append(
                Reason(ChangeClass.BREAKING, f"input {now!r} of {name!r} lost its default", path, name)
            )
        else:
            for key in ("default", "value"):
                if p_old.get(key) != p_new.get(key) and key in p_new:
                    explained.append(f"{path}.{key}")
                    secret = is_secret_name(now)
                    a = REDACTED if secret else _short(p_old.get(key))
                    b = REDACTED if secret else _short(p_new.get(key))
                    reasons.append(
                        Reason(
                            ChangeClass.FIX,
                            f"{key} of input {now!r} of {name!r}: {a} -> {b}",
                            f"{path}.{key}",
                            name,
                            "behaviour",
                        )
                    )
        _enum(p_old, p_new, path, name, f"input {now!r} of {name!r}", reasons, explained)
    arts_before = _named((old.get("inputs") or {}).get("artifacts"))
    arts_after = _named((new.get("inputs") or {}).get("artifacts"))
    for art, spec in arts_after.items():
        path = f"{at}.artifacts[{art}]"
        needed = not spec.get("optional") and not ARTIFACT_SOURCES & spec.keys()
        if art not in arts_before:
            explained.append(path)
            if needed:
                reasons.append(
                    Reason(
                        ChangeClass.BREAKING,
                        f"input artifact {art!r} of {name!r} added without optional",
                        path,
                        name,
                    )
                )
            else:
                reasons.append(
                    Reason(ChangeClass.FEATURE, f"input artifact {art!r} of {name!r} added", path, name)
                )
        elif needed and arts_before[art].get("optional"):
            explained.append(f"{path}.optional")
            reasons.append(
                Reason(
                    ChangeClass.BREAKING,
                    f"input artifact {art!r} of {name!r} is no longer optional",
                    path,
                    name,
                )
            )
    passing_arts = callers.passing(family, name, artifacts=True)
    for art in sorted(arts_before.keys() - arts_after.keys()):
        path = f"{at}.artifacts[{art}]"
        explained.append(path)
        users = tuple(c.where for c in passing_arts.get(art, ()))
        if users:  # Argo ignores an argument nothing declares: what the caller passed is lost
            reasons.append(
                Reason(
                    ChangeClass.BREAKING,
                    f"input artifact {art!r} of {name!r} removed while {len(users)} caller(s) pass it",
                    path,
                    name,
                    callers=users,
                )
            )
        else:
            reasons.append(
                Reason(
                    ChangeClass.FEATURE,
                    f"input artifact {art!r} of {name!r} removed (no known caller passes it)",
                    path,
                    name,
                )
            )


def _enum(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: str,
    member: str,
    what: str,
    reasons: list[Reason],
    explained: list[str],
) -> None:
    a, b = old.get("enum"), new.get("enum")
    if a == b:
        return
    explained.append(f"{path}.enum")
    if b is None:
        reasons.append(
            Reason(ChangeClass.FEATURE, f"{what}: enum removed (any value accepted)", f"{path}.enum", member)
        )
        return
    lost = [str(v) for v in (a or []) if v not in b] if a is not None else None
    if a is None:
        reasons.append(
            Reason(
                ChangeClass.BREAKING, f"{what}: enum added, only {_short(b)} accepted", f"{path}.enum", member
            )
        )
    elif lost:
        reasons.append(
            Reason(
                ChangeClass.BREAKING,
                f"{what}: enum narrowed, {', '.join(lost)} no longer accepted",
                f"{path}.enum",
                member,
            )
        )
    else:
        reasons.append(Reason(ChangeClass.FEATURE, f"{what}: enum widened", f"{path}.enum", member))


def _leftover(change: FieldChange) -> Reason:
    """A field change no interface rule explained: cosmetic when it is documentation, else a fix."""
    path = change.path
    member = _member_of(path)
    last = path.rsplit(".", 1)[-1]
    if last == "description" or path.startswith("metadata.annotations") or path.startswith("metadata.labels"):
        return Reason(ChangeClass.COSMETIC, f"{path} {change.change}", path, member, "docs")
    topic = _topic(path)
    if last in ("image",) and change.change == "changed":
        text = f"image {_short(change.before)} -> {_short(change.after)}"
    elif last == "source" and change.change == "changed":
        text = f"script source changed ({_lines(change.before, change.after)})"
    else:
        text = f"{path} {change.change}"
        if change.change == "changed" and _scalar(change.before) and _scalar(change.after):
            text += f": {_short(change.before)} -> {_short(change.after)}"
    return Reason(ChangeClass.FIX, mask_text(text), path, member, topic)


def _topic(path: str) -> str:
    words = {w.split("[")[0] for w in path.split(".")}
    for topic, names in TOPICS:
        if words & set(names):
            return topic
    return "behaviour"


def _covered(path: str, explained: Iterable[str]) -> bool:
    for prefix in explained:
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            return True
        if prefix.startswith((path + ".", path + "[")):
            return True
    return False


def _member_of(path: str) -> str:
    if path.startswith("spec.templates["):
        return path[len("spec.templates[") :].split("]", 1)[0]
    return ""


def _type(template: Mapping[str, Any]) -> str:
    # the normal form drops empty values, and the only type that is valid empty is ``suspend: {}``
    return next((k for k in TYPE_KEYS if k in template), "suspend")


def _required(param: Mapping[str, Any]) -> bool:
    return not any(k in param for k in ("value", "default", "valueFrom"))


def _named(items: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items or ():
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out[item["name"]] = item
    return out


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _lines(before: Any, after: Any) -> str:
    import difflib

    a = str(before or "").splitlines()
    b = str(after or "").splitlines()
    plus = minus = 0
    for line in difflib.ndiff(a, b):
        if line.startswith("+ "):
            plus += 1
        elif line.startswith("- "):
            minus += 1
    return f"+{plus} -{minus} lines"
