"""A real ``make`` run with a recording ``SHELL``: every expanded command, in the order make ran it.

A makefile appended last (so ``.DEFAULT_GOAL`` stays) overrides ``SHELL`` with a small POSIX sh
recorder and passes the target through ``.SHELLFLAGS``; the recorder logs target, directory,
command and exported environment, prints markers around the command on make's output (so that
what make printed itself -- the echo, ``$(info)`` -- can be told apart), runs the Makefile's own
shell with its own flags and logs the exit status. A ``$(shell)`` call made while a recipe is
expanded runs through the recorder too; its standard output is a pipe, not make's output, which
is how it is told apart (it is logged, not marked).
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wfsync.convert.make.database import copy_workspace, make_program

RECORDER = r"""#!/bin/sh
# wfsync make recorder: $1 the real shell, $2 T:<target>, then the shell's flags and the command.
real="$1"; target="${2#T:}"; shift 2
for last; do :; done
if [ /proc/self/fd/1 -ef "$WFSYNC_MAKE_OUT" ]; then
  flags=; n=$#
  for a; do n=$((n - 1)); [ "$n" -gt 0 ] && flags="$flags${flags:+ }$a"; done
  printf 'T%s\0C%s\0D%s\0H%s\0F%s\0E' "$target" "$last" "$PWD" "$real" "$flags" >> "$WFSYNC_MAKE_LOG"
  export -p >> "$WFSYNC_MAKE_LOG"
  printf '\0' >> "$WFSYNC_MAKE_LOG"
  printf '\001%s:B\n' "$WFSYNC_MAKE_NONCE"
  "$real" "$@"
  rc=$?
  printf '\001%s:E\n' "$WFSYNC_MAKE_NONCE"
  printf 'R%d\0' "$rc" >> "$WFSYNC_MAKE_LOG"
  exit "$rc"
fi
printf 'S%s\0C%s\0' "$target" "$last" >> "$WFSYNC_MAKE_LOG"
exec "$real" "$@"
"""

RECORD_MK = """\
override WFSYNC_SAVED_SHELL := $(SHELL)
override WFSYNC_SAVED_FLAGS := $(.SHELLFLAGS)
override WFSYNC_SPACE := $(subst x,,x x)
override SHELL := {recorder}
override .SHELLFLAGS = $(WFSYNC_SAVED_SHELL) T:$(subst $$,%24,$(subst $(WFSYNC_SPACE),%20,$@)) $(WFSYNC_SAVED_FLAGS)
"""

_SHELL_NOISE = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})


@dataclass
class Invocation:
    """One shell call of a recipe line (or a whole ``.ONESHELL`` recipe)."""

    target: str
    command: str
    directory: str
    """Relative to the workspace root (``.`` for it); absolute when outside it."""
    env: dict[str, str]
    """Exported variables make added or changed (MAKEFLAGS, MAKELEVEL, ``export``ed ones)."""
    status: int = 0
    before: str = ""
    """What make printed itself before this command: its echo, ``$(info)``, warnings."""
    output: str = ""
    shell: str = ""
    """The Makefile's SHELL and .SHELLFLAGS for this call, as make expanded them."""
    flags: str = ""


@dataclass
class Recording:
    """The run: invocations in order, ``$(shell)`` calls made during expansion, make's exit status."""

    invocations: list[Invocation] = field(default_factory=list)
    expansion_shells: list[tuple[str, str]] = field(default_factory=list)
    exit_status: int = 0
    output: str = ""
    tail: str = ""
    """What make printed after the last command (intermediate ``rm``, errors, ``$(info)``)."""
    outside_writes: list[str] = field(default_factory=list)


def record(
    directory: Path,
    makefile: str | None,
    goals: Sequence[str],
    variables: Sequence[str],
    *,
    timeout: float = 600,
) -> Recording:
    """Run make in a throwaway copy of ``directory`` with the recorder as its shell."""
    with tempfile.TemporaryDirectory(prefix="wfsync-make-rec-") as tmp:
        root = Path(tmp)
        work = copy_workspace(directory, root)
        # named sh: make treats it as a POSIX shell (.ONESHELL strips prefixes of every line)
        (root / "bin").mkdir()
        recorder = root / "bin" / "sh"
        recorder.write_text(RECORDER, encoding="utf-8")
        recorder.chmod(0o755)
        record_mk = root / "record.mk"
        record_mk.write_text(RECORD_MK.format(recorder=recorder), encoding="utf-8")
        log, out = root / "log", root / "out"
        nonce = secrets.token_hex(6)
        env = {
            **os.environ,
            "WFSYNC_MAKE_LOG": str(log),
            "WFSYNC_MAKE_OUT": str(out),
            "WFSYNC_MAKE_NONCE": nonce,
        }
        env.pop("MAKEFLAGS", None)
        env.pop("MAKELEVEL", None)
        base = dict(env)
        log.touch()
        files = ["-f", makefile or _default_makefile(work), "-f", str(record_mk)]
        with out.open("wb") as sink:
            try:
                done = subprocess.run(
                    [make_program(), *files, *variables, *goals],
                    cwd=work,
                    env=env,
                    stdout=sink,
                    stderr=sink,
                    stdin=subprocess.DEVNULL,
                    check=False,
                    timeout=timeout,
                )
                status = done.returncode
            except subprocess.TimeoutExpired:
                status = 124
        text = out.read_bytes().decode("utf-8", "replace")
        recording = _parse_log(log.read_bytes().decode("utf-8", "replace"), work, base)
    recording.exit_status = status
    _split_output(recording, text, nonce)
    for inv in recording.invocations:  # $(SHELL) and $(MAKEFILE_LIST) in a recipe saw the recorder
        inv.command = inv.command.replace(f" {record_mk}", "").replace(str(recorder), inv.shell or "/bin/sh")
        inv.before = inv.before.replace(f" {record_mk}", "").replace(str(recorder), inv.shell or "/bin/sh")
    return recording


def _default_makefile(work: Path) -> str:
    for name in ("GNUmakefile", "makefile", "Makefile"):
        if (work / name).exists():
            return name
    return "Makefile"


def _parse_log(text: str, work: Path, base: dict[str, str]) -> Recording:
    fields = text.split("\0")
    recording = Recording()
    i = 0
    while i < len(fields):
        item = fields[i]
        if item.startswith("T") and i + 5 < len(fields):
            target = item[1:].replace("%20", " ").replace("%24", "$")
            command = fields[i + 1][1:]
            where = Path(fields[i + 2][1:])
            shell, flags = fields[i + 3][1:], fields[i + 4][1:]
            exported = _exports(fields[i + 5][1:])
            env = {k: v for k, v in exported.items() if base.get(k) != v and not k.startswith("WFSYNC_MAKE_")}
            try:
                directory = where.relative_to(work).as_posix() or "."
            except ValueError:
                directory = str(where)
            recording.invocations.append(
                Invocation(target, command, directory, env, shell=shell, flags=flags)
            )
            i += 6
        elif item.startswith("R") and recording.invocations:
            recording.invocations[-1].status = int(item[1:] or 0)
            i += 1
        elif item.startswith("S") and i + 1 < len(fields):
            recording.expansion_shells.append((item[1:], fields[i + 1][1:]))
            i += 2
        else:
            i += 1
    return recording


def _exports(text: str) -> dict[str, str]:
    """``export -p`` output of dash/bash (``export NAME='value'``) as a mapping."""
    out: dict[str, str] = {}
    try:
        words = shlex.split(text)
    except ValueError:
        return out
    for word in words:
        if word in ("export", "declare", "-x"):
            continue
        name, sep, value = word.partition("=")
        if sep and name not in _SHELL_NOISE:
            out[name] = value
    return out


def _split_output(recording: Recording, text: str, nonce: str) -> None:
    """Cut make's output at the recorder's markers: before/output per invocation, and the tail."""
    begin, end = f"\001{nonce}:B\n", f"\001{nonce}:E\n"
    rest = text
    clean: list[str] = []
    for invocation in recording.invocations:
        before, sep, rest = rest.partition(begin)
        if not sep:
            rest = before
            break
        output, _, rest = rest.partition(end)
        invocation.before, invocation.output = before, output
        clean += [before, output]
    recording.tail = rest
    recording.output = "".join(clean) + rest
