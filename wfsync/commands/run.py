"""``wfsync run``: what to run, with which library, parameters and state folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from wfsync.commands.context import repository_config
from wfsync.config import STATE_DIR, cache_root
from wfsync.engine.run import RunRequest, RunResult, load_parameter_file, run
from wfsync.errors import UsageError


def parse_parameters(values: Sequence[str]) -> list[tuple[str, str]]:
    """``-p NAME=VALUE`` options as pairs (the value may itself hold ``=``)."""
    pairs = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-p expects NAME=VALUE, got {value!r}")
        pairs.append((name.strip(), rest))
    return pairs


def run_workflow(
    path: Path,
    *,
    cwd: Path,
    parameters: Sequence[str] = (),
    parameter_file: Path | None = None,
    entrypoint: str | None = None,
    with_paths: Sequence[Path] = (),
    log: Callable[[str, str], None] | None = None,
) -> RunResult:
    """Run ``path`` locally; the library of the surrounding repository resolves ``templateRef``s."""
    for given in with_paths:
        if not given.exists():
            raise UsageError(f"--with path does not exist: {given}")
    pairs = load_parameter_file(parameter_file) if parameter_file is not None else []
    pairs.extend(parse_parameters(parameters))
    config = repository_config(cwd)
    request = RunRequest(
        path=path,
        parameters=pairs,
        entrypoint=entrypoint,
        with_paths=list(with_paths),
        library=config.library if config is not None else None,
        state_dir=cache_root(cwd) / STATE_DIR,
        log=log,
    )
    return run(request)
