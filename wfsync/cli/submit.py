"""``wfsync submit``: placeholder registration, filled in by the issue 15 work."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the commands to the app (none yet)."""
    del app
