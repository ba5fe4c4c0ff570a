"""The node tree as ``argo get`` lays it out: pure data the CLI renders (no terminal code here)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

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


def _kids(status: st.WorkflowStatus, node: st.Node, inside: Mapping[str, list[st.Node]]) -> list[st.Node]:
    """The rows under ``node``; ``inside`` holds each boundary's nodes (built once a tree)."""
    nodes = status.nodes
    own = inside.get(node.id, [])
    if node.type == NodeType.STEPS:
        kids = [n for n in own if n.type == NodeType.STEP_GROUP]
    elif node.type == NodeType.STEP_GROUP:
        kids = [nodes[c] for c in node.children if c in nodes and nodes[c].boundary_id == node.boundary_id]
        kids = [k for k in kids if k.type != NodeType.STEP_GROUP and not k.hooked]
    elif node.type == NodeType.DAG:
        inner = {c for n in own if n.type in (NodeType.RETRY, NodeType.TASK_GROUP) for c in n.children}
        kids = [n for n in own if n.id not in inner and not n.hooked]
    elif node.type in (NodeType.RETRY, NodeType.TASK_GROUP):
        kids = [nodes[c] for c in node.children if c in nodes and not nodes[c].hooked]
    elif node.type == NodeType.POD and any(
        c in nodes and nodes[c].type == NodeType.CONTAINER for c in node.children
    ):
        kids = [n for n in own if n.type == NodeType.CONTAINER]
    else:
        kids = []
    hooks = [nodes[c] for c in node.children if c in nodes and nodes[c].hooked]
    return kids + hooks


def tree(status: st.WorkflowStatus) -> list[Row]:
    """Rows for the root node and its exit handler, depth first, with box-drawing prefixes.

    Linear in the nodes and iterative (an explicit stack): a tree of thousands of nodes, or a
    chain thousands deep, renders without rescanning every node per row or deep recursion.
    """
    inside: dict[str, list[st.Node]] = {}
    for node in status.nodes.values():
        if node.boundary_id:
            inside.setdefault(node.boundary_id, []).append(node)
    rows: list[Row] = []
    roots = [status.by_name(status.name), status.by_name(f"{status.name}.onExit")]
    stack: list[tuple[st.Node, str, str]] = [(n, "", "") for n in reversed(roots) if n is not None]
    while stack:
        node, lead, branch = stack.pop()
        rows.append(Row(lead + branch, node, duration(node)))
        kids = _kids(status, node, inside)
        child_lead = lead + ("    " if branch.startswith("└") else "│   " if branch else "")
        last = len(kids) - 1
        stack.extend(
            (kid, child_lead, "└─── " if index == last else "├─── ")
            for index, kid in reversed(list(enumerate(kids)))
        )
    return rows
