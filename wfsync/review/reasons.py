"""The vocabulary of a review verdict: change classes, reasons, and what rules share.

Interface rules (inputs, outputs, members) and the field-change fallback all report
:class:`Reason` objects; the helpers here read the normal forms the same way for all of them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from wfsync.model import values


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


ARTIFACT_SOURCES = frozenset(
    {"raw", "http", "git", "s3", "gcs", "artifactory", "hdfs", "oss", "azure", "from", "fromExpression"}
)
"""An input artifact with one of these brings its own content, so callers need not pass it."""


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

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        out: dict[str, object] = {
            "class": self.change_class.value,
            "topic": self.topic,
            "message": self.message,
        }
        if self.path:
            out["path"] = self.path
        if self.member:
            out["template"] = self.member
        if self.callers:
            out["callers"] = list(self.callers)
        return out


def enum_change(
    old: Mapping[str, object],
    new: Mapping[str, object],
    path: str,
    member: str,
    what: str,
    reasons: list[Reason],
    explained: list[str],
) -> None:
    """An ``enum`` added, removed, narrowed or widened between two inputs or arguments."""
    a, b = old.get("enum"), new.get("enum")
    if a == b:
        return
    explained.append(f"{path}.enum")
    if b is None:
        reasons.append(
            Reason(ChangeClass.FEATURE, f"{what}: enum removed (any value accepted)", f"{path}.enum", member)
        )
        return
    lost = [str(v) for v in values.listed(a) if v not in values.listed(b)] if a is not None else None
    if a is None:
        reasons.append(
            Reason(
                ChangeClass.BREAKING, f"{what}: enum added, only {short(b)} accepted", f"{path}.enum", member
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


def required(param: Mapping[str, object]) -> bool:
    """An input parameter with no value, default or valueFrom: callers must pass it."""
    return not any(k in param for k in ("value", "default", "valueFrom"))


def named(items: object) -> dict[str, dict[str, object]]:
    """Named list items (parameters, artifacts) by name; unnamed items are skipped."""
    out: dict[str, dict[str, object]] = {}
    for item in values.listed(items):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out[item["name"]] = item
    return out


def short(value: object, limit: int = 60) -> str:
    """A value as a reviewer reads it, cut at ``limit`` characters."""
    text = repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
