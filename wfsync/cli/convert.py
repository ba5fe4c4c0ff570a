"""``wfsync convert github-actions / convert make`` (issue 5); the commands are registered here when they land."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the commands to the app (none yet)."""
    del app
