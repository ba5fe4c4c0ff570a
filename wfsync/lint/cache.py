"""Per-file lint results by content hash, in one JSON file (fast to load, safe to read).

Everything a file's documents yield on their own depends only on the file's bytes, so a second
run over unchanged files only hashes them. The file is read back whole on every run, so entries
are positional and leave out what the key already says (the file's path).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from wfsync import __version__
from wfsync.lint.index import DocumentSummary
from wfsync.lint.report import FileResult, Skipped
from wfsync.lint.rules.call_facts import CallFacts
from wfsync.model.findings import Finding, Severity

CACHE_FORMAT = 4


class LintCache:
    """The entries of one cache file, written back by :meth:`save` when something changed."""

    def __init__(self, file: Path | None, entries: dict[str, Any]) -> None:
        self.file = file
        self.entries = entries
        self.dirty = False

    @classmethod
    def open(cls, folder: Path | None) -> LintCache:
        """The cache under ``folder`` (none: nothing is kept); unreadable or stale: empty."""
        if folder is None:
            return cls(None, {})
        file = folder / f"lint-v{CACHE_FORMAT}.json"
        entries: dict[str, Any] = {}
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("key") == _cache_key():
                entries = data["files"]
        except (OSError, ValueError, KeyError, AttributeError):
            entries = {}
        return cls(file, entries)

    def get(self, key: str, digest: str) -> FileResult | None:
        """The result stored for file ``key`` if its content hash is still ``digest``."""
        entry = self.entries.get(key)
        if entry is None or entry.get("h") != digest:
            return None
        summaries = tuple([DocumentSummary.from_json(s, key) for s in entry["s"]])
        return FileResult(
            tuple(map(_finding_from_json, entry["f"])) if entry["f"] else (),
            summaries,
            tuple([Skipped(**s) for s in entry["k"]]) if entry["k"] else (),
            entry["d"],
            tuple(
                [
                    CallFacts.from_json(c, (s.path, s.line, s.kind, s.namespace, s.name))
                    for c, s in zip(entry["c"], summaries, strict=True)
                ]
            ),
        )

    def put(self, key: str, digest: str, result: FileResult) -> None:
        """Remember ``result`` for file ``key`` with content hash ``digest``."""
        if self.file is None:
            return
        self.entries[key] = {
            "h": digest,
            "f": [f.to_json() for f in result.findings],
            "s": [s.to_json(key) for s in result.summaries],
            "k": [s.to_json() for s in result.skipped],
            "d": result.documents,
            "c": [c.to_json() for c in result.calls],
        }
        self.dirty = True

    def save(self) -> None:
        """Write the entries (atomically) if they changed; a failed write only costs speed."""
        if self.file is None or not self.dirty:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(
                json.dumps({"key": _cache_key(), "files": self.entries}, separators=(",", ":")),
                encoding="utf-8",
            )
            tmp.replace(self.file)
        except OSError:
            pass  # a cache that cannot be written only costs speed


@functools.cache
def _cache_key() -> str:
    """Changes whenever the code or schema that produced cached results could have changed."""
    digest = hashlib.blake2b(digest_size=12)
    package = Path(__file__).resolve().parent.parent
    for folder in ("lint", "library", "model"):
        for source in sorted((package / folder).rglob("*")):
            if source.suffix in (".py", ".json"):
                digest.update(source.read_bytes())
    return f"{__version__}|{CACHE_FORMAT}|{digest.hexdigest()}"


def _finding_from_json(data: dict[str, Any]) -> Finding:
    return Finding(
        Path(data["file"]),
        data["line"],
        data["rule"],
        data["message"],
        data["path"],
        Severity(data["severity"]),
        data["column"],
        data["kind"],
        data["name"],
        data.get("suggestion"),
    )
