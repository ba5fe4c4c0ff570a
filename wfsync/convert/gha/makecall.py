"""Whether a ``run:`` script is one ``make`` call, and that call's directory, options and goals.

Only a script whose whole work is one make call (``make X``, ``make -C dir X``, ``make -j4 X Y``,
``make X VAR=value``, possibly after ``cd dir &&``) can become the Makefile's DAG: anything the
shell decides at run time (``$(TARGET)``, ``make || true``, a second command) would be lost, so
such a call is :class:`NotExpandable` with the reason, and the step stays as it is.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

MAKE_PROGRAMS = frozenset({"make", "gmake", "/usr/bin/make", "/usr/bin/gmake", "/bin/make"})
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*[:+?!]?=")
_FLAGS = {
    "-s": "silent",
    "--silent": "silent",
    "--quiet": "silent",
    "-i": "ignore",
    "--ignore-errors": "ignore",
}
_HARMLESS = frozenset({"-w", "--print-directory", "--no-print-directory", "--warn-undefined-variables"})
_SHORT_HARMLESS = frozenset("w")


class NotExpandable(Exception):
    """A make call that stays one step; the message says why."""


@dataclass
class MakeCall:
    """``make`` as the step calls it: where, with which makefile, variables, goals and ``-j``."""

    command: str
    directory: str = "."
    """Relative to the step's working directory (``cd`` and ``-C`` joined)."""
    makefile: str | None = None
    goals: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    jobs: int | None = None
    """``-j N``; 0 for ``-j`` without a limit; None when make runs one recipe at a time."""
    silent: bool = False
    ignore_errors: bool = False


def parse_make_call(script: str) -> MakeCall | None:
    """The make call of ``script``; None when the script does not start with make.

    Raises :class:`NotExpandable` when it starts with make but is not one plain make call.
    """
    lines = [
        line.strip()
        for line in script.replace("\\\n", " ").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if not lines:
        return None
    words = _words(lines[0])
    if words is None:
        return None
    directory, start = _cd_prefix(words)
    if start >= len(words) or words[start] not in MAKE_PROGRAMS:
        return None
    command = lines[0]
    if len(lines) > 1:
        raise NotExpandable("the script runs more than the make call")
    if "${{" in command:
        raise NotExpandable("a ${{ }} expression in the make call is decided at run time")
    if re.search(r"[$`]", command):
        raise NotExpandable("a shell variable or command substitution ($, `) is decided at run time")
    rest = words[start + 1 :]
    operator = next((w for w in rest if _operator(w)), None)
    if operator is not None:
        raise NotExpandable(
            f"the script combines make with `{operator}`, which the Makefile's graph cannot keep"
        )
    if any(ch in w for w in rest for ch in "*?[~"):
        raise NotExpandable("a glob or ~ in the make call is expanded by the shell at run time")
    call = MakeCall(command, directory)
    _options(rest, call)
    return call


def _words(line: str) -> list[str] | None:
    """Shell words, operators (``&&``, ``|``, ``;``, ``>``) as words of their own."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: not a call this module can read
        return None


def _operator(word: str) -> bool:
    return bool(word) and all(ch in "();<>|&" for ch in word)


def _cd_prefix(words: list[str]) -> tuple[str, int]:
    """The directories of leading ``cd DIR &&`` and the index of the word after them."""
    directory, at = ".", 0
    while (
        at + 2 < len(words) and words[at] == "cd" and words[at + 2] == "&&" and not _operator(words[at + 1])
    ):
        directory = posixpath.normpath(posixpath.join(directory, words[at + 1]))
        at += 3
    return directory, at


def _options(words: list[str], call: MakeCall) -> None:
    """Read make's options, variables and goals into ``call``."""
    at = 0
    goals_only = False
    while at < len(words):
        word = words[at]
        at += 1
        if goals_only or not word.startswith("-") or word == "-":
            if not goals_only and _VARIABLE.match(word):
                call.variables.append(word)
            else:
                call.goals.append(word)
        elif word == "--":
            goals_only = True
        elif word.startswith("--"):
            at = _long_option(word, words, at, call)
        else:
            at = _short_options(word, words, at, call)


def _long_option(word: str, words: list[str], at: int, call: MakeCall) -> int:
    name, eq, value = word.partition("=")
    if name in _FLAGS and not eq:
        setattr(call, "silent" if _FLAGS[name] == "silent" else "ignore_errors", True)
        return at
    if name in _HARMLESS:
        return at
    if name in ("--directory", "--file", "--makefile", "--jobs"):
        if not eq and name != "--jobs":
            if at >= len(words):
                raise NotExpandable(f"make option {name} has no value")
            value, at = words[at], at + 1
        _apply(name, value if eq or name != "--jobs" else "", call)
        return at
    raise NotExpandable(f"make option {name} is not converted")


def _short_options(word: str, words: list[str], at: int, call: MakeCall) -> int:
    letters = word[1:]
    index = 0
    while index < len(letters):
        letter = letters[index]
        index += 1
        if letter in "sS" or letter == "i" or letter in _SHORT_HARMLESS:
            if letter == "s":
                call.silent = True
            elif letter == "i":
                call.ignore_errors = True
            continue
        if letter in "Cfj":
            value = letters[index:]
            if not value and letter != "j":
                if at >= len(words):
                    raise NotExpandable(f"make option -{letter} has no value")
                value, at = words[at], at + 1
            elif not value and at < len(words) and words[at].isdigit():
                value, at = words[at], at + 1
            _apply({"C": "--directory", "f": "--file", "j": "--jobs"}[letter], value, call)
            return at
        raise NotExpandable(f"make option -{letter} is not converted")
    return at


def _apply(name: str, value: str, call: MakeCall) -> None:
    if name == "--directory":
        call.directory = posixpath.normpath(posixpath.join(call.directory, value))
    elif name in ("--file", "--makefile"):
        call.makefile = value
    elif not value:
        call.jobs = 0
    elif value.isdigit() and int(value) > 0:
        call.jobs = int(value)
    else:
        raise NotExpandable(f"make -j {value!r} is not a number of jobs")
