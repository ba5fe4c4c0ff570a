"""``wfsync convert github-actions``: wires options to the converter, the formatter, lint and the engine.

The converter (:mod:`wfsync.convert.gha`) finds, converts, lays out and writes
(:mod:`~wfsync.convert.gha.batch`, :mod:`~wfsync.convert.gha.layout`,
:mod:`~wfsync.convert.gha.localrun`); it may not import its sibling services, so here the
documents get ``wfsync fmt``'s canonical order, each output is linted before it is written, and
``--run`` hands the localized document to the local engine.
"""

from __future__ import annotations

import functools
import io
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfsync.commands.library import convert_needs, fallback_for
from wfsync.convert.gha import Conversion, RuleSet, convert_file, load_rules, localrun
from wfsync.convert.gha.batch import (
    SUFFIXES,
    ConvertedFile,
    ConvertResult,
    find_workflows,
    write_outputs,
    write_report,
)
from wfsync.convert.gha.layout import header_text
from wfsync.convert.gha.localrun import LOCAL_GIT_IMAGE, LOCAL_RUNNER_IMAGE, RunSettings, source_root
from wfsync.convert.gha.plans import ExpandMake
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.runcontext import RunContext
from wfsync.convert.layout import commented
from wfsync.errors import UsageError, WfsyncError
from wfsync.fmt.formatter import canonicalize, new_yaml

if TYPE_CHECKING:
    from wfsync.engine.run import RunResult
    from wfsync.lint.index import DocumentSummary

__all__ = [
    "LOCAL_GIT_IMAGE",
    "LOCAL_RUNNER_IMAGE",
    "SUFFIXES",
    "ConvertResult",
    "ConvertedFile",
    "ExpandMake",
    "RunSettings",
    "checkout_source",
    "find_workflows",
    "localize",
    "output_problem",
    "render_yaml",
    "run_convert_github_actions",
    "run_settings",
    "source_root",
]


def render_yaml(conversion: Conversion) -> str:
    """The document as YAML in ``wfsync fmt``'s canonical form, with the header comment.

    The document is generated data, so it goes straight to the formatter's canonical ordering
    and emitter instead of through text (parse, re-emit, compare), which costs most of the time
    over many files; the tests check that ``wfsync fmt`` leaves the result unchanged.
    """
    assert conversion.document is not None
    document = commented(conversion.document)
    canonicalize(document)
    buffer = io.StringIO()
    new_yaml().dump(document, buffer)
    return header_text(conversion.header) + buffer.getvalue()


def run_convert_github_actions(
    paths: Sequence[Path],
    *,
    out_dir: Path | None = None,
    report: Path | None = None,
    rules: Sequence[Path] = (),
    template: bool = False,
    starter: bool = False,
    run: RunSettings | None = None,
    expand_make: ExpandMake | None = None,
) -> ConvertResult:
    """Convert every workflow under ``paths``; write outputs and the report file if asked.

    With ``run``, each converted workflow is then run with the local engine and its phase
    lands in the audit (before the report file is written). With ``expand_make``, ``run: make X``
    steps become the DAG of X from the repository's Makefile.
    """
    started = time.perf_counter()
    files = find_workflows(paths)
    _rules(tuple(rules))  # a bad pack is reported before any work starts; forked workers inherit it
    result = ConvertResult(report_path=report)
    names: set[str] = set()
    if expand_make is not None and expand_make.root is not None and not expand_make.root.is_dir():
        raise UsageError(f"--repo {expand_make.root}: not a directory")
    jobs = [(path, tuple(rules), template, starter, expand_make) for path in files]
    workers = min(os.cpu_count() or 1, 8)
    if len(files) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_convert_one, jobs, chunksize=8))
    else:
        outcomes = [_convert_one(job) for job in jobs]
    for path, (conversion, text) in zip(files, outcomes, strict=True):
        result.add(ConvertedFile(conversion, text), path, out_dir, names)
    result.audit.seconds = time.perf_counter() - started
    if out_dir is not None:
        write_outputs(result.files, out_dir)
    documents = [f.conversion.document for f in result.files if f.conversion.document is not None]
    result.library = convert_needs(documents, Path.cwd(), run.library if run is not None else None)
    if run is not None:
        for item in result.files:
            if item.text is not None:
                run_converted(item, run)
    if report is not None:
        write_report(result.audit, report)
    return result


PARALLEL_THRESHOLD = 32
"""Below this many files, starting worker processes costs more than it saves."""


@functools.cache
def _rules(extra: tuple[Path, ...]) -> RuleSet:
    return load_rules(extra)


def _convert_one(
    job: tuple[Path, tuple[Path, ...], bool, bool, ExpandMake | None],
) -> tuple[Conversion, str | None]:
    """Convert and render one file (also in a worker process, which loads the rules once)."""
    path, extra, template, starter, expand_make = job
    try:
        conversion = convert_file(
            path, _rules(extra), template=template, starter=starter, expand_make=expand_make
        )
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read: {err}") from None
    if conversion.document is None:
        return conversion, None
    text = render_yaml(conversion)
    problem = output_problem(path, text)
    if problem is not None:  # a converter bug: the workflow fails, no broken file is written
        conversion.report.error = f"internal error: the converted workflow does not pass lint: {problem}"
        conversion.report.finish()
        return conversion, None
    return conversion, text


def output_problem(source: Path, text: str) -> str | None:
    """Why a converted file is not valid (YAML, Argo's rules, references to the standard library), or None.

    Every output is parsed and linted before it is written, so that text from a workflow
    (names, comments, descriptions) can never produce a file that Argo or ``wfsync lint`` rejects.
    """
    from wfsync.lint.index import cross_check
    from wfsync.lint.linter import lint_text
    from wfsync.model.findings import Severity

    result = lint_text(source.with_suffix(".yaml"), text)
    problems = [
        f"line {f.line}: {f.rule}: {f.message}" for f in result.findings if f.severity is Severity.ERROR
    ]
    problems += [
        f"line {c.line}: {c.rule}: {c.message}" for c in cross_check(result.summaries, _standard_summaries())
    ]
    if not result.documents and not problems:
        problems.append("no document")
    return (
        "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        if problems
        else None
    )


@functools.cache
def _standard_summaries() -> tuple[DocumentSummary, ...]:
    """What the standard library's templates offer (names, templates, inputs) for reference checks."""
    from wfsync.library.discover import find_yaml_files
    from wfsync.library.standard import standard_dir
    from wfsync.lint.linter import lint_text

    files, _ = find_yaml_files([standard_dir()])
    return tuple(s for f in files for s in lint_text(f, f.read_text(encoding="utf-8")).summaries)


# --run: the converted workflow on the local engine ------------------------------------------


def run_settings(
    cwd: Path,
    *,
    event: Path | None = None,
    event_name: str = "push",
    actor: str = "",
    repository: str = "",
    env: Sequence[str] = (),
    secrets: Sequence[str] = (),
) -> RunSettings:
    """``--run`` settings: the library of the repository around ``cwd``, its state folder, the context.

    ``event`` is a payload file (act's ``-e``): its ``inputs`` fill ``workflow_dispatch`` inputs;
    ``env`` and ``secrets`` are ``KEY=VALUE`` texts.
    """
    from wfsync.commands.context import repository_config
    from wfsync.config import cache_root, state_folder
    from wfsync.convert.gha.runcontext import read_event

    payload: Mapping[str, object] = {}
    if event is not None:
        try:
            payload = read_event(event.read_text(encoding="utf-8"), str(event))
        except OSError as err:
            raise UsageError(f"{event}: cannot read the event payload: {err.strerror}") from None
        except ValueError as err:
            raise UsageError(str(err)) from None
    context = RunContext(
        actor=actor,
        repository=repository,
        event=payload,
        env=_pairs(env, "--env"),
        secrets=_pairs(secrets, "--secret"),
    )
    config = repository_config(cwd)
    return RunSettings(
        config.library if config is not None else None,
        state_folder(cache_root(cwd)),
        event=event_name,
        context=context,
    )


def _pairs(items: Sequence[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def checkout_source(root: Path, into: Path) -> Path:
    """A local git repository with the files of ``root`` committed: what ``actions/checkout`` gets."""
    import shutil
    import subprocess

    repo = into / "repo"
    # .wfsync: the run's own state folder is inside root when run outside a wfsync repository
    shutil.copytree(root, repo, ignore=shutil.ignore_patterns(".git", ".wfsync"), symlinks=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "wfsync",
        "GIT_AUTHOR_EMAIL": "wfsync@localhost",
        "GIT_COMMITTER_NAME": "wfsync",
        "GIT_COMMITTER_EMAIL": "wfsync@localhost",
    }
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "--no-gpg-sign", "--allow-empty", "-m", "wfsync convert --run"],
    ):
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise UsageError(f"{root}: cannot make a git repository for checkout: {done.stderr.strip()}")
    return repo


def localize(
    document: dict[str, Any], repo: Path, event: str, context: RunContext | None = None
) -> dict[str, Any]:
    """The converted document as the local engine can run it (see :func:`.localrun.localize`)."""
    from wfsync.engine.host import image_family

    return localrun.localize(document, repo, event, context, lambda image: image_family(image) is not None)


def run_converted(item: ConvertedFile, settings: RunSettings) -> None:
    """Run one converted workflow locally and record the phase in its report entry."""
    import tempfile

    from wfsync.engine.executor import Unsupported
    from wfsync.engine.run import RunRequest
    from wfsync.engine.run import run as run_workflow

    conversion = item.conversion
    report: WorkflowReport = conversion.report
    assert conversion.document is not None
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wfsync-convert-run-", dir=settings.state_dir) as tmp:
        folder = Path(tmp)
        try:
            repo = checkout_source(settings.root or source_root(conversion.source), folder)
            document = localize(conversion.document, repo, settings.event, settings.context)
            target = folder / f"{conversion.name}.yaml"
            target.write_text(_dump(document), encoding="utf-8")
            request = RunRequest(
                path=target,
                library=settings.library,
                state_dir=folder / "state",
                templates=fallback_for(document, settings.library),  # what the project lacks
            )
            outcome = run_workflow(request)
        except Unsupported as err:
            report.run, report.run_message = "unsupported", str(err).removeprefix("unsupported: ")
            return
        except WfsyncError as err:
            report.run, report.run_message = "Error", str(err)
            return
        except Exception as err:  # an engine bug on one workflow must not stop the others
            report.run, report.run_message = "Error", f"local engine error: {type(err).__name__}: {err}"
            return
        report.run = outcome.status.phase
        report.run_message = "" if outcome.succeeded else _failure(outcome)


def _failure(outcome: RunResult) -> str:
    """Where a run failed: the failed pods (GitHub step names) with the end of their logs."""
    logs = dict(outcome.logs)
    failed = [
        n
        for n in outcome.status.nodes.values()
        if n.type == "Pod" and n.phase in ("Failed", "Error") and "wfsync-job-result" not in n.name
    ]
    parts = []
    for node in failed[:3]:
        tail = " | ".join(line for line in str(logs.get(node.name, "")).strip().splitlines()[-2:])
        parts.append(f"{node.name.split('.', 1)[-1]}: {node.message}" + (f" [{tail}]" if tail else ""))
    return "; ".join(parts) or str(outcome.status.message or "")


def _dump(document: dict[str, Any]) -> str:
    buffer = io.StringIO()
    new_yaml().dump(commented(document), buffer)
    return buffer.getvalue()
