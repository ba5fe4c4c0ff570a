"""One conversion: database, recording (or ``make -n``), graph, document and what did not convert."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.convert.make.database import Database, read_database
from wfsync.convert.make.dryrun import DRY_MK, dry_run, marker, parse_dry_run
from wfsync.convert.make.emit import PARSE, EmitOptions, build_document
from wfsync.convert.make.graph import Graph, Line, Task, build_graph
from wfsync.convert.make.nested import nest
from wfsync.convert.make.record import Recording, record
from wfsync.errors import UsageError


@dataclass(frozen=True)
class MakeRequest:
    """What to convert: ``make -C directory -f makefile VAR=value... goals...``."""

    directory: Path
    makefile: str | None = None
    goals: Sequence[str] = ()
    variables: Sequence[str] = ()
    mode: str = "dag"
    image: str | None = None
    template: bool = False
    dry_run_recipes: bool = False
    jobs: int | None = None
    ignore_errors: bool = False
    environment: Mapping[str, str] | None = None
    """With ``dry_run_recipes``: the environment make reads the Makefile in (None: this process's)."""


@dataclass
class MakeConversion:
    """The result: the document, its parts, and the report entries."""

    request: MakeRequest
    document: dict[str, Any]
    graph: Graph
    database: Database
    recording: Recording
    findings: list[str] = field(default_factory=list)
    """What may differ from make (each one a reason for exit 1)."""
    header: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether everything converted without a caveat."""
        return not self.findings

    def to_json(self) -> dict[str, object]:
        """The report as a JSON object."""
        return {
            "source": str(self.request.directory / (self.request.makefile or "Makefile")),
            "goals": list(self.request.goals),
            "mode": self.request.mode,
            "verdict": "successful" if self.complete else "partial",
            "tasks": [
                {"name": t.name, "target": t.target, "depends": t.depends, "lines": len(t.lines)}
                for t in self.graph.tasks
            ],
            "make_exit_status": self.recording.exit_status,
            "not_run": self.graph.not_run,
            "recursive": sorted(set(self.graph.recursive)),
            "findings": self.findings,
            "notes": self.graph.notes,
        }

    def report_lines(self) -> list[str]:
        """The report as text lines."""
        lines = [
            f"{len(self.graph.tasks)} task(s) from {len(self.recording.invocations)} recipe line(s) make ran"
        ]
        if self.recording.exit_status:
            lines.append(
                f"make exited {self.recording.exit_status} in the reference run; the workflow fails at the same recipe"
            )
        lines += [f"finding: {f}" for f in self.findings]
        lines += [f"note: {n}" for n in self.graph.notes if n not in self.findings]
        if self.graph.not_run:
            shown = ", ".join(self.graph.not_run[:10]) + (" ..." if len(self.graph.not_run) > 10 else "")
            lines.append(f"not run by make for these goals (up to date or not reached): {shown}")
        return lines


def convert_makefile(request: MakeRequest) -> MakeConversion:
    """Convert a Makefile's goals to an Argo document (nothing is written here)."""
    _check_request(request)
    variables = list(request.variables)
    database, recording = _read(request, variables)
    graph = build_graph(database, recording, serial=request.mode == "serial")
    if not request.dry_run_recipes:
        nest(graph, request.directory, serial=request.mode == "serial")
    findings = _findings(graph, database, request.directory)
    if any(PARSE_TIME in f for f in findings):
        _replay_parse(graph, request)
    source = request.makefile or _makefile_name(request.directory)
    options = EmitOptions(
        name=_base_name(request.directory),
        source=source,
        goals=request.goals,
        image=request.image or EmitOptions.image,
        template=request.template,
        parallelism=request.jobs,
        variables=[_pair(v) for v in variables],
        ignore_errors=request.ignore_errors or database.special(".IGNORE") is not None,
        serial=request.mode == "serial",
        delete_on_error=_deleted_on_error(database),
    )
    document = build_document(graph, options)
    header = [
        f"Converted from {source} ({' '.join(request.goals) or 'default goal'}) by wfsync convert make"
        f" --mode {request.mode}.",
        f"Verdict: {'successful' if not findings else 'partial'}.",
        *findings,
    ]
    return MakeConversion(request, document, graph, database, recording, findings, header)


def _check_request(request: MakeRequest) -> None:
    """A usage error for a mode, directory, makefile or variable make would not take."""
    if request.mode not in ("dag", "serial"):
        raise UsageError(f"--mode must be dag or serial, not {request.mode!r}")
    directory = request.directory
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    if request.makefile is not None and not (directory / request.makefile).is_file():
        raise UsageError(f"{directory / request.makefile}: no such makefile")
    if request.makefile is None and not any(
        (directory / n).is_file() for n in ("GNUmakefile", "makefile", "Makefile")
    ):
        raise UsageError(f"{directory}: no GNUmakefile, makefile or Makefile")
    for item in request.variables:
        if "=" not in item:
            raise UsageError(f"make variable {item!r}: expected NAME=VALUE")


def _pair(variable: str) -> tuple[str, str]:
    name, _, value = variable.partition("=")
    return name, value


def _read(request: MakeRequest, variables: list[str]) -> tuple[Database, Recording]:
    """The database make printed, and the recipes of a recorded run (or of ``make -n``)."""
    directory, makefile, goals = request.directory, request.makefile, request.goals
    if not request.dry_run_recipes:
        database = read_database(directory, makefile, goals, variables)
        return database, record(directory, makefile, goals, variables)
    # one make run gives the database and, before it, the commands (marked per target)
    mark = marker()
    extra = DRY_MK.format(marker=mark)
    environment = request.environment
    database = read_database(directory, makefile, goals, variables, extra=extra, environment=environment)
    if database.passes == 1:
        return database, parse_dry_run(database.dry_run_output, mark, database, database.status)
    # make restarted after remaking a makefile: its commands are spread over passes
    database = read_database(directory, makefile, goals, variables, environment=environment)
    return database, dry_run(directory, makefile, goals, variables, database, environment)


def _findings(graph: Graph, database: Database, directory: Path) -> list[str]:
    findings = [
        f"{target}: recursive make runs as one task (the sub-make's own graph is not a nested DAG)"
        for target in sorted(set(graph.recursive))
    ]
    findings += [
        note
        for note in graph.notes
        if "$(shell" in note or "SHELL is not kept" in note or note.startswith("make stopped")
    ]
    for name in database.variables.get("MAKEFILE_LIST", "").split():
        path = directory / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if re.search(r"\$[({]shell[\s)}]", line) and not line.startswith("\t"):
                findings.append(f"{name}:{number}: $(shell ...) {PARSE_TIME}; its value is frozen")
            elif re.search(r"\$[({]file\s+>", line) and not line.startswith("\t"):
                findings.append(f"{name}:{number}: $(file >...) {PARSE_TIME}")
    return findings


def _deleted_on_error(database: Database) -> frozenset[str]:
    """Targets make deletes when their recipe fails: all but phony and precious ones, with .DELETE_ON_ERROR."""
    if database.special(".DELETE_ON_ERROR") is None:
        return frozenset()
    precious = database.special(".PRECIOUS")
    kept = set(precious.prerequisites) if precious is not None else set()
    return frozenset(
        name
        for name, rules in database.rules.items()
        if name not in kept and not any(r.phony for r in rules) and any(r.recipe for r in rules)
    )


PARSE_TIME = "runs when make reads the Makefile"


def _replay_parse(graph: Graph, request: MakeRequest) -> None:
    """A first task that has make read the Makefile in the workspace (``make -q``, no recipe runs).

    ``$(shell mkdir tmp)`` or ``$(file >x,...)`` at parse time change the workspace before any
    recipe runs; the recipes' values are frozen, but those files must exist for them.
    """
    makefile = ["-f", request.makefile] if request.makefile else []
    words = ["make", "-q", "MAKE=:", *makefile, *request.variables, *request.goals]
    command = " ".join(shlex.quote(w) for w in words) + " > /dev/null 2>&1 || :"
    taken = {t.name for t in graph.tasks}
    name = "make-parse" if "make-parse" not in taken else "make-parse-" + str(len(taken))
    task = Task(name, PARSE, [Line(command, silent=True)])
    for other in graph.tasks:
        if not other.depends:
            other.depends = [task.name]
    graph.tasks.insert(0, task)
    graph.notes.append("make reads the Makefile again in the workspace first (parse-time side effects)")


def _makefile_name(directory: Path) -> str:
    return next((n for n in ("GNUmakefile", "makefile", "Makefile") if (directory / n).is_file()), "Makefile")


def _base_name(directory: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return (name if name and name[0].isalpha() else f"m-{name}".rstrip("-"))[:40]
