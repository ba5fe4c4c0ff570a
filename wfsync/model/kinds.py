"""The Argo kinds and node types, one definition each.

Both are ``StrEnum`` so they compare equal to the plain strings stored in YAML, JSON status
documents and cluster objects (``NodeType.POD == "Pod"``), and serialize as those strings.
"""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """The Argo kinds wfsync understands."""

    WORKFLOW_TEMPLATE = "WorkflowTemplate"
    CLUSTER_WORKFLOW_TEMPLATE = "ClusterWorkflowTemplate"
    WORKFLOW = "Workflow"
    CRON_WORKFLOW = "CronWorkflow"

    @property
    def cluster_scoped(self) -> bool:
        """Whether objects of this kind live outside namespaces."""
        return self is Kind.CLUSTER_WORKFLOW_TEMPLATE


LIBRARY_KINDS = frozenset({Kind.WORKFLOW_TEMPLATE, Kind.CLUSTER_WORKFLOW_TEMPLATE})
"""Kinds a library holds; ``lint`` given explicit files also accepts the others."""

TEMPLATE_HOLDER_KINDS = frozenset({Kind.WORKFLOW_TEMPLATE, Kind.CLUSTER_WORKFLOW_TEMPLATE})
"""Kinds a ``templateRef`` can point at (namespaced or with ``clusterScope: true``)."""


class NodeType(enum.StrEnum):
    """Argo's node types (``wfv1.NodeType``), as they appear in a workflow's status tree."""

    POD = "Pod"
    CONTAINER = "Container"
    STEPS = "Steps"
    STEP_GROUP = "StepGroup"
    DAG = "DAG"
    TASK_GROUP = "TaskGroup"
    RETRY = "Retry"
    SKIPPED = "Skipped"
    SUSPEND = "Suspend"
    HTTP = "HTTP"
    PLUGIN = "Plugin"
