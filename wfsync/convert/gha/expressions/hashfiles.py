"""``hashFiles(patterns...)``: the SHA-256 of the files in a workspace matching glob patterns.

As on GitHub's runner: patterns are relative to the workspace; ``*``, ``?``, ``[...]`` match
within one path segment and ``**`` any number of segments; dot files match; a pattern that
matches a directory matches everything below it; ``!pattern`` excludes, later patterns
overriding earlier ones. Each matched file's SHA-256 digest is fed into an outer SHA-256, whose
hex digest is the result ('' when nothing matched). Files outside the workspace never count.
Files are taken in sorted path order (the runner takes directory-listing order, which is not
stable across machines).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = segment.find("]", i + 2)
            if close < 0:
                out.append(re.escape(char))
            else:
                body = segment[i + 1 : close]
                negate = body.startswith("!")
                body = re.escape(body[1:] if negate else body).replace("\\-", "-")
                out.append(f"[{'^' if negate else ''}{body}]")
                i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regex over workspace-relative POSIX paths; matches the path or any ancestor of it."""
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    parts: list[str] = []
    for segment in segments:
        if segment == "**":
            parts.append("(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + "/")
    body = "".join(parts)
    # The trailing "/" of the last segment becomes "this path, or anything below it".
    if body.endswith("/"):
        body = body[:-1] + "(?:/.*)?"
    else:
        body += ".*"
    return re.compile(body, re.DOTALL)


def _walk(root: Path) -> Iterator[str]:
    seen: set[tuple[int, int]] = set()
    for current, dirs, files in os.walk(root, followlinks=True):
        stat = Path(current).stat()
        if (stat.st_dev, stat.st_ino) in seen:
            dirs.clear()
            continue
        seen.add((stat.st_dev, stat.st_ino))
        rel = Path(current).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for name in files:
            if Path(current, name).is_file():
                yield prefix + name


def matching_files(workspace: Path, patterns: Sequence[str]) -> list[str]:
    """Workspace-relative POSIX paths matching ``patterns``, sorted."""
    root = workspace.resolve()
    compiled: list[tuple[bool, re.Pattern[str]]] = []
    for raw in patterns:
        for line in raw.splitlines():
            pattern = line.strip()
            if not pattern or pattern.startswith("#"):
                continue
            negate = pattern.startswith("!")
            pattern = pattern.lstrip("!") if negate else pattern
            if Path(pattern).is_absolute():
                try:
                    pattern = Path(pattern).relative_to(root).as_posix()
                except ValueError:
                    continue  # outside the workspace: never matches
            compiled.append((negate, _pattern_regex(pattern)))
    if not any(not negate for negate, _ in compiled):
        return []
    matched: list[str] = []
    for path in _walk(root):
        included = False
        for negate, regex in compiled:
            if regex.fullmatch(path):
                included = not negate
        if included:
            matched.append(path)
    return sorted(matched)


def hash_files(workspace: Path, patterns: Sequence[str]) -> str:
    """The hex SHA-256 over the SHA-256 digests of the matching files ('' for none)."""
    outer = hashlib.sha256()
    count = 0
    root = workspace.resolve()
    for rel in matching_files(root, patterns):
        inner = hashlib.sha256()
        with (root / rel).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                inner.update(chunk)
        outer.update(inner.digest())
        count += 1
    return outer.hexdigest() if count else ""
