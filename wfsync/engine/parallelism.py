"""``checkParallelism``: workflow and template ``parallelism`` limits, and ``failFast``.

Apart from the rest because the counting rules differ per limit (``node_counters.go``):
``spec.parallelism`` counts started Pod nodes only, a template's own limit its direct pods,
its boundary's limit the Pod, Steps and DAG children.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.nodes import OperationState
from wfsync.engine.templates import template_type
from wfsync.model.kinds import NodeType


class ParallelismMixin(OperationState):
    """Whether a node may be created (or go on) now, given every parallelism limit."""

    def check_parallelism(self, tmpl: Mapping[str, Any], node: st.Node | None, boundary_id: str) -> bool:
        """``checkParallelism``: False when the node must not be created (or go on) yet."""
        limit = self.spec.get("parallelism")
        if limit is not None and self.active_pods >= int(limit):
            return False
        kind = template_type(tmpl)
        if node is not None and kind in ("steps", "dag"):
            if tmpl.get("failFast") is True and self.unsuccessful_children(node.id) > 0:
                if self.active_pods_under(node.id) == 0:
                    self.fail_fast(node, kind)
                return False
            # the node's own limit counts only its direct *pods* (``getActivePods(node.ID)``): a
            # Steps/DAG child must still be visited to progress, or it would never finish
            if tmpl.get("parallelism") is not None and self.active_pods_under(node.id) >= int(
                tmpl["parallelism"]
            ):
                return False
        if boundary_id and (node is None or node.phase not in (st.PENDING, st.RUNNING)):
            boundary_tmpl = self.boundary_templates.get(boundary_id) or {}
            boundary = self.status.nodes.get(boundary_id)
            if boundary_tmpl.get("failFast") is True and self.unsuccessful_children(boundary_id) > 0:
                if boundary is not None and self.active_pods_under(boundary_id) == 0:
                    self.fail_fast(boundary, template_type(boundary_tmpl))
                return False
            if boundary_tmpl.get("parallelism") is not None and self.active_children(boundary_id) >= int(
                boundary_tmpl["parallelism"]
            ):
                return False
        return True

    def count_active_pods(self) -> int:
        """``getActivePods("")``: started Pod nodes still Pending or Running (HTTP nodes run in the agent)."""
        nodes = self.status.nodes
        return sum(
            1
            for node_id in self.active
            if nodes[node_id].type == NodeType.POD and nodes[node_id].phase in (st.PENDING, st.RUNNING)
        )

    def fail_fast(self, node: st.Node, kind: str) -> None:
        """Fail a template (and, for steps, its last group) under ``failFast``."""
        message = "template has failed or errored children and failFast enabled"
        if kind == "steps" and node.children:
            groups = [n for n in self.status.within(node.id) if n.type == NodeType.STEP_GROUP]
            if groups:
                self.mark(groups[-1], st.FAILED, message)
        self.mark(node, st.FAILED, message)

    def unsuccessful_children(self, boundary_id: str) -> int:
        """Failed or Error nodes directly in a boundary (``getUnsuccessfulChildren``)."""
        return sum(
            1
            for n in self.status.within(boundary_id)
            if n.phase in (st.FAILED, st.ERROR) and n.type != NodeType.STEP_GROUP
        )

    def active_pods_under(self, boundary_id: str) -> int:
        """Running or pending pods in a boundary."""
        return sum(
            1
            for n in self.status.within(boundary_id)
            if n.type == NodeType.POD and n.phase in (st.PENDING, st.RUNNING) and not n.sync_waiting
        )

    def active_children(self, boundary_id: str) -> int:
        """``getActiveChildren``: pending or running Pod, Steps and DAG nodes of a boundary."""
        return sum(
            1
            for n in self.status.within(boundary_id)
            if n.type in (NodeType.POD, NodeType.STEPS, NodeType.DAG) and n.phase in (st.PENDING, st.RUNNING)
        )
