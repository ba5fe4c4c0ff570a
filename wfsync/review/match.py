"""Which template of the head is which of the base: by identity, then renames found by content.

A rename is a removal and an addition whose content (everything but the name, namespace and
version label) is equal, or nearly so: the best pair over :data:`RENAME_SIMILARITY` wins, so
renaming a family while fixing a typo in it is still seen as a rename.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping

from wfsync.model import values
from wfsync.model.documents import Identity
from wfsync.review.snapshot import VERSION_LABEL, Template

RENAME_SIMILARITY = 0.8
"""Share of equal text (of the canonical JSON) above which an added and a removed template pair up."""


@dataclasses.dataclass(frozen=True)
class Pair:
    """A template in the base, the head, or both (``renamed`` when the identities differ)."""

    base: Template | None
    head: Template | None

    @property
    def renamed(self) -> bool:
        """Whether both sides exist under different identities."""
        return self.base is not None and self.head is not None and self.base.identity != self.head.identity

    @property
    def identity(self) -> Identity:
        """The head's identity, else the base's."""
        side = self.head or self.base
        assert side is not None
        return side.identity


def match(base: Mapping[Identity, Template], head: Mapping[Identity, Template]) -> list[Pair]:
    """Pairs in head order (added and removed included), renames detected by content."""
    pairs = [Pair(base.get(i), t) for i, t in head.items()]
    removed = [t for i, t in base.items() if i not in head]
    added = {p.head.identity: p for p in pairs if p.base is None and p.head is not None}
    taken: set[Identity] = set()
    renames: dict[Identity, Template] = {}
    for old in removed:
        best, score = None, RENAME_SIMILARITY
        old_key = _content(old.body)
        for ident, pair in added.items():
            if ident in taken or pair.head is None:
                continue
            ratio = similarity(old_key, _content(pair.head.body))
            if ratio >= score:
                best, score = ident, ratio
        if best is not None:
            taken.add(best)
            renames[best] = old
    out = [Pair(renames.get(p.identity), p.head) if p.identity in renames else p for p in pairs]
    out.extend(Pair(t, None) for t in removed if t not in renames.values())
    return out


def match_named(
    base: Mapping[str, object], head: Mapping[str, object]
) -> list[tuple[str | None, str | None]]:
    """Member templates (or inputs) by name, then renames by equal content; ``(base, head)`` names."""
    out: list[tuple[str | None, str | None]] = [(n, n) for n in head if n in base]
    gone = [n for n in base if n not in head]
    new = [n for n in head if n not in base]
    for old in gone:
        same = next((n for n in new if _without_name(base[old]) == _without_name(head[n])), None)
        if same is not None:
            new.remove(same)
            out.append((old, same))
        else:
            out.append((old, None))
    out.extend((None, n) for n in new)
    return out


def similarity(a: str, b: str) -> float:
    """Share of equal text of two canonical forms (1.0 when equal)."""
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < RENAME_SIMILARITY or matcher.quick_ratio() < RENAME_SIMILARITY:
        return 0.0
    return matcher.ratio()


def _content(body: Mapping[str, object]) -> str:
    meta = dict(values.mapping(body.get("metadata")))
    for key in ("name", "namespace"):
        meta.pop(key, None)
    labels = {k: v for k, v in values.mapping(meta.get("labels")).items() if k != VERSION_LABEL}
    meta["labels"] = labels
    rest = {k: v for k, v in body.items() if k not in ("metadata", "kind")}
    return json.dumps({"metadata": meta, **rest}, sort_keys=True)


def _without_name(value: object) -> object:
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k != "name"}
    return value
