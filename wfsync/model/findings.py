"""Findings: what lint (and later review) reports about a document."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from pathlib import Path


class Severity(enum.StrEnum):
    """How bad a finding is; only errors make ``lint`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


JsonPath = tuple[str | int, ...]


class ItemName(str):
    """A list item in a JSON path picked by its ``name`` rather than its index: shown ``[name]``.

    A diff matches templates, tasks, parameters ... by name, so its paths read
    ``spec.templates[build].container.image`` where an index would shift.
    """

    __slots__ = ()


_BRACKETED = (int, ItemName)


def format_json_path(path: Sequence[str | int]) -> str:
    """Render ``("spec", "templates", 0, "name")`` as ``spec.templates[0].name`` (an ItemName as an index)."""
    out: list[str] = []
    for part in path:
        if isinstance(part, _BRACKETED):
            out.append(f"[{part}]")
        elif out:
            out.append(f".{part}")
        else:
            out.append(str(part))
    return "".join(out)


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: file, line and column, JSON path, rule id, severity and message.

    ``suggestion`` is the valid name a misspelt one was probably meant to be; ``excerpt`` is the
    source line (added after linting, when the file can still be read; never cached or in JSON).
    """

    path: Path
    line: int
    rule: str
    message: str
    json_path: str = ""
    severity: Severity = Severity.ERROR
    column: int | None = None
    kind: str = ""
    name: str = ""
    suggestion: str | None = None
    excerpt: str = dataclasses.field(default="", compare=False)

    def to_json(self) -> dict[str, object]:
        """The stable JSON form used by ``--output json``."""
        return {
            "file": str(self.path),
            "line": self.line,
            "column": self.column,
            "path": self.json_path,
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "suggestion": self.suggestion,
            "kind": self.kind,
            "name": self.name,
        }
