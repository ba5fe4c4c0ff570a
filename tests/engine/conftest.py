"""Helpers to run workflow YAML through the real engine (host processes) in a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from wfsync.engine.run import RunRequest, RunResult, run


def node_table(result: RunResult) -> list[tuple[str, str, str, str]]:
    """(name with the workflow name as ``WF``, type, phase, message) of every node, in creation order."""
    name = result.status.name
    return [
        (n.name.replace(name, "WF", 1), n.type, n.phase, n.message.replace(name + "-", "WF-"))
        for n in result.status.nodes.values()
    ]


@pytest.fixture
def run_yaml(tmp_path: Path) -> Callable[..., RunResult]:
    """Write YAML to a file and run it; keyword arguments go to :class:`RunRequest`."""

    def go(text: str, **kwargs: object) -> RunResult:
        path = tmp_path / "wf.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return run(RunRequest(path=path, state_dir=tmp_path / "state", **kwargs))  # type: ignore[arg-type]

    return go
