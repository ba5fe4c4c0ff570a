"""A small re-implementation of ``argoproj/argosay`` (v1 and v2) for host runs.

Run as ``python argosay.py ARGS...``: ``echo [MESSAGE [FILE]]``, ``cat FILE...``,
``sleep DURATION``, ``exit [CODE]``, ``assert_contains FILE TEXT``, ``assert_equals FILE TEXT``.
With no arguments it says ``hello argo``. Paths are already mapped into the pod's root.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(text: str) -> float:
    """Seconds of a Go duration (``1s``, ``1m30s``, ``250ms``) or a bare number of seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+"):
        raise ValueError(f'time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[u] for n, u in parts)


def main(argv: list[str]) -> int:
    """Do what argosay does; returns the exit code."""
    if not argv:
        argv = ["echo"]
    cmd, rest = argv[0], argv[1:]
    if cmd == "echo":
        message = rest[0] if rest else "hello argo"
        if len(rest) > 1:
            target = Path(rest[1])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(message, encoding="utf-8")
        else:
            sys.stdout.write(message + "\n")
        return 0
    if cmd == "cat":
        for name in rest:
            sys.stdout.write(Path(name).read_text(encoding="utf-8"))
        return 0
    if cmd == "sleep":
        time.sleep(go_duration(rest[0] if rest else "10s"))
        return 0
    if cmd == "exit":
        return int(rest[0]) if rest else 0
    if cmd in ("assert_contains", "assert_equals"):
        content = Path(rest[0]).read_text(encoding="utf-8")
        ok = rest[1] in content if cmd == "assert_contains" else content == rest[1]
        if not ok:
            sys.stderr.write(f"{content!r} does not {cmd[7:]} {rest[1]!r}\n")
            return 1
        return 0
    sys.stderr.write(f"unknown command {cmd}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
