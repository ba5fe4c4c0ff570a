"""``wfsync run --report run.html``: one self-contained page about a run, as Argo's UI shows it.

The node graph is an inline SVG coloured by phase (steps and task groups folded away, as the UI
draws them), followed by a row per node with its type, template, duration, message, parameters
and log. No scripts, no stylesheet or font from elsewhere: the page opens offline, from an
artifact store or a CI download, and every string from the workflow is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.report import format_duration, is_separator, template_label, tree
from wfsync.model.kinds import NodeType
from wfsync.model.layout import layers

MAX_DRAWN = 800
"""Above this many nodes the graph is left out (the page would not stay readable); the table stays."""
MAX_LOG = 64 * 1024
"""Characters of a node's log shown (the end of it): the report is read, not archived."""
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 170, 40, 24, 40, 16
COLOURS = {
    st.SUCCEEDED: ("#e6f7f1", "#18be94"),
    st.FAILED: ("#fdecee", "#e96d76"),
    st.ERROR: ("#fdecee", "#c2185b"),
    st.RUNNING: ("#e8f0fe", "#0dadea"),
    st.PENDING: ("#f3f3f3", "#8a8a8a"),
    st.SKIPPED: ("#fafafa", "#c0c0c0"),
    st.OMITTED: ("#fafafa", "#c0c0c0"),
}
_FOLDED = (NodeType.STEP_GROUP, NodeType.TASK_GROUP)
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;"
    "text-align:left;vertical-align:top}th{background:#f6f6f6}pre{background:#f6f8fa;padding:8px;"
    "overflow:auto;max-height:30em;white-space:pre-wrap}.phase{font-weight:600}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:600}"
    "svg a:hover rect{stroke-width:3}"
)


def render(
    status: st.WorkflowStatus,
    logs: Iterable[tuple[str, str]] = (),
    notes: Sequence[str] = (),
    now: float | None = None,
) -> str:
    """The page for ``status``; ``logs`` are ``(node name, text)`` pairs, ``notes`` the run's summary lines."""
    by_node: dict[str, list[str]] = {}
    for name, text in logs:
        by_node.setdefault(name, []).append(text)
    rows = [r for r in tree(status, now) if not is_separator(r)]
    title = f"{status.name}: {status.phase or 'Pending'}"
    parts = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(status.name)}</h1>",
        _summary(status, notes, now),
        "<h2>Graph</h2>",
        _graph(status),
        "<h2>Nodes</h2>",
        _table(rows, by_node),
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _summary(status: st.WorkflowStatus, notes: Sequence[str], now: float | None) -> str:
    stroke = COLOURS.get(status.phase, COLOURS[st.PENDING])[1]
    elapsed = ((status.finished or now or status.started) - status.started) if status.started else 0.0
    items: list[tuple[str, str] | None] = [
        ("Status", f'<span class="phase" style="color:{stroke}">{escape(status.phase or "Pending")}</span>'),
        ("Message", escape(status.message)) if status.message else None,
        ("Started", _time(status.started)),
        ("Finished", _time(status.finished)),
        ("Duration", format_duration(elapsed)),
        ("Progress", escape(status.progress())),
    ]
    items += [("Note", escape(n)) for n in notes]
    return "<dl>" + "".join(f"<dt>{i[0]}</dt><dd>{i[1]}</dd>" for i in items if i) + "</dl>"


def _time(seconds: float) -> str:
    if not seconds:
        return "-"
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def visible_graph(status: st.WorkflowStatus) -> tuple[list[st.Node], list[tuple[str, str]]]:
    """The drawn nodes (groups folded) and the edges between them, following ``children``.

    An edge into a StepGroup or TaskGroup goes on to that group's own visible children, so the
    picture reads step after step, as Argo's UI draws it. Linear in nodes plus edges.
    """
    nodes = status.nodes
    shown = [n for n in nodes.values() if n.type not in _FOLDED]
    reach: dict[str, list[str]] = {}

    def through(node_id: str) -> list[str]:
        """The visible nodes a child ID stands for (itself, or a folded group's visible children)."""
        found = reach.get(node_id)
        if found is not None:
            return found
        out: list[str] = []
        stack, seen = [node_id], set()
        while stack:
            current = stack.pop()
            if current in seen or current not in nodes:
                continue
            seen.add(current)
            node = nodes[current]
            if node.type in _FOLDED:
                stack.extend(reversed(node.children))
            else:
                out.append(current)
        reach[node_id] = out
        return out

    edges = [(n.id, target) for n in shown for child in n.children for target in through(child)]
    return shown, edges


def _graph(status: st.WorkflowStatus) -> str:
    shown, edges = visible_graph(status)
    if not shown:
        return "<p>No nodes.</p>"
    if len(shown) > MAX_DRAWN:
        return f"<p>{len(shown)} nodes: too many to draw here (the limit is {MAX_DRAWN}); the table lists them all.</p>"
    depth = layers([n.id for n in shown], edges)
    rows: dict[int, list[st.Node]] = {}
    for node in shown:
        rows.setdefault(depth[node.id], []).append(node)
    widest = max(len(r) for r in rows.values())
    width = PAD * 2 + widest * (NODE_W + GAP_X)
    height = PAD * 2 + len(rows) * (NODE_H + GAP_Y)
    where: dict[str, tuple[int, int]] = {}
    for level, row in rows.items():
        offset = (width - len(row) * (NODE_W + GAP_X) + GAP_X) // 2
        for i, node in enumerate(row):
            where[node.id] = (offset + i * (NODE_W + GAP_X), PAD + level * (NODE_H + GAP_Y))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(status.name)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8"'
        ' orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>',
    ]
    for a, b in edges:
        (x1, y1), (x2, y2) = where[a], where[b]
        out.append(
            f'<line x1="{x1 + NODE_W // 2}" y1="{y1 + NODE_H}" x2="{x2 + NODE_W // 2}" y2="{y2}"'
            ' stroke="#999" marker-end="url(#arrow)"/>'
        )
    for node in shown:
        x, y = where[node.id]
        fill, stroke = COLOURS.get(node.phase, COLOURS[st.PENDING])
        label = node.display_name or node.name
        shown_label = label if len(label) <= 24 else label[:23] + "…"
        out.append(
            f'<a href="#{_anchor(node)}"><g class="node" data-phase="{escape(node.phase)}">'
            f"<title>{escape(node.name)}: {escape(node.phase)}</title>"
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" stroke="{stroke}"'
            ' stroke-width="1.5"/>'
            f'<text x="{x + NODE_W // 2}" y="{y + 17}" text-anchor="middle">{escape(shown_label)}</text>'
            f'<text x="{x + NODE_W // 2}" y="{y + 32}" text-anchor="middle" fill="#666" font-size="10">'
            f"{escape(node.type)} · {escape(node.phase)}</text></g></a>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _anchor(node: st.Node) -> str:
    return "node-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in node.id)


def _table(rows: Sequence[Any], logs: Mapping[str, list[str]]) -> str:
    head = (
        "<tr><th>Step</th><th>Type</th><th>Template</th><th>Phase</th><th>Duration</th><th>Message</th></tr>"
    )
    out = ["<table>", head]
    for row in rows:
        node: st.Node = row.node
        template = template_label(node)
        stroke = COLOURS.get(node.phase, COLOURS[st.PENDING])[1]
        seconds = format_duration(row.seconds) if node.type in (NodeType.POD, NodeType.SUSPEND) else ""
        out.append(
            f'<tr id="{_anchor(node)}"><td><code>{escape(row.prefix)}</code>{escape(node.display_name)}</td>'
            f"<td>{escape(node.type)}</td><td>{escape(template)}</td>"
            f'<td class="phase" style="color:{stroke}">{escape(node.phase)}</td><td>{seconds}</td>'
            f"<td>{escape(node.message)}{_details(node, logs.get(node.name, []))}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def _details(node: st.Node, logs: list[str]) -> str:
    """Parameters and log of a node, folded (``<details>`` needs no script)."""
    parts = []
    for side, values in (("inputs", node.inputs), ("outputs", node.outputs)):
        params = (values or {}).get("parameters") or []
        listed = [f"{p.get('name')}={p.get('value', '')}" for p in params if isinstance(p, dict)]
        if listed:
            parts.append(f"<p><b>{side}</b>: {escape(', '.join(listed))}</p>")
    text = "".join(logs)
    if text:
        cut = len(text) > MAX_LOG
        shown = text[-MAX_LOG:]
        note = f"<p>(last {MAX_LOG // 1024} KiB of {len(text) // 1024} KiB)</p>" if cut else ""
        parts.append(f"{note}<pre>{escape(shown)}</pre>")
    if not parts:
        return ""
    return "<details><summary>details</summary>" + "".join(parts) + "</details>"


class LogCollector:
    """Pods' logs kept for the report as the run streams them: each node's tail, within a total budget.

    Unlike the run's own bounded tail, every node keeps its last :data:`MAX_LOG` characters,
    until ``total`` characters are held; nodes after that are counted, not kept.
    """

    def __init__(self, total: int = 32 * 1024 * 1024) -> None:
        self.total = total
        self.size = 0
        self.left_out = 0
        self._logs: dict[str, str] = {}

    def __call__(self, node: str, text: str) -> None:
        """Keep ``text`` as (more of) ``node``'s log."""
        before = self._logs.get(node)
        if before is None and self.size >= self.total:
            self.left_out += 1
            return
        kept = ((before or "") + text)[-MAX_LOG:]
        self.size += len(kept) - len(before or "")
        self._logs[node] = kept

    def items(self) -> list[tuple[str, str]]:
        """``(node name, log)`` pairs, in the order the nodes first logged."""
        return list(self._logs.items())
