"""Recipes from ``make -n`` instead of a real run (``--dry-run-recipes``): cheaper, less faithful.

``.SHELLFLAGS`` is expanded per shell call in the target's context even under ``-n``, so an
``$(info)`` in it marks where each target's commands start. Commands are expanded against the
tree before the build (a ``$(wildcard)`` sees no generated file), ``@`` comes from the raw recipe,
and ``+`` and ``$(MAKE)`` lines really run (``MAKE=:`` keeps sub-makes out).
"""

from __future__ import annotations

import re
import secrets
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from wfsync.convert.make.database import Database, copy_workspace, default_makefile, make_program, run_make
from wfsync.convert.make.record import Invocation, Recording

DRY_MK = """\
override WFSYNC_SAVED_FLAGS := $(.SHELLFLAGS)
override .SHELLFLAGS = $(info {marker}$@)$(WFSYNC_SAVED_FLAGS)
"""


def marker() -> str:
    """A line prefix no Makefile prints by chance."""
    return f"\001{secrets.token_hex(6)}:"


def dry_run(
    directory: Path,
    makefile: str | None,
    goals: Sequence[str],
    variables: Sequence[str],
    database: Database,
    environment: Mapping[str, str] | None = None,
) -> Recording:
    """Commands make would run, per target, in order (exit status 0: nothing ran)."""
    mark = marker()
    with tempfile.TemporaryDirectory(prefix="wfsync-make-dry-") as tmp:
        work = copy_workspace(directory, Path(tmp))
        extra = Path(tmp) / "dry.mk"
        extra.write_text(DRY_MK.format(marker=mark), encoding="utf-8")
        name = makefile or default_makefile(work)
        command = [make_program(), "-n", "MAKE=:", "-f", name, "-f", str(extra), *variables, *goals]
        done = run_make(command, work, environment)
    return parse_dry_run(done.stdout, mark, database, done.returncode)


def parse_dry_run(output: str, mark: str, database: Database, status: int) -> Recording:
    """The commands in ``make -n`` output whose targets :data:`DRY_MK` marked with ``mark``."""
    recording = Recording(exit_status=status)
    chunks = output.split(mark)
    lead = chunks[0]
    calls: dict[str, int] = {}
    for number, chunk in enumerate(chunks[1:], 2):
        target, _, command = chunk.partition("\n")
        command, said = _own_messages(command)
        if number == len(chunks):
            recording.tail = said  # make's last words ("Nothing to be done for ...")
        command = command[:-1] if command.endswith("\n") else command
        silent = _silent(database, target, calls.get(target, 0))
        calls[target] = calls.get(target, 0) + 1
        before = lead if not recording.invocations else ""
        recording.invocations.append(
            Invocation(target, command, ".", {}, before=before + ("" if silent else f"{command}\n"))
        )
    return recording


_OWN_MESSAGE = re.compile(r"(?:^make(?:\[\d+\])?: [^\n]*\n?)+\Z", re.MULTILINE)


def _own_messages(text: str) -> tuple[str, str]:
    """``text`` without the lines make printed itself after the command, and those lines."""
    found = _OWN_MESSAGE.search(text)
    if found is None or found.start() == 0:
        return text, ""
    return text[: found.start()], found.group(0)


def _silent(database: Database, target: str, index: int) -> bool:
    """Whether the raw recipe line starts with ``@`` (``-n`` prints every line)."""
    if database.special(".SILENT") is not None:
        return True
    lines = [line for rule in database.rules.get(target, []) for line in rule.recipe]
    logical = []
    joined = ""
    for line in lines:
        joined += line
        if line.endswith("\\"):
            continue
        logical.append(joined)
        joined = ""
    return index < len(logical) and logical[index].lstrip(" -+").startswith("@")
