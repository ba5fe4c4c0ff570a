"""What the converter knows about a workflow's jobs before building them, and its result type.

Kept apart from :mod:`.convert` so that the job builder and the reusable-workflow inliner read
plans without importing the converter (which imports them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfsync.convert.gha.model import Job
from wfsync.convert.gha.report import WorkflowReport
from wfsync.model.spec_types import DAGTask

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
