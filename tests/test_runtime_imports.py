"""hera (and pydantic) are development tools: nothing wfsync runs imports them."""

from __future__ import annotations

import subprocess
import sys


def test_cli_lint_sync_engine_and_convert_import_without_hera() -> None:
    code = (
        "import sys\n"
        "import wfsync.cli.app, wfsync.lint.linter, wfsync.sync.plan, wfsync.engine.run, wfsync.commands.convert\n"
        "import wfsync.model.spec_types, wfsync.model.walk\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('hera', 'pydantic'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
