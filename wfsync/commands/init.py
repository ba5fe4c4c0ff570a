"""``wfsync init``: pick the library id and scaffold."""

from __future__ import annotations

import re
from pathlib import Path

from wfsync.errors import UsageError
from wfsync.scaffold import InitResult, scaffold


def run_init(directory: Path, *, with_library: bool = True) -> InitResult:
    """Scaffold ``directory`` (created if missing); the library id comes from its name.

    ``with_library``: copy the standard library's families into ``library/`` too.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    name = directory.resolve().name
    library_id = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-") or "library"
    return scaffold(directory, library_id, with_library=with_library)
