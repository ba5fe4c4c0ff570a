"""``verify``'s second half: follow the target's run quietly and compare it with the local one.

The local engine claims Argo's semantics; the real controller is the judge. Both runs are
compared as Workflow objects (see :mod:`wfsync.harness.compare`), so a difference names the node
and field that disagree.
"""

from __future__ import annotations

import dataclasses

from wfsync.cluster.api import Obj
from wfsync.cluster.workflows import Workflows
from wfsync.errors import CompletionError
from wfsync.harness.compare import Difference, compare
from wfsync.harness.follow import Quiet, follow
from wfsync.harness.submit import workflow_name


class TargetDidNotFinish(CompletionError):
    """The target's run could not be followed to its end (interrupted, offloaded without a way to read it)."""


@dataclasses.dataclass
class Verification:
    """Both runs and what differs between them (empty: the local engine agreed with Argo)."""

    local: Obj
    remote: Obj
    differences: list[Difference]
    nodes: int
    phase: str

    @property
    def name(self) -> str:
        """The target's workflow."""
        return workflow_name(self.remote)


def verify_remote(workflows: Workflows, created: Obj, local: Obj, *, still_running: str = "") -> Verification:
    """Follow ``created`` to its end and compare it with the ``local`` run's Workflow.

    Raises :class:`TargetDidNotFinish` when the follow ends early (``still_running`` is the hint
    for stopping it) or when the target's nodes are offloaded beyond this transport's reach.
    """
    followed = follow(workflows, created, Quiet())
    name = workflow_name(created)
    if followed.interrupted:
        raise TargetDidNotFinish(still_running or f"workflow {name} is still running")
    if followed.offloaded_hidden:
        raise TargetDidNotFinish(
            f"node status of {name} is offloaded and {workflows.description} cannot read it, so the"
            " node trees cannot be compared (set ARGO_SERVER to read them through the Argo Server)"
        )
    return Verification(
        local,
        followed.workflow,
        compare(local, followed.workflow),
        len(followed.status.nodes),
        followed.status.phase,
    )
