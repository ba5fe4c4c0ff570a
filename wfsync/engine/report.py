"""The node tree as ``argo get`` lays it out: pure data the CLI renders (no terminal code here)."""

from __future__ import annotations

import dataclasses
import time

from wfsync.engine import status as st
from wfsync.model.kinds import NodeType

ICONS = {
    st.SUCCEEDED: "✔",
    st.FAILED: "✖",
    st.ERROR: "⚠",
    st.SKIPPED: "○",
    st.OMITTED: "○",
    st.RUNNING: "●",
    st.PENDING: "◷",
}


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the tree: indentation prefix, the node and its duration in seconds."""

    prefix: str
    node: st.Node
    seconds: float


def duration(node: st.Node) -> float:
    """Seconds from start to finish (to now while running)."""
    if not node.started:
        return 0.0
    return max(0.0, (node.finished or time.time()) - node.started)


def format_duration(seconds: float) -> str:
    """``0s``, ``1s``, ``2m3s``, ``1h2m`` as ``argo get`` shows durations."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60}s"
    return f"{whole // 3600}h{(whole % 3600) // 60}m"


def _kids(status: st.WorkflowStatus, node: st.Node) -> list[st.Node]:
    nodes = status.nodes
    if node.type == NodeType.STEPS:
        kids = [n for n in nodes.values() if n.boundary_id == node.id and n.type == NodeType.STEP_GROUP]
    elif node.type == NodeType.STEP_GROUP:
        kids = [nodes[c] for c in node.children if c in nodes and nodes[c].boundary_id == node.boundary_id]
        kids = [k for k in kids if k.type != NodeType.STEP_GROUP and not k.hooked]
    elif node.type == NodeType.DAG:
        inner = {
            c
            for n in nodes.values()
            if n.boundary_id == node.id and n.type in (NodeType.RETRY, NodeType.TASK_GROUP)
            for c in n.children
        }
        kids = [n for n in nodes.values() if n.boundary_id == node.id and n.id not in inner and not n.hooked]
    elif node.type in (NodeType.RETRY, NodeType.TASK_GROUP):
        kids = [nodes[c] for c in node.children if c in nodes and not nodes[c].hooked]
    elif node.type == NodeType.POD and any(
        c in nodes and nodes[c].type == NodeType.CONTAINER for c in node.children
    ):
        kids = [n for n in nodes.values() if n.boundary_id == node.id and n.type == NodeType.CONTAINER]
    else:
        kids = []
    hooks = [nodes[c] for c in node.children if c in nodes and nodes[c].hooked]
    return kids + hooks


def tree(status: st.WorkflowStatus) -> list[Row]:
    """Rows for the root node and its exit handler, depth first, with box-drawing prefixes."""
    rows: list[Row] = []

    def walk(node: st.Node, lead: str, branch: str) -> None:
        rows.append(Row(lead + branch, node, duration(node)))
        kids = _kids(status, node)
        child_lead = lead + ("    " if branch.startswith("└") else "│   " if branch else "")
        for index, kid in enumerate(kids):
            walk(kid, child_lead, "└─── " if index == len(kids) - 1 else "├─── ")

    root = status.by_name(status.name)
    if root is not None:
        walk(root, "", "")
    exit_node = status.by_name(f"{status.name}.onExit")
    if exit_node is not None:
        walk(exit_node, "", "")
    return rows
