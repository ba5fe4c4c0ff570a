"""One target's recipe as a POSIX sh script that runs it the way GNU make does.

For steps that are not ``make/recipe`` calls (``convert github-actions --expand-make`` runs each
target in the job's ``shell/step``, which keeps the step's env, secrets and PATH): the prefixes
are decided here, at conversion time, so the script is plain and readable. Each line runs in its
own ``$(SHELL) $(.SHELLFLAGS)`` (``cd`` does not carry over), is echoed unless silent, and a
failing line stops with make's message and exit status 2 unless it is ignored.
"""

from __future__ import annotations

import shlex

from wfsync.convert.make.graph import Graph, Line, Task


def recipe_script(task: Task, graph: Graph, *, silent: bool = False, ignore_errors: bool = False) -> str:
    """The script for ``task``; ``silent`` is ``make -s``, ``ignore_errors`` is ``make -i``."""
    where = f"{task.source}: {task.target}" if task.source else task.target
    shell = " ".join(shlex.quote(word) for word in [graph.shell, *graph.shell_flags.split()])
    out = [
        f"# make: the recipe of {_comment(task.target)}"
        + (f" ({_comment(task.source)})" if task.source else ""),
        "export MAKELEVEL=1",
    ]
    out += [f"export {key}={shlex.quote(value)}" for key, value in task.env.items() if _name(key)]
    if task.message:
        out.append(f"printf '%s' {shlex.quote(task.message)}")
    for line in task.lines:
        out += _line(line, shell, where, silent=silent, ignore_errors=ignore_errors)
    return "\n".join(out) + "\n"


def _line(line: Line, shell: str, where: str, *, silent: bool, ignore_errors: bool) -> list[str]:
    command = shlex.quote(line.command)
    out = [] if line.silent or silent else [f"printf '%s\\n' {command}"]
    if line.ignore or ignore_errors:
        message = shlex.quote(f"make: [{where}] Error ")
        out.append(f"{shell} {command} < /dev/null || printf '%s%d (ignored)\\n' {message} \"$?\"")
    else:
        message = shlex.quote(f"make: *** [{where}] Error ")
        out.append(f"{shell} {command} < /dev/null || {{ printf '%s%d\\n' {message} \"$?\" >&2; exit 2; }}")
    return out


def _comment(text: str) -> str:
    return " ".join(text.split())


def _name(key: str) -> bool:
    return key.replace("_", "a").isalnum() and not key[:1].isdigit() and key.isascii()
