"""GNU make's own database (``make -p -n``) read into rules: the graph comes from make, not from us.

The Makefile language depends on context and runs ``$(shell)``/``$(eval)`` while it is read, so
the converter never parses Makefiles; it asks GNU make for its database on a throwaway copy of
the workspace (``MAKE=:`` keeps sub-makes from running) and reads the ``# Files`` section of the
last database printed (included makefiles that get remade print one database per pass).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wfsync.errors import InputError, UsageError

START = "# Make data base, printed on"
RECIPE = re.compile(r"^#  recipe to execute \((?:from '(?P<file>.*)', line (?P<line>\d+)|built-in)\):$")
SPECIAL = frozenset(
    {
        ".PHONY",
        ".SUFFIXES",
        ".DEFAULT",
        ".PRECIOUS",
        ".INTERMEDIATE",
        ".SECONDARY",
        ".SECONDEXPANSION",
        ".DELETE_ON_ERROR",
        ".IGNORE",
        ".LOW_RESOLUTION_TIME",
        ".SILENT",
        ".EXPORT_ALL_VARIABLES",
        ".NOTPARALLEL",
        ".ONESHELL",
        ".POSIX",
        ".NOTINTERMEDIATE",
        ".WAIT",
    }
)


@dataclass
class Rule:
    """One rule of one target as make resolved it (a ``::`` target has one per rule)."""

    target: str
    prerequisites: list[str] = field(default_factory=list)
    order_only: list[str] = field(default_factory=list)
    recipe: list[str] = field(default_factory=list)
    """The raw (unexpanded) recipe lines, tab removed; continuation lines stay separate."""
    source: str = ""
    """``Makefile:12``, where the recipe is (empty without one, ``built-in`` for built-in rules)."""
    double_colon: bool = False
    phony: bool = False
    not_a_target: bool = False
    also_makes: list[str] = field(default_factory=list)
    """The other targets of a grouped rule (``a b &: ...``)."""
    stem: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    """Target-specific variables (``obj.o: CFLAGS = -g``), raw."""


@dataclass
class Database:
    """What the converter needs from make's database."""

    rules: dict[str, list[Rule]] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    """Variables defined by makefiles or the command line (not defaults or the environment)."""
    default_goal: str = ""
    dry_run_output: str = ""
    """What ``make -n`` printed before the database (commands it would run)."""
    passes: int = 1
    status: int = 0
    """make's exit status."""
    errors: str = ""
    """The end of what make wrote to standard error (why it stopped)."""
    """Databases make printed (more than one when it remade an included makefile and restarted)."""

    def special(self, name: str) -> Rule | None:
        """The special target's rule (``.ONESHELL``, ``.NOTPARALLEL``...), if the Makefile has one."""
        found = self.rules.get(name)
        return found[0] if found and not found[0].not_a_target else None

    def is_target(self, name: str) -> bool:
        """Whether ``name`` has a rule (a prerequisite that is only a file is a source)."""
        return any(not r.not_a_target for r in self.rules.get(name, ()))


def make_program() -> str:
    """The ``make`` on PATH (GNU make is required); a usage error when there is none."""
    found = shutil.which("make")
    if found is None:
        raise UsageError("convert make needs GNU make on PATH")
    return found


def run_make(
    command: Sequence[str], work: Path, environment: Mapping[str, str] | None
) -> subprocess.CompletedProcess[str]:
    """A make run in ``work`` that only reads (``-n``, ``-p``): its output as text, never raising."""
    return subprocess.run(
        list(command),
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )


def copy_workspace(source: Path, into: Path) -> Path:
    """A throwaway copy of ``source`` (make may write while it analyses: remade includes, ``+`` lines)."""
    target = into / "ws"
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git", ".wfsync"))
    return target


def read_database(
    directory: Path,
    makefile: str | None,
    goals: Sequence[str],
    variables: Sequence[str],
    *,
    extra: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> Database:
    """Run ``make -p -n MAKE=:`` on a copy of ``directory`` and parse its last database.

    ``extra`` is a makefile read after the Makefile (``--dry-run-recipes`` marks each target's
    commands with it, so that one make run gives both the database and the commands); its own
    variables are left out of the database, and ``.SHELLFLAGS``, which it overrides, is restored.
    """
    with tempfile.TemporaryDirectory(prefix="wfsync-make-db-") as tmp:
        work = copy_workspace(directory, Path(tmp))
        command = [make_program(), "-p", "-n", "MAKE=:", *variables]
        added = Path(tmp) / "wfsync-extra.mk"
        if extra is not None:
            added.write_text(extra, encoding="utf-8")
            command += ["-f", makefile or default_makefile(work), "-f", str(added)]
        elif makefile is not None:
            command += ["-f", makefile]
        done = run_make([*command, *goals], work, environment)
    text = done.stdout
    if START not in text:
        where = makefile or "Makefile"
        raise InputError(f"{directory / where}: make could not read it: {done.stderr.strip()[-500:]}")
    database = parse_database(text)
    database.status = done.returncode
    database.errors = done.stderr[-2000:]
    if extra is not None:
        _drop_extra(database, text, str(added))
    if done.returncode != 0 and not database.rules:
        raise InputError(f"make failed: {done.stderr.strip()[-500:]}")
    return database


def default_makefile(work: Path) -> str:
    """The makefile make reads without ``-f`` (``Makefile`` when there is none)."""
    return next((n for n in ("GNUmakefile", "makefile", "Makefile") if (work / n).exists()), "Makefile")


def _drop_extra(database: Database, text: str, added: str) -> None:
    """Leave the extra makefile out: its name in MAKEFILE_LIST, its override of ``.SHELLFLAGS``."""
    listed = database.variables.get("MAKEFILE_LIST", "").split()
    database.variables["MAKEFILE_LIST"] = " ".join(n for n in listed if n != added)
    saved = re.findall(r"^WFSYNC_SAVED_FLAGS := ?(.*)$", text.rpartition(START)[2], re.MULTILINE)
    if saved and saved[-1] != "-c":
        database.variables[".SHELLFLAGS"] = saved[-1]


def parse_database(text: str) -> Database:
    """The last database in ``make -p`` output: variables, then one paragraph per file."""
    head, _, rest = text.rpartition(START)
    before = head.split(START, 1)[0]
    banner = before.rfind("# GNU Make ")  # -p prints make's version before the database
    if banner == 0 or (banner > 0 and before[banner - 1] == "\n"):
        before = before[:banner]
    database = Database(dry_run_output=before, passes=text.count(START))
    variables, _, files = rest.partition("\n# Files\n")
    files = files.split("\n# VPATH Search Paths", 1)[0].split("\n# files hash-table stats", 1)[0]
    _parse_variables(variables, database)
    for paragraph in files.split("\n\n"):
        rule = _parse_paragraph(paragraph)
        if rule is not None:
            database.rules.setdefault(rule.target, []).append(rule)
    return database


def _parse_variables(text: str, database: Database) -> None:
    origin = ""
    for line in text.splitlines():
        if line.startswith("# "):
            origin = line[2:]
            continue
        if not (origin.startswith("makefile") or origin == "command line" or origin.startswith("override")):
            continue
        match = re.match(r"^(?:define )?([^\s:?+!=]+) (:?:?=|\+?=)?\s?(.*)$", line)
        if match is None:
            continue
        name, value = match.group(1), match.group(3)
        database.variables[name] = value
        if name == ".DEFAULT_GOAL":
            database.default_goal = value.strip()
        origin = ""


def _split_header(header: str) -> tuple[str, bool, list[str], list[str]] | None:
    """``target: prereqs | order-only`` (``::`` for double-colon); ``None`` if not a rule header."""
    match = re.match(r"^(?P<target>.*?)(?P<colons>::?)(?:\s(?P<rest>.*))?$", header)
    if match is None or match.group("target") == "":
        return None
    rest = match.group("rest") or ""
    normal, _, order = rest.partition(" | ") if " | " in f" {rest} " else (rest, "", "")
    if rest.startswith("| "):
        normal, order = "", rest[2:]
    return (
        match.group("target"),
        match.group("colons") == "::",
        _dedupe(normal.split()),
        _dedupe(order.split()),
    )


def _dedupe(names: list[str]) -> list[str]:
    """Prerequisites in order, each once (``.WAIT`` kept where it stands)."""
    seen: set[str] = set()
    out = []
    for name in names:
        if name == ".WAIT" or name not in seen:
            out.append(name)
            seen.add(name)
    return out


def _parse_paragraph(paragraph: str) -> Rule | None:
    lines = paragraph.strip("\n").splitlines()
    headers: list[str] = []
    rule: Rule | None = None
    in_recipe = False
    for line in lines:
        if line.startswith("\t"):
            if in_recipe and rule is not None:
                rule.recipe.append(line[1:])
            continue
        if line.startswith("#"):
            recipe = RECIPE.match(line)
            if recipe is not None and rule is not None:
                in_recipe = True
                rule.source = (
                    f"{recipe.group('file')}:{recipe.group('line')}" if recipe.group("file") else "built-in"
                )
            elif line == "#  Builtin rule":
                return None
            continue
        if not line.strip():
            continue
        headers.append(line)
        parsed = _split_header(line)
        if parsed is None:
            continue
        target, double, normal, order = parsed
        rule = Rule(target, normal, order, double_colon=double)
    if rule is None:
        return None
    _annotate(rule, lines, headers)
    return rule


def _annotate(rule: Rule, lines: list[str], headers: list[str]) -> None:
    """Flags from the paragraph's comment lines; earlier header-like lines are target variables."""
    for line in lines:
        if line == "# Not a target:":
            rule.not_a_target = True
        elif line.startswith("#  Phony target"):
            rule.phony = True
        elif line.startswith("#  Also makes: "):
            rule.also_makes = [n for n in line[len("#  Also makes: ") :].split() if n != rule.target]
        elif line.startswith("#  Implicit/static pattern stem: "):
            rule.stem = line.split(": ", 1)[1].strip("'")
    for header in headers[:-1]:
        prefix = f"{rule.target}: "
        if header.startswith(prefix):
            assignment = header[len(prefix) :]
            match = re.match(r"^(?:override )?(\S+) (?::?:?=|\+?=|\?=)\s?(.*)$", assignment)
            if match is not None:
                rule.variables[match.group(1)] = match.group(2)
