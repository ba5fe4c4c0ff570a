"""Recursive ``$(MAKE) -C dir goals`` calls as nested DAGs: the sub-make's own graph, not one task.

A task whose whole recipe is one plain sub-make call (``make -C dir [goal...]``, nothing else on
the line) is converted again from the sub-make's database and a recorded run of it (``-C dir`` in
a throwaway copy of the whole workspace, so ``../`` paths hold). Anything else (flags, variables,
``cd dir && make``, a sub-make that failed or could not be read) stays one task that runs the
sub-make, as before, and is reported.
"""

from __future__ import annotations

import shlex
from pathlib import Path, PurePosixPath

from wfsync.convert.make.database import read_database
from wfsync.convert.make.graph import Graph, Task, build_graph
from wfsync.convert.make.record import record

MAKES = ("make", "gmake")


def sub_make(task: Task) -> tuple[str, list[str]] | None:
    """``(dir, goals)`` when ``task`` is exactly one plain ``make -C dir goal...`` line."""
    if len(task.lines) != 1 or task.lines[0].ignore or task.directory != ".":
        return None
    try:
        words = shlex.split(task.lines[0].command)
    except ValueError:
        return None
    if len(words) < 3 or words[0].rsplit("/", 1)[-1] not in MAKES or words[1] != "-C":
        return None
    folder, goals = words[2], words[3:]
    path = PurePosixPath(folder)
    if path.is_absolute() or ".." in path.parts or not folder or folder.startswith("-"):
        return None
    if any(g.startswith("-") or "=" in g for g in goals):
        return None
    return path.as_posix(), goals


def nest(graph: Graph, directory: Path, *, serial: bool) -> None:
    """Replace each plain sub-make task of ``graph`` by the sub-make's DAG when it converts cleanly."""
    for task in graph.tasks:
        found = sub_make(task)
        if found is None or not (directory / found[0]).is_dir():
            continue
        folder, goals = found
        names = ("GNUmakefile", "makefile", "Makefile")
        makefile = next((n for n in names if (directory / folder / n).is_file()), None)
        if makefile is None:
            continue
        extra = ["-C", folder]
        database = read_database(directory, makefile, goals, extra)
        recording = record(directory, makefile, goals, extra)
        if recording.exit_status != 0 or not recording.invocations:
            continue
        if any(
            not (i.directory == folder or i.directory.startswith(folder + "/")) for i in recording.invocations
        ):
            continue
        inner = build_graph(database, recording, serial=serial)
        if inner.recursive:
            continue
        level = str(int(task.env.get("MAKELEVEL", "1")) + 1)
        for sub in inner.tasks:
            sub.env = {**sub.env, "MAKELEVEL": level}
        first = inner.tasks[0]
        echo = "" if task.lines[0].silent else task.lines[0].command + "\n"
        first.message = task.message + echo + first.message
        task.nested = inner
        graph.recursive = [t for t in graph.recursive if t != task.target]
        graph.notes.append(
            f"{task.target}: $(MAKE) -C {folder} converted as a nested DAG of {len(inner.tasks)} task(s)"
        )
