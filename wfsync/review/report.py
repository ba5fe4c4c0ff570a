"""A whole review: each template's verdict, version finding and callers, plus head's lint and the target."""

from __future__ import annotations

import dataclasses
from collections import Counter

from wfsync.model.findings import Finding
from wfsync.review.classify import ChangeClass, Classified, classify
from wfsync.review.impact import Caller, CallerIndex
from wfsync.review.match import match
from wfsync.review.snapshot import Snapshot
from wfsync.review.versions import check


@dataclasses.dataclass(frozen=True)
class TemplateReview:
    """One template's part of the review."""

    classified: Classified
    version_finding: str
    callers: tuple[Caller, ...]

    @property
    def change_class(self) -> ChangeClass:
        """The template's class."""
        return self.classified.change_class

    @property
    def status(self) -> str:
        """added, removed, renamed, changed or unchanged."""
        pair = self.classified.pair
        if pair.base is None:
            return "added"
        if pair.head is None:
            return "removed"
        if pair.renamed:
            return "renamed"
        return "changed" if self.change_class is not ChangeClass.NONE else "unchanged"

    @property
    def name(self) -> str:
        """Display name: ``Kind/name`` (namespace when set)."""
        return str(self.classified.pair.identity)

    @property
    def where(self) -> str:
        """Source of the head side (else the base side)."""
        side = self.classified.pair.head or self.classified.pair.base
        return side.where if side else ""

    def to_json(self) -> dict[str, object]:
        """JSON form (values masked)."""
        pair = self.classified.pair
        out: dict[str, object] = {
            "kind": pair.identity.kind,
            "namespace": pair.identity.namespace or None,
            "name": pair.identity.name,
            "status": self.status,
            "class": self.change_class.value,
            "source": self.where,
            "version": {
                "base": pair.base.version if pair.base else None,
                "head": pair.head.version if pair.head else None,
            },
            "reasons": [r.to_json() for r in self.classified.reasons],
            "changes": [f.to_json() for f in self.classified.fields],
            "changedTemplates": sorted(self.classified.changed_members),
            "callers": [
                {
                    "origin": c.origin,
                    "kind": c.kind,
                    "name": c.name,
                    "where": c.where,
                    "template": c.template or None,
                }
                for c in self.callers
            ],
        }
        if pair.renamed and pair.base is not None:
            out["renamedFrom"] = str(pair.base.identity)
        if self.version_finding:
            out["versionFinding"] = self.version_finding
        return out


@dataclasses.dataclass
class Review:
    """Everything ``wfsync review`` reports."""

    base: str
    head: str
    templates: list[TemplateReview]
    lint: tuple[Finding, ...] = ()
    target: str | None = None
    drift: list[str] = dataclasses.field(default_factory=list)
    callers_indexed: int = 0

    @property
    def changed(self) -> list[TemplateReview]:
        """Templates with any change, most severe first."""
        out = [t for t in self.templates if t.change_class is not ChangeClass.NONE]
        return sorted(out, key=lambda t: (t.change_class.rank, t.name))

    def counts(self) -> dict[str, int]:
        """Templates per class (unchanged left out)."""
        counter = Counter(t.change_class.value for t in self.changed)
        return {c.value: counter.get(c.value, 0) for c in ChangeClass if c is not ChangeClass.NONE}

    @property
    def version_findings(self) -> list[TemplateReview]:
        """Templates whose version label does not fit their change."""
        return [t for t in self.changed if t.version_finding]

    @property
    def lint_errors(self) -> int:
        """Lint errors in head."""
        return sum(1 for f in self.lint if f.severity.value == "error")

    @property
    def findings(self) -> int:
        """What makes the exit code 1: version findings and lint errors of head."""
        return len(self.version_findings) + self.lint_errors

    def to_json(self) -> dict[str, object]:
        """The JSON document's payload."""
        return {
            "base": self.base,
            "head": self.head,
            "target": self.target,
            "counts": self.counts(),
            "findings": self.findings,
            "templates": [t.to_json() for t in self.changed],
            "lint": [f.to_json() for f in self.lint],
            "drift": self.drift,
        }


def review(base: Snapshot, head: Snapshot, callers: CallerIndex) -> Review:
    """Match, classify and version-check every template of the two snapshots."""
    out: list[TemplateReview] = []
    for pair in match(base.templates, head.templates):
        verdict = classify(pair, callers)
        finding = ""
        if pair.base is not None and pair.head is not None and not pair.renamed:
            finding = check(verdict.change_class, pair.base.version, pair.head.version)
        side = pair.base or pair.head
        found = tuple(callers.of(side.identity)) if side is not None else ()
        out.append(TemplateReview(verdict, finding, found))
    return Review(base.label, head.label, out, callers_indexed=len(callers))
