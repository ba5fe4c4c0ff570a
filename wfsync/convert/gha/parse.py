"""Read and check a GitHub Actions workflow file the way GitHub does, before anything converts it.

``parse_workflow`` returns a :class:`Workflow` or raises :class:`InvalidWorkflow` listing every
problem with its line and column: YAML 1.2 errors, the schema (``workflow-schema.yaml``), then
the rules GitHub checks beyond the schema (job and step ids, ``needs`` graph, ``uses`` syntax,
matrix vectors, runner groups, container images, reusable-workflow calls).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfsync.convert.gha.callchecks import check_call_inputs, check_call_permissions, permissions, policy
from wfsync.convert.gha.model import Job, Step, Workflow
from wfsync.convert.gha.schema import Checker, Problem
from wfsync.convert.gha.yaml12 import YamlError, YNode, load, to_python
from wfsync.errors import InputError

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_USES = re.compile(r"^[^/@.$][^/@]*/[^/@]+(?:/[^@]*)?@[^@]+$")
_ID_PROBLEM = (
    "The identifier '{}' is invalid. IDs may only contain alphanumeric characters, '_', and '-'. "
    "IDs must start with a letter or '_' and and must be less than 100 characters."
)
MAX_RUN_LENGTH = 21000

WorkflowResolver = Callable[[str], str | None]
"""Returns the text of a called workflow (``uses:`` of a job), or ``None`` when it is not available."""


@dataclass(frozen=True)
class ParseOptions:
    """Limits GitHub applies, and where called workflows come from."""

    max_file_size: int | None = None
    max_depth: int = 50
    max_job_limit: int | None = None
    max_nested_depth: int = 10
    resolve: WorkflowResolver | None = None
    permissions_policy: str = "Write"
    """What a job without ``permissions`` gets: ``Write``, ``LimitedWrite`` or ``LimitedRead``."""


class InvalidWorkflow(InputError):
    """A workflow GitHub would reject; ``problems`` has every reason with its position."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"invalid workflow: {first.message}{more}", path=path, line=first.line or None)

    def lines(self) -> list[str]:
        """One ``path:line:column: message`` line per problem."""
        out = []
        for p in self.problems:
            where = f"{self.path}:{p.line}:{p.column}" if p.line else str(self.path)
            out.append(f"{where}: {p.message}")
        return out


def parse_workflow(text: str, path: Path, options: ParseOptions | None = None) -> Workflow:
    """Parse and check ``text`` (the file ``path``); raise :class:`InvalidWorkflow` when GitHub would."""
    options = options or ParseOptions()
    state = _State(options)
    problems, root = _check_text(text, state, depth=0, granted=policy(options.permissions_policy))
    if options.max_job_limit is not None and state.jobs > options.max_job_limit:
        problems.append(Problem(0, 0, f"The workflow may not contain more than {options.max_job_limit} jobs"))
    if root is not None and not problems:
        return _build(path, root, text)
    raise InvalidWorkflow(path, problems or [Problem(0, 0, "the workflow is empty")])


@dataclass
class _State:
    options: ParseOptions
    jobs: int = 0


def _check_text(
    text: str, state: _State, depth: int, granted: dict[str, int]
) -> tuple[list[Problem], YNode | None]:
    options = state.options
    if options.max_file_size is not None and len(text) > options.max_file_size:
        return [
            Problem(0, 0, f"The maximum file size of {options.max_file_size} characters has been exceeded")
        ], None
    try:
        root = load(text)
    except YamlError as err:
        return [Problem(err.line or 0, err.column or 0, err.message)], None
    if root is None:
        return [Problem(1, 1, "Required property is missing: jobs")], None
    depth_problem = _too_deep(root, 0, options.max_depth)
    if depth_problem:
        return [depth_problem], None
    checker = Checker()
    checker.check(root, "workflow-root")
    problems = checker.problems
    if root.kind == "mapping":
        jobs = root.get("jobs")
        if jobs is not None and jobs.kind == "mapping":
            problems.extend(_check_jobs(root, jobs, state, depth, granted))
    problems.sort(key=lambda p: (p.line, p.column))
    return _unique(problems), root


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def _too_deep(node: YNode, depth: int, limit: int) -> Problem | None:
    if node.kind not in ("mapping", "sequence"):
        return None
    if depth >= limit:
        return Problem(0, 0, "Maximum object depth exceeded")
    children = [v for _, v in node.pairs] if node.kind == "mapping" else node.items
    for child in children:
        problem = _too_deep(child, depth + 1, limit)
        if problem:
            return problem
    return None


def _check_jobs(
    root: YNode, jobs: YNode, state: _State, depth: int, granted: dict[str, int]
) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, YNode] = {}
    needs: dict[str, list[YNode]] = {}
    for key, job in jobs.pairs:
        if key.kind in ("mapping", "sequence") or "${{" in key.text() or not key.text():
            continue
        job_id = key.text()
        problem = _id_problem(job_id)
        if problem:
            problems.append(Problem(key.line, key.column, problem))
        ids.setdefault(job_id.lower(), key)
        needs[job_id] = _needs_nodes(job)
        state.jobs += 1
        if job.kind == "mapping":
            workflow_permissions = permissions(root.get("permissions"))
            own = permissions(job.get("permissions"))
            effective = own if own is not None else workflow_permissions
            problems.extend(_check_job(job, state, depth, effective if effective is not None else granted))
    problems.extend(_check_needs(jobs, ids, needs))
    return problems


def _id_problem(identifier: str) -> str | None:
    if not _ID.match(identifier) or len(identifier) >= 100:
        return _ID_PROBLEM.format(identifier)
    if identifier.startswith("__"):
        return f"The identifier '{identifier}' is invalid. IDs starting with '__' are reserved."
    return None


def _needs_nodes(job: YNode) -> list[YNode]:
    if job.kind != "mapping":
        return []
    node = job.get("needs")
    if node is None:
        return []
    if node.kind == "sequence":
        return [n for n in node.items if n.kind not in ("mapping", "sequence")]
    return [node] if node.kind not in ("mapping", "null") else []


def _check_needs(jobs: YNode, ids: dict[str, YNode], needs: dict[str, list[YNode]]) -> list[Problem]:
    problems: list[Problem] = []
    graph: dict[str, list[tuple[str, YNode]]] = {}
    for job_id, nodes in needs.items():
        edges = []
        for node in nodes:
            target = node.text()
            if target.lower() not in ids:
                problems.append(
                    Problem(node.line, node.column, f"Job '{job_id}' depends on unknown job '{target}'.")
                )
            else:
                edges.append((ids[target.lower()].text(), node))
        graph[job_id] = edges
    if not any(not edges and not needs[j] for j, edges in graph.items()):
        problems.append(
            Problem(
                jobs.line, jobs.column, "The workflow must contain at least one job with no dependencies."
            )
        )
        return problems
    # A cycle: report each edge whose target can reach its source.
    for job_id, edges in graph.items():
        for target, node in edges:
            if _reaches(graph, target, job_id):
                problems.append(
                    Problem(
                        node.line,
                        node.column,
                        f"Job '{job_id}' depends on job '{target}' which creates a cycle in the dependency graph.",
                    )
                )
    return problems


def _reaches(graph: dict[str, list[tuple[str, YNode]]], start: str, goal: str) -> bool:
    seen: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        if current == goal:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(t for t, _ in graph.get(current, []))
    return False


def _check_job(job: YNode, state: _State, depth: int, granted: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    problems.extend(_check_runs_on(job.get("runs-on")))
    problems.extend(_check_matrix(job.get("strategy")))
    container = job.get("container")
    if container is not None:
        problems.extend(_check_image(container))
    services = job.get("services")
    if services is not None and services.kind == "mapping":
        for _, service in services.pairs:
            problems.extend(_check_image(service))
    steps = job.get("steps")
    if steps is not None and steps.kind == "sequence":
        problems.extend(_check_steps(steps))
    uses = job.get("uses")
    if uses is not None and uses.kind == "string" and job.get("runs-on") is None:
        problems.extend(_check_call(job, uses, state, depth, granted))
    return problems


def _check_runs_on(node: YNode | None) -> list[Problem]:
    if node is None or node.kind != "mapping":
        return []
    group = node.get("group")
    if group is None or group.kind != "string" or "/" not in group.value or "${{" in group.value:
        return []
    prefix, _, name = group.value.partition("/")
    if prefix not in ("org", "organization", "ent", "enterprise") or "/" in name:
        return [
            Problem(
                node.line,
                node.column,
                f"Invalid runs-on group name '{group.value}'. Please use 'organization/' or 'enterprise/' prefix to target a single runner group.",
            )
        ]
    if not name:
        return [Problem(node.line, node.column, f"Invalid runs-on group name '{group.value}'.")]
    return []


def _check_matrix(strategy: YNode | None) -> list[Problem]:
    if strategy is None or strategy.kind != "mapping":
        return []
    matrix = strategy.get("matrix")
    if matrix is None or matrix.kind != "mapping":
        return []
    problems = []
    for key, value in matrix.pairs:
        if key.text() in ("include", "exclude"):
            continue
        if value.kind == "sequence" and not value.items:
            problems.append(
                Problem(value.line, value.column, f"Matrix vector '{key.text()}' does not contain any values")
            )
    return problems


def _check_image(node: YNode) -> list[Problem]:
    if node.kind == "mapping":
        image = node.get("image")
        if image is None or (image.kind != "string" or not image.value):
            if image is None or image.kind in ("null", "string"):
                return [Problem(node.line, node.column, "Container image cannot be empty")]
    elif node.kind in ("string", "null") and not node.text():
        return [Problem(node.line, node.column, "Container image cannot be empty")]
    return []


def _check_steps(steps: YNode) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for step in steps.items:
        if step.kind != "mapping":
            continue
        id_node = step.get("id")
        if id_node is not None and id_node.kind == "string" and "${{" not in id_node.value and id_node.value:
            step_id = id_node.value
            problem = _id_problem(step_id)
            if problem:
                problems.append(Problem(id_node.line, id_node.column, problem))
            elif step_id.lower() in seen:
                problems.append(
                    Problem(
                        id_node.line,
                        id_node.column,
                        f"The identifier '{step_id}' may not be used more than once within the same scope.",
                    )
                )
            seen.add(step_id.lower())
        uses = step.get("uses")
        if uses is not None and uses.kind == "string" and "${{" not in uses.value:
            if not _valid_uses(uses.value):
                problems.append(
                    Problem(
                        uses.line,
                        uses.column,
                        f"Expected format {{org}}/{{repo}}[/path]@ref. Actual '{uses.value}'",
                    )
                )
        run = step.get("run")
        if run is not None and run.kind == "string" and len(run.value) > MAX_RUN_LENGTH:
            problems.append(Problem(run.line, run.column, f"Exceeded max expression length {MAX_RUN_LENGTH}"))
    return problems


def _valid_uses(uses: str) -> bool:
    if uses.startswith("docker://"):
        return len(uses) > len("docker://")
    if uses.startswith("./") or uses.startswith(".\\"):
        return True
    return bool(_USES.match(uses))


# Reusable-workflow calls ------------------------------------------------------------------------


def _check_call(job: YNode, uses: YNode, state: _State, depth: int, granted: dict[str, int]) -> list[Problem]:
    options = state.options
    if options.resolve is None:
        return []
    if depth + 1 > options.max_nested_depth:
        return [Problem(0, 0, f"Nested reusable workflow depth exceeded {options.max_nested_depth}.")]
    text = options.resolve(uses.value)
    if text is None:
        return []
    called_problems, called = _check_text(text, state, depth + 1, granted)
    if called_problems:
        if any(p.line == 0 and "depth exceeded" in p.message for p in called_problems):
            return [p for p in called_problems if p.line == 0]
        return [
            Problem(uses.line, uses.column, f"Error from called workflow {uses.value}: {p.message}")
            for p in called_problems
        ]
    if called is None:
        return []
    return check_call_permissions(uses, called, granted) + check_call_inputs(job, uses, called)


def _build(path: Path, root: YNode, text: str) -> Workflow:
    raw: dict[str, Any] = to_python(root)
    jobs: dict[str, Job] = {}
    jobs_node = root.get("jobs")
    assert jobs_node is not None
    for key, job_node in jobs_node.pairs:
        job_id = key.text()
        job = Job(job_id, key.line, raw["jobs"][job_id] or {})
        steps_node = job_node.get("steps") if job_node.kind == "mapping" else None
        if steps_node is not None and steps_node.kind == "sequence":
            job.steps = _build_steps(steps_node)
        jobs[job_id] = job
    return Workflow(path, raw, jobs, root, text)


def _build_steps(steps_node: YNode) -> list[Step]:
    steps: list[Step] = []
    taken = {
        s.get("id").text().lower()  # type: ignore[union-attr]
        for s in steps_node.items
        if s.kind == "mapping" and s.get("id") is not None
    }
    for index, node in enumerate(steps_node.items):
        raw = to_python(node) or {}
        given = raw.get("id")
        if given not in (None, ""):
            steps.append(Step(str(given), True, index, node.line, raw))
            continue
        base = _generated_id(raw)
        candidate, counter = base, 1
        while candidate.lower() in taken:
            counter += 1
            candidate = f"{base}_{counter}"
        taken.add(candidate.lower())
        steps.append(Step(candidate, False, index, node.line, raw))
    return steps


def _generated_id(raw: dict[str, Any]) -> str:
    uses = raw.get("uses")
    if uses is None:
        return "__run"
    text = str(uses)
    if text.startswith("docker://"):
        text = text[len("docker://") :]
    else:
        text = text.split("@")[0]
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return "__" + (slug or "action")
