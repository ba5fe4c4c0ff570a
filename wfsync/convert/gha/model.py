"""A parsed, checked workflow: plain data plus where each job and step came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.convert.gha.yaml12 import YNode


def _optional_text(raw: dict[str, Any], key: str) -> str | None:
    """A key of a job or step as text (``uses: 1`` is ``"1"``), ``None`` when it is not there."""
    value = raw.get(key)
    return None if value is None else str(value)


@dataclass
class Step:
    """One step; ``id`` is the author's or a generated ``__...`` one, as GitHub generates them."""

    id: str
    explicit_id: bool
    index: int
    line: int
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        """The display name: ``name``, else the run text's first line or the action."""
        name = self.raw.get("name")
        if name not in (None, ""):
            return str(name)
        if "run" in self.raw:
            return str(self.raw["run"]).strip().splitlines()[0] if str(self.raw["run"]).strip() else "run"
        return str(self.raw.get("uses", f"step {self.index + 1}"))

    @property
    def run(self) -> str | None:
        """The script of a ``run:`` step."""
        return _optional_text(self.raw, "run")

    @property
    def uses(self) -> str | None:
        """The action of a ``uses:`` step."""
        return _optional_text(self.raw, "uses")


@dataclass
class Job:
    """One job (``runs-on`` job or reusable-workflow call)."""

    id: str
    line: int
    raw: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    call_outputs: tuple[str, ...] = ()
    """For a call of a local reusable workflow: the outputs that workflow declares."""

    @property
    def needs(self) -> list[str]:
        """Direct dependencies, as written."""
        needs = self.raw.get("needs")
        if needs is None:
            return []
        return [str(n) for n in needs] if isinstance(needs, list) else [str(needs)]

    @property
    def uses(self) -> str | None:
        """The reusable workflow this job calls, if it is a call."""
        return _optional_text(self.raw, "uses")


@dataclass
class Workflow:
    """A checked workflow file."""

    path: Path
    raw: dict[str, Any]
    jobs: dict[str, Job]
    root: YNode
    text: str = ""

    @property
    def name(self) -> str:
        """``name:`` or the file name, as GitHub shows it."""
        name = self.raw.get("name")
        return str(name) if name not in (None, "") else self.path.name

    @property
    def triggers(self) -> dict[str, Any]:
        """``on:`` as a mapping of event name to its configuration (``None`` when bare)."""
        on = self.raw.get("on")
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return {str(event): None for event in on}
        if isinstance(on, dict):
            return on
        return {}
