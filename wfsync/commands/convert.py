"""``wfsync convert github-actions``: find workflow files, convert each, format, write, report.

Conversion itself lives in :mod:`wfsync.convert.gha` and never formats or writes; here the Argo
documents get the canonical form of ``wfsync fmt`` and a header comment, and land in
``--out-dir`` (or are kept for stdout). The result keeps each conversion's YAML so that a later
``--run`` can hand it to the local engine.
"""

from __future__ import annotations

import functools
import io
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.commands.library import convert_needs, fallback_for
from wfsync.convert.gha import AuditReport, Conversion, RuleSet, convert_file, load_rules
from wfsync.convert.gha.report import WorkflowReport, render_report
from wfsync.convert.gha.runcontext import RunContext, env_lines
from wfsync.errors import ExitCode, UsageError, WfsyncError
from wfsync.fmt.formatter import canonicalize, new_yaml
from wfsync.library.standard import Needs

SUFFIXES = (".yml", ".yaml")


@dataclass
class ConvertedFile:
    """One input and its output: the conversion and the formatted YAML (``None`` when failed)."""

    conversion: Conversion
    text: str | None
    path: Path | None = None


@dataclass
class ConvertResult:
    """Everything ``convert github-actions`` produced."""

    files: list[ConvertedFile] = field(default_factory=list)
    audit: AuditReport = field(default_factory=AuditReport)
    report_path: Path | None = None
    library: Needs | None = None
    """Standard library families the output calls, and which the project has (``wfsync library``)."""

    @property
    def exit_code(self) -> ExitCode:
        """0 all converted (and, with ``--run``, Succeeded), 1 incomplete or failed, 2 unreadable."""
        if self.files and all(
            f.text is None and not f.conversion.report.error.startswith("internal error") for f in self.files
        ):
            return ExitCode.USAGE  # no input could be read (a converter bug is a finding, 1)
        ran_ok = all(w.run in ("", "Succeeded") for w in self.audit.workflows)
        return ExitCode.CLEAN if self.audit.complete and ran_ok else ExitCode.FINDINGS


def find_workflows(paths: Sequence[Path]) -> list[Path]:
    """The workflow files named or found (recursively) under the given folders."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not found:
        raise UsageError("no workflow files (.yml, .yaml) found in " + ", ".join(str(p) for p in paths))
    return found


def _commented(value: Any, key: str = "") -> Any:
    """The emitter's (ruamel) types, laid out as a person would write them.

    Scripts and other multi-line text are ``|`` blocks; a ``templateRef`` and a short
    one-line parameter (``{name: job, value: jobs/build}``) take one line each.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, dict):
        node = CommentedMap((k, _commented(v, str(k))) for k, v in value.items())
        if key == "templateRef" or (key == "parameters" and _short_parameter(value)):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return CommentedSeq(_commented(v, key) for v in value)
    if isinstance(value, str) and _block_friendly(value):
        return LiteralScalarString(value)
    return value


FLOW_WIDTH = 72
"""A parameter whose name and one-line value fit in this many characters is written on one line."""


def _short_parameter(parameter: dict[str, Any]) -> bool:
    if set(parameter) - {"name", "value"} or not isinstance(parameter.get("value", ""), str):
        return False
    text = str(parameter.get("value", ""))
    return (
        "\n" not in text
        and "\r" not in text
        and len(str(parameter.get("name", ""))) + len(text) <= FLOW_WIDTH
    )


def _block_friendly(text: str) -> bool:
    """Whether a ``|`` block gives ``text`` back exactly (line breaks, printable, no edge blanks)."""
    if "\n" not in text.rstrip("\n") or text != text.lstrip(" ") or "\n\n\n" in text[-3:] + "\n":
        return False
    if any((ch < " " and ch not in "\n\t") or ch in "\x7f\u2028\u2029\ufeff\x85" for ch in text):
        return False
    return not any(line != line.rstrip(" \t") for line in text.split("\n"))


def _comment_line(line: str) -> str:
    """A header line as one YAML comment line: text from the source never ends the comment."""
    # YAML also ends a line at NEL, LINE and PARAGRAPH SEPARATOR; other control characters are not text.
    flat = "".join(
        " " if ch < " " and ch != "\t" or ch in "\x7f\x85\u2028\u2029\ufeff" else ch for ch in line
    )
    return "#" if not flat else f"# {flat}"


def render_yaml(conversion: Conversion) -> str:
    """The document as YAML in ``wfsync fmt``'s canonical form, with the header comment.

    The document is generated data, so it goes straight to the formatter's canonical ordering
    and emitter instead of through text (parse, re-emit, compare), which costs most of the time
    over many files; the tests check that ``wfsync fmt`` leaves the result unchanged.
    """
    assert conversion.document is not None
    document = _commented(conversion.document)
    canonicalize(document)
    buffer = io.StringIO()
    new_yaml().dump(document, buffer)
    header = "".join(f"{_comment_line(line)}\n" for line in conversion.header)
    return header + buffer.getvalue()


def run_convert_github_actions(
    paths: Sequence[Path],
    *,
    out_dir: Path | None = None,
    report: Path | None = None,
    rules: Sequence[Path] = (),
    template: bool = False,
    starter: bool = False,
    run: RunSettings | None = None,
) -> ConvertResult:
    """Convert every workflow under ``paths``; write outputs and the report file if asked.

    With ``run``, each converted workflow is then run with the local engine and its phase
    lands in the audit (before the report file is written).
    """
    started = time.perf_counter()
    files = find_workflows(paths)
    _rules(tuple(rules))  # a bad pack is reported before any work starts; forked workers inherit it
    result = ConvertResult(report_path=report)
    names: set[str] = set()
    jobs = [(path, tuple(rules), template, starter) for path in files]
    workers = min(os.cpu_count() or 1, 8)
    if len(files) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_convert_one, jobs, chunksize=8))
    else:
        outcomes = [_convert_one(job) for job in jobs]
    for path, (conversion, text) in zip(files, outcomes, strict=True):
        item = ConvertedFile(conversion, text)
        if out_dir is not None and text is not None:
            name = _output_name(path, names)
            item.path = out_dir / name
            conversion.report.output = item.path
        result.files.append(item)
        result.audit.workflows.append(conversion.report)
    result.audit.seconds = time.perf_counter() - started
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            for item in result.files:
                if item.path is not None and item.text is not None:
                    item.path.write_text(item.text, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"{out_dir}: cannot write: {err.strerror}") from None
    documents = [f.conversion.document for f in result.files if f.conversion.document is not None]
    result.library = convert_needs(documents, Path.cwd(), run.library if run is not None else None)
    if run is not None:
        for item in result.files:
            if item.text is not None:
                run_converted(item, run)
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(render_report(result.audit, report), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"{report}: cannot write the report: {err.strerror}") from None
    return result


PARALLEL_THRESHOLD = 32
"""Below this many files, starting worker processes costs more than it saves."""


@functools.cache
def _rules(extra: tuple[Path, ...]) -> RuleSet:
    return load_rules(extra)


def _convert_one(job: tuple[Path, tuple[Path, ...], bool, bool]) -> tuple[Conversion, str | None]:
    """Convert and render one file (also in a worker process, which loads the rules once)."""
    path, extra, template, starter = job
    try:
        conversion = convert_file(path, _rules(extra), template=template, starter=starter)
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
def _standard_summaries() -> tuple[Any, ...]:
    """What the standard library's templates offer (names, templates, inputs) for reference checks."""
    from wfsync.library.discover import find_yaml_files
    from wfsync.library.standard import standard_dir
    from wfsync.lint.linter import lint_text

    files, _ = find_yaml_files([standard_dir()])
    return tuple(s for f in files for s in lint_text(f, f.read_text(encoding="utf-8")).summaries)


def _output_name(path: Path, taken: set[str]) -> str:
    name = f"{path.stem}.yaml"
    if name in taken:
        name = f"{path.parent.name}-{path.stem}.yaml"
    n = 2
    base = name
    while name in taken:
        name = base.replace(".yaml", f"-{n}.yaml")
        n += 1
    taken.add(name)
    return name


# --run: the converted workflow on the local engine ------------------------------------------

LOCAL_RUNNER_IMAGE = "ubuntu:22.04"
"""Stand-in for runner images the local engine cannot run (it maps well-known images to host tools)."""
LOCAL_GIT_IMAGE = "alpine:3.20"
"""Stand-in for ``alpine/git`` in ``git-checkout``: the host's git does the checkout."""


@dataclass(frozen=True)
class RunSettings:
    """How ``--run`` runs converted workflows: the library for ``templateRef``s and a state folder."""

    library: Path | None
    state_dir: Path
    event: str = "push"
    root: Path | None = None
    """The repository checked out for ``actions/checkout`` (default: the one holding ``.github``)."""
    context: RunContext = field(default_factory=RunContext)
    """Actor, repository, event payload, extra env and secrets of the run (act's ``-e``, ``-s`` ...)."""


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

    payload: dict[str, Any] = {}
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


def source_root(path: Path) -> Path:
    """The repository a workflow belongs to: the folder holding ``.github``, else its own folder."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if parent.name == ".github":
            return parent.parent
    return resolved.parent


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
    """The converted document as the local engine can run it.

    The repository parameter points at the local checkout source, the event name and the
    context's values (actor, repository, event payload and inputs) are set, and images the
    engine has no host stand-in for (runner images such as catthehacker's) become a plain
    Ubuntu, whose tools the host provides. The context's env goes to every ``run:`` step, and its
    secrets to the steps that read the Secret ``github-secrets``, which a local run does not have.
    """
    import copy
    from typing import cast

    from wfsync.engine.host import image_family
    from wfsync.model.walk import steps_and_tasks

    context = context or RunContext()
    doc = copy.deepcopy(document)
    spec = doc["spec"].get("workflowSpec", doc["spec"]) if doc.get("kind") == "CronWorkflow" else doc["spec"]
    declared = (spec.get("arguments") or {}).get("parameters") or []
    values = context.parameters({str(p.get("name")): p for p in declared})
    for param in declared:
        if param.get("name") == "repo":
            param["value"] = repo.as_uri()  # file:// keeps the engine from mapping the path into the pod
        if param.get("name") == "github-event-name":
            param["value"] = event
        if param.get("name") in values:
            param["value"] = values[param["name"]]
    for template in spec.get("templates") or []:
        for caller in steps_and_tasks(template):  # the model's walker: every step and task
            call = cast(dict[str, Any], caller.node)
            ref = call.get("templateRef") or {}
            params = (call.get("arguments") or {}).get("parameters") or []
            if ref.get("name") == "git-checkout" and not any(p.get("name") == "image" for p in params):
                call.setdefault("arguments", {}).setdefault("parameters", []).append(
                    {"name": "image", "value": LOCAL_GIT_IMAGE}
                )
            if ref.get("name") in ("shell", "github-action"):  # --env, and --secret for secret-env readers
                _add_env(call, params, context)
            if ref.get("name") == "shell" and ref.get("template") == "step":
                if not any(p.get("name") == "image" for p in params):
                    # shell/step's default is the ubuntu-latest runner image, which has no host stand-in.
                    call.setdefault("arguments", {}).setdefault("parameters", []).append(
                        {"name": "image", "value": LOCAL_RUNNER_IMAGE}
                    )
                    params = call["arguments"]["parameters"]
            if ref.get("name") == "shell" and not any(p.get("name") == "timeout" for p in params):
                # GitHub's default limit; also keeps the engine off shell/run's empty default.
                call.setdefault("arguments", {}).setdefault("parameters", []).append(
                    {"name": "timeout", "value": "360m"}
                )
            for param in params:
                value = str(param.get("value", ""))
                if param.get("name") == "image" and "{{" not in value and image_family(value) is None:
                    param["value"] = LOCAL_RUNNER_IMAGE
        container = template.get("container")
        if isinstance(container, dict) and image_family(str(container.get("image", ""))) is None:
            container["image"] = LOCAL_RUNNER_IMAGE
    return doc


def _add_env(call: dict[str, Any], params: list[dict[str, Any]], context: RunContext) -> None:
    """The context's env (and, for steps reading ``github-secrets``, its secrets) as env lines.

    For ``shell/setup`` and ``shell/step`` the env goes to the job (setup) and the secrets to the
    step, in their ``env`` line form, so that GITHUB_ENV still overrides the env as on GitHub.
    """
    from wfsync.convert.gha.script import env_value

    template = (call.get("templateRef") or {}).get("template")
    secrets = context.secrets if any(p.get("name") == "secret-env" for p in params) else {}
    if template in ("setup", "step"):
        extra = dict(context.env) if template == "setup" else dict(secrets)
        lines = "".join(f"{k}={env_value(v)}\n" for k, v in extra.items())
    else:
        extra = {**context.env, **secrets}
        lines = env_lines(extra)
    if not extra:
        return
    env = next((p for p in params if p.get("name") == "env"), None)
    if env is None:
        env = {"name": "env", "value": ""}
        call.setdefault("arguments", {}).setdefault("parameters", []).append(env)
    env["value"] = lines + str(env.get("value", ""))


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


def _failure(outcome: Any) -> str:
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
    new_yaml().dump(_commented(document), buffer)
    return buffer.getvalue()
