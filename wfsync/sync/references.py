"""Which templates an object refers to (``templateRef`` / ``workflowTemplateRef``), for apply order and prune."""

from __future__ import annotations

from collections.abc import Mapping

from wfsync.model.documents import Identity
from wfsync.model.resolve import ref_target
from wfsync.model.walk import callers, workflow_spec, workflow_template_ref


def references(body: Mapping[str, object], namespace: str) -> set[Identity]:
    """Identities of the WorkflowTemplates and ClusterWorkflowTemplates ``body`` refers to.

    Resolved by the model's rule (:mod:`wfsync.model.resolve`): a reference without
    ``clusterScope: true`` names a WorkflowTemplate in ``namespace``, the referrer's own.
    Templated names (``{{...}}``) name nothing yet and are left out.
    """
    spec, _ = workflow_spec(body)
    refs = [workflow_template_ref(body)[0]]
    refs += [c.node.get("templateRef") for c in callers(spec)] if spec is not None else []
    return {target.identity for target in (ref_target(ref, namespace) for ref in refs) if target is not None}
