"""What the converter knows about a workflow's jobs before building them, and its result type.

Kept apart from :mod:`.convert` so that the job builder and the reusable-workflow inliner read
plans, and use the converter through :class:`WorkflowBuild`, without importing it (it imports
them): imports in ``convert/gha`` go one way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wfsync.convert.gha.expressions.nodes import Expr
from wfsync.convert.gha.model import Job, Workflow
from wfsync.convert.gha.report import WorkflowReport
from wfsync.convert.gha.rules import RuleSet
from wfsync.convert.gha.translate import Scope
from wfsync.model.spec_types import DAGTask, Template

DEFAULT_IMAGE = "debian:bookworm-slim"
"""The image of a job whose runner has no rule."""


@dataclass
class Conversion:
    """One converted workflow: the Argo document, a header comment and the report entry."""

    source: Path
    document: dict[str, Any] | None
    header: list[str]
    report: WorkflowReport

    @property
    def name(self) -> str:
        """The file stem for the output (``<workflow file stem>.yaml``)."""
        return self.source.stem


@dataclass(frozen=True)
class ExpandMake:
    """``--expand-make``: replace ``run: make X`` steps by the DAG of X from the repository's Makefile.

    ``root`` is the repository the workflows belong to (``--repo``); None means the folder holding
    each workflow's ``.github``. No Makefile is read outside it.
    """

    root: Path | None = None


Mutexes = dict[str, list[dict[str, str]]]
"""``synchronization`` with the mutexes of a ``concurrency`` group."""

Leg = dict[str, object]
"""One matrix leg: key -> value."""


@dataclass
class JobPlan:
    """What the converter knows about a job before and while building it."""

    job: Job
    task: str
    legs: list[Leg] | None
    uploads: dict[str, str] = field(default_factory=dict)
    """artifact name -> output artifact name of the job template."""
    has_outputs: bool = False
    generator: DAGTask | None = None
    """The task that computes a run-time matrix (``legs`` is then ``[]``), see :mod:`.matrix_runtime`."""


def matrix_keys(plan: JobPlan) -> list[str]:
    """The matrix keys over all legs, in first-seen order (one input parameter each)."""
    keys: list[str] = []
    for leg in plan.legs or []:
        keys.extend(k for k in leg if k not in keys)
    return keys


def is_matrix(job: Job) -> bool:
    """Whether the job fans out over a matrix."""
    strategy = job.raw.get("strategy")
    return isinstance(strategy, dict) and strategy.get("matrix") is not None


def has_outputs(job: Job) -> bool:
    """Whether downstream jobs can read the job's outputs.

    A matrix job's are its last leg's (Argo aggregates the legs' values in a list, see
    :func:`matrix_outputs`); not with ``max-parallel``, whose wrapper template has no outputs.
    """
    if job.call_outputs:
        return not is_matrix(job)  # a reusable-workflow call (calls with a matrix are not converted)
    if not job.raw.get("outputs"):
        return False
    strategy = job.raw.get("strategy")
    return not (is_matrix(job) and isinstance(strategy, dict) and strategy.get("max-parallel") is not None)


def matrix_outputs(task: str) -> str:
    """An expr-lang expression for the outputs of the matrix job ``task``: its last leg's lines.

    GitHub keeps one value per output, the one written last; legs that did not finish add nothing.
    """
    return f'(last(fromJSON(tasks[{json.dumps(task)}].outputs.parameters.outputs)) ?? "{{}}")'


class WorkflowBuild(Protocol):
    """The workflow-wide state and services a job and a reusable-workflow call use (the ``Converter``)."""

    wf: Workflow
    rules: RuleSet
    report: WorkflowReport
    parameters: dict[str, str]
    """Workflow parameters and their defaults, filled as translations read them."""
    templates: list[Template]
    """Templates other than ``main``, in the order they are written."""
    plans: dict[str, JobPlan]
    uses_cache: bool
    calls: tuple[Path, ...]
    """The reusable workflows being inlined around this one (to stop a cycle)."""
    expand_make: ExpandMake | None
    """``--expand-make`` (None: make steps stay as written)."""

    def runner_image(self, job: Job) -> str:
        """The image a job's steps run in."""
        ...

    def task_name(self, job_id: str) -> str:
        """The Argo task of a job id."""
        ...

    def use_parameters(self, scope: Scope) -> None:
        """Declare the workflow parameters a translation read."""
        ...

    def split_status(self, text: str, where: str) -> tuple[str, Expr | None]:
        """The status check of an ``if`` and the rest of it."""
        ...

    def when(self, tree: Expr, scope: Scope, where: str) -> str:
        """An Argo ``when`` for a condition."""
        ...

    def synchronization(self, concurrency: object, where: str) -> Mutexes | None:
        """``concurrency`` as a mutex."""
        ...

    def downloads(self, plan: JobPlan) -> dict[str, str]:
        """Artifacts a job downloads: output artifact name -> task that uploads it."""
        ...

    def scan_uploads(self) -> None:
        """Name the output artifacts of uploads before jobs are built."""
        ...

    def job_tasks(self, plan: JobPlan) -> list[DAGTask]:
        """The DAG tasks of one job."""
        ...

    def nested(self, workflow: Workflow, calls: tuple[Path, ...]) -> WorkflowBuild:
        """A build for a called workflow that reports into this one."""
        ...
