"""Which templates an object refers to (``templateRef`` / ``workflowTemplateRef``), for apply order and prune."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from wfsync.model.documents import Identity, Kind


def references(body: Mapping[str, Any], namespace: str) -> set[Identity]:
    """Identities of the WorkflowTemplates and ClusterWorkflowTemplates ``body`` refers to.

    A reference without ``clusterScope: true`` names a WorkflowTemplate in the referrer's own
    namespace, as Argo resolves it.
    """
    found: set[Identity] = set()
    for ref in _refs(body.get("spec")):
        name = ref.get("name")
        if not isinstance(name, str) or not name or "{{" in name:
            continue
        if ref.get("clusterScope") is True:
            found.add(Identity(Kind.CLUSTER_WORKFLOW_TEMPLATE.value, "", name))
        else:
            found.add(Identity(Kind.WORKFLOW_TEMPLATE.value, namespace, name))
    return found


def _refs(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("templateRef", "workflowTemplateRef") and isinstance(item, Mapping):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)
