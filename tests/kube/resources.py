"""The resource types the server can serve: the four Argo CRDs as their CRD manifests declare them,
and the core ``v1`` kinds it also stores (ConfigMaps, for resource templates; Pods, for logs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    """One served resource: what discovery advertises and what paths and bodies must say."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``group/version`` as it appears in objects (``v1`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``plural.group``, how the server names the resource in messages (``plural`` for the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


ARGO_GROUP = "argoproj.io"
ARGO_VERSION = "v1alpha1"

WORKFLOW_TEMPLATE = ResourceType(
    ARGO_GROUP, ARGO_VERSION, "workflowtemplates", "workflowtemplate", "WorkflowTemplate", True, ("wftmpl",)
)
CLUSTER_WORKFLOW_TEMPLATE = ResourceType(
    ARGO_GROUP,
    ARGO_VERSION,
    "clusterworkflowtemplates",
    "clusterworkflowtemplate",
    "ClusterWorkflowTemplate",
    False,
    ("clusterwftmpl", "cwft"),
)
WORKFLOW = ResourceType(ARGO_GROUP, ARGO_VERSION, "workflows", "workflow", "Workflow", True, ("wf",))
CRON_WORKFLOW = ResourceType(
    ARGO_GROUP, ARGO_VERSION, "cronworkflows", "cronworkflow", "CronWorkflow", True, ("cwf", "cronwf")
)

ARGO_RESOURCES: tuple[ResourceType, ...] = (
    WORKFLOW_TEMPLATE,
    CLUSTER_WORKFLOW_TEMPLATE,
    WORKFLOW,
    CRON_WORKFLOW,
)
BY_PLURAL = {res.plural: res for res in ARGO_RESOURCES}

CONFIG_MAP = ResourceType("", "v1", "configmaps", "configmap", "ConfigMap", True, ("cm",))
POD = ResourceType("", "v1", "pods", "pod", "Pod", True, ("po",))
"""Pods, for their logs (``pods/log``, see :mod:`tests.kube.podlogs`); tests add them, nothing runs them."""
CORE_RESOURCES: tuple[ResourceType, ...] = (CONFIG_MAP, POD)
"""Core ``v1`` resources served under ``/api/v1`` (besides the read-only namespaces); always served."""
CORE_BY_PLURAL = {res.plural: res for res in CORE_RESOURCES}
