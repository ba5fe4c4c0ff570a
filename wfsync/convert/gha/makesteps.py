"""``--expand-make``: a ``run: make X`` step becomes the DAG of X from the repository's Makefile.

The step is replaced by a call of a DAG template (``job-<job>--<step>``) whose tasks are the
recipes ``make X`` runs, each a ``shell/step`` call like the step itself, so the step's env,
secrets, image, timeout and working directory (with ``cd`` and ``-C`` applied) are kept, and the
job's later steps start when the whole DAG is done. The graph comes from GNU make's database and
``make -n`` over the repository as it is at conversion time (a copy of what ``git`` tracks, which
is what the job's ``actions/checkout`` gets); without ``-j`` the tasks run one at a time in
make's order, with ``-j N`` as a DAG of at most N at a time.

Whatever would make the DAG differ from the step (a run-time target, a second command, a
Makefile outside the repository or reached through a symlink, ``$(shell)`` at parse time, a
recursive make) keeps the step as written, with the reason in the report.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from wfsync import safepath
from wfsync.convert.gha import composite
from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.argo import as_task, slug
from wfsync.convert.gha.jobstate import NAME, ArgoStep, JobState
from wfsync.convert.gha.makecall import MakeCall, NotExpandable, parse_make_call
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.plans import ExpandMake
from wfsync.convert.gha.report import MakeEntry
from wfsync.convert.gha.runsteps import run_step
from wfsync.convert.gha.yaml12 import scalar_text
from wfsync.convert.make import MakeConversion, MakeRequest, convert_makefile
from wfsync.convert.make.shellscript import recipe_script
from wfsync.errors import WfsyncError
from wfsync.model.spec_types import DAGTask, Parameter, Template

MAX_FILES = 20000
"""Most files copied from the repository for one make call (a bounded read)."""
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
_WORKSPACE = re.compile(r"^\$\{\{\s*github\.workspace\s*\}\}/?", flags=re.IGNORECASE)
_INPUT_REFERENCE = re.compile(
    r"inputs\.parameters(?:\.([A-Za-z0-9_-]+)|\[\\?[\"']([A-Za-z0-9_-]+)\\?[\"']\])"
)
_RECURSIVE = re.compile(r"(?m)(^[@+\-\s]*|&&\s*|;\s*|\|\|\s*)g?make(\s|$)")
READ_AT_CONVERSION = "the graph was read from the repository at conversion time (make -n)"


def make_step(job: JobState, step: Step, name: str) -> ArgoStep | None:
    """The call of the expanded DAG for a make step; None when the step is kept as written."""
    settings = job.conv.expand_make
    if settings is None or step.run is None:
        return None
    lines = step.run.strip().splitlines() or [""]
    shown = lines[0] + (" ..." if len(lines) > 1 else "")
    entry = MakeEntry(job.job.id, step.id if step.explicit_id else step.name, shown)
    try:
        call = parse_make_call(step.run)
        if call is None:
            return None
        entry.command = call.command
        body, tasks, how = _expand(job, step, name, call, settings)
    except NotExpandable as err:
        entry.reason = str(err)
        job.report.make.append(entry)
        return None
    entry.tasks, entry.reason = tasks, f"{READ_AT_CONVERSION}; {how}"
    if job.env_written:
        entry.reason += "; what earlier steps write to GITHUB_ENV was not seen while make read it"
    job.report.make.append(entry)
    return body


def _expand(
    job: JobState, step: Step, name: str, call: MakeCall, settings: ExpandMake
) -> tuple[ArgoStep, int, str]:
    """The step body calling the new DAG template, its number of tasks, and how they run."""
    shell = scalar_text(step.raw.get("shell") or job.default_shell or "")
    if not drivers.is_posix_shell(shell or None):
        raise NotExpandable(f"the step's shell is {shell}, not a POSIX shell")
    workdir = _working_directory(job, step, call)
    in_repo = _repository_path(job, step, workdir)
    root = (settings.root or composite.repository_root(job.conv.wf.path)).resolve()
    try:
        directory = safepath.within(root, in_repo, what="make directory")
        if call.makefile is not None:
            safepath.within(directory, call.makefile, what="make -f")
    except safepath.PathEscapeError as err:
        raise NotExpandable(f"refused: {err.message}") from None
    if not directory.is_dir():
        raise NotExpandable(f"no folder {in_repo} in the repository")
    names = [call.makefile] if call.makefile is not None else list(MAKEFILES)
    if not any((directory / n).is_file() for n in names):
        raise NotExpandable(f"no {' or '.join(names)} in {in_repo} of the repository")
    static, dynamic = _environment(job, step)
    conversion = _convert(root, directory, call, static, dynamic)
    template = _template(job, step, name, call, conversion, workdir)
    if call.jobs is None:
        how = "one task at a time in make's order (no -j)"
    elif call.jobs == 0:
        how = "a DAG, as many at a time as its edges allow (-j)"
    else:
        how = f"a DAG, at most {call.jobs} at a time (-j {call.jobs})"
    job.conv.templates.append(template)
    body: ArgoStep = {"template": template["name"]}
    inputs = [p["name"] for p in template.get("inputs", {}).get("parameters", [])]
    if inputs:
        body["arguments"] = {
            "parameters": [{"name": n, "value": f"{{{{inputs.parameters.{n}}}}}"} for n in inputs]
        }
    return body, len(template["dag"]["tasks"]), how


def _working_directory(job: JobState, step: Step, call: MakeCall) -> str:
    """Where make runs, relative to the job's folder (its ``github.workspace``)."""
    value = step.raw.get("working-directory") or job.default_wd or ""
    text = _WORKSPACE.sub("", scalar_text(value))
    if "${{" in text:
        raise NotExpandable("the working-directory is decided at run time")
    path = posixpath.normpath(posixpath.join(text or ".", call.directory))
    if path.startswith("/") or path == ".." or path.startswith("../"):
        raise NotExpandable(f"refused: make runs in {path}, outside the job's workspace")
    return path


def _repository_path(job: JobState, step: Step, workdir: str) -> str:
    """The make directory inside the repository, from the job's last ``actions/checkout`` before the step."""
    checkouts = [
        s
        for s in job.job.steps
        if s.index < step.index and (s.uses or "").lower().startswith("actions/checkout@")
    ]
    if not checkouts:
        raise NotExpandable("no actions/checkout before it, so the job's workspace has no Makefile")
    inputs = checkouts[-1].raw.get("with")
    options = inputs if isinstance(inputs, dict) else {}
    repository = scalar_text(options.get("repository", ""))
    if repository and not re.fullmatch(r"\$\{\{\s*github\.repository\s*\}\}", repository):
        raise NotExpandable(f"the job checks out {repository}, not this repository")
    where = scalar_text(options.get("path", "")) or "."
    if "${{" in where:
        raise NotExpandable("the checkout path is decided at run time")
    where = posixpath.normpath(where)
    inside = posixpath.relpath(workdir, where)
    if inside == ".." or inside.startswith("../"):
        raise NotExpandable(f"make runs in {workdir}, outside the checkout in {where}")
    return inside


def _environment(job: JobState, step: Step) -> tuple[dict[str, str], set[str]]:
    """The step's environment: values known now, and names whose value is known only at run time.

    make reads the Makefile with the known values (and PATH) only, not with this process's
    environment, which the job would not have.
    """
    static = {"CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux"}
    static.update({k: v for k, v in job.static_env.items() if NAME.match(k)})
    dynamic = set(job.dynamic_env)
    own = step.raw.get("env")
    for key, value in own.items() if isinstance(own, dict) else []:
        text = scalar_text(value)
        if "${{" in text:
            dynamic.add(str(key))
            static.pop(str(key), None)
        else:
            static[str(key)] = text
            dynamic.discard(str(key))
    return static, dynamic


RUN_TIME_NAMES = (r"GITHUB_[A-Z_]+", r"RUNNER_[A-Z_]+", "HOME", "TMPDIR", "USER")
"""Variables the runner sets, whose values are known only in the job."""


def _makefiles_problem(copy: Path, conversion: MakeConversion, dynamic: set[str]) -> str | None:
    """Why the makefiles make read cannot be expanded, or None.

    A makefile outside the repository (``include /abs/path``) is refused; a variable the job sets
    only at run time would be frozen at its conversion-time value.
    """
    alternatives = [*RUN_TIME_NAMES, *(re.escape(n) for n in sorted(dynamic))]
    pattern = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")
    for name in conversion.database.variables.get("MAKEFILE_LIST", "").split():
        path = copy / name
        if not path.resolve().is_relative_to(copy.resolve()):
            return f"refused: make read {name}, which is outside the repository"
        if not path.is_file():
            continue
        found = pattern.search(path.read_text(encoding="utf-8", errors="replace")[:1_000_000])
        if found is not None and found.group(0) not in ("CI", "GITHUB_ACTIONS", "RUNNER_OS"):
            return f"the Makefile reads {found.group(0)}, whose value the job has only at run time"
    return None


def _convert(
    root: Path, directory: Path, call: MakeCall, static: dict[str, str], dynamic: set[str]
) -> MakeConversion:
    """``convert make`` over a copy of the make directory as the checkout has it."""
    with tempfile.TemporaryDirectory(prefix="wfsync-expand-make-") as tmp:
        copy = _snapshot(root, directory, Path(tmp) / "repo")
        request = MakeRequest(
            copy,
            call.makefile,
            tuple(call.goals),
            tuple(call.variables),
            mode="serial" if call.jobs is None else "dag",
            dry_run_recipes=True,
            jobs=call.jobs or None,
            ignore_errors=call.ignore_errors,
            environment={"PATH": os.environ.get("PATH", os.defpath), **static},
        )
        try:
            conversion = convert_makefile(request)
        except (WfsyncError, OSError) as err:
            raise NotExpandable(str(err).replace(str(copy), str(directory))) from None
        problem = _makefiles_problem(copy, conversion, dynamic)
        if problem is not None:
            raise NotExpandable(problem)
    _check(conversion)
    return conversion


def _snapshot(root: Path, directory: Path, into: Path) -> Path:
    """The files of ``directory`` a checkout has (``git ls-files`` in a repository, else all).

    A symlink that leaves the repository is refused, never followed; one that stays inside is
    copied as the file it points to.
    """
    into.mkdir(parents=True)
    for relative in _files(root, directory):
        source = directory / relative
        if source.is_symlink():
            escape = safepath.symlink_escape(root, source)
            if escape is not None:
                raise NotExpandable(f"refused: {relative} is a symlink out of the repository (to {escape})")
        if source.is_dir():
            raise NotExpandable(f"{relative} is a symlink to a folder, which is not copied")
        if not source.is_file():
            continue  # in git's index but deleted from the working tree
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        shutil.copymode(source, target)
    return into


def _files(root: Path, directory: Path) -> list[str]:
    """Paths of the files under ``directory``, relative to it."""
    if (root / ".git").exists():
        done = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--", "."],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            found = [p for p in done.stdout.split("\0") if p]
            if len(found) > MAX_FILES:
                raise NotExpandable(f"more than {MAX_FILES} files in the make directory")
            return found
    found = []
    for folder, dirs, files in os.walk(directory):
        base = Path(folder).relative_to(directory)
        dirs[:] = [d for d in dirs if d not in (".git", ".wfsync")]
        links = [d for d in dirs if (Path(folder) / d).is_symlink()]
        found += [str(base / name) for name in [*files, *links]]
        if len(found) > MAX_FILES:
            raise NotExpandable(f"more than {MAX_FILES} files in the make directory")
    return found


def _check(conversion: MakeConversion) -> None:
    """Refuse a graph that would not run like the make call."""
    if conversion.recording.exit_status != 0:
        said = [line for line in conversion.database.errors.splitlines() if line.startswith("make")]
        stop = said[-1].split(" ", 1)[-1].removeprefix("*** ") if said else ""
        raise NotExpandable(
            f"make -n stops: {stop}" if stop else f"make -n exits {conversion.recording.exit_status}"
        )
    if conversion.findings:
        raise NotExpandable(conversion.findings[0])
    for task in conversion.graph.tasks:
        rules = conversion.database.rules.get(task.target, [])
        raw = "\n".join(line for rule in rules for line in rule.recipe)
        if re.search(r"\$[({]MAKE[)}]", raw) or _RECURSIVE.search(raw):
            raise NotExpandable(f"{task.target}: a recursive make is not read by make -n")
        if "${{" in task.recipe() or task.directory.startswith("/"):
            raise NotExpandable(f"{task.target}: its recipe cannot run as a step")


def _template(
    job: JobState, step: Step, name: str, call: MakeCall, conversion: MakeConversion, workdir: str
) -> Template:
    """The DAG template: one ``shell/step`` task per recipe, with make's edges."""
    graph = conversion.graph
    tasks: list[DAGTask] = []
    for task in graph.tasks:
        script = recipe_script(task, graph, silent=call.silent, ignore_errors=call.ignore_errors)
        where = posixpath.normpath(posixpath.join(workdir, task.directory))
        raw = {**step.raw, "run": script, "shell": "sh", "working-directory": where}
        body = run_step(job, Step(step.id, step.explicit_id, step.index, step.line, raw), script, "sh")
        dag_task = as_task(task.name, body)
        if task.depends:
            dag_task["depends"] = " && ".join(task.depends)
        tasks.append(dag_task)
    taken = {t["name"] for t in job.conv.templates}
    base = slug(f"job-{job.plan.task}--{name}", 60)
    template_name, n = base, 1
    while template_name in taken:
        n += 1
        template_name = f"{base[:56]}-{n}"
    template: Template = {"name": template_name, "dag": {"tasks": tasks}}
    if call.jobs:
        template["parallelism"] = call.jobs
    used = sorted({a or b for a, b in _INPUT_REFERENCE.findall(json.dumps(tasks))})
    if used:
        parameters: list[Parameter] = [{"name": n} for n in used]
        template["inputs"] = {"parameters": parameters}
    return template
