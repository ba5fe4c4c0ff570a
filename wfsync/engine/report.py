"""The node tree and header as ``argo get`` lays them out: pure data the CLI renders (no terminal code).

The tree follows the argo CLI's ``convertToRenderTrees``/``renderNodes`` (cmd/argo/commands/common/get.go):
Steps and DAG nodes hold the nodes of their boundary, StepGroup and Retry nodes hold their children,
every other node type (TaskGroup, Container) is not drawn; step groups are folded into the
``├─┬─``/``│ └─`` drawing, a Retry with one attempt is folded into it, Omitted skips are hidden, and
siblings are ordered by start time, then loop index or display name. Durations and times are
written as the argo CLI's ``humanize`` package writes them, from a clock the caller passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import time
from collections.abc import Iterator, Mapping

from wfsync.engine import status as st
from wfsync.model.kinds import NodeType
from wfsync.model.values import listed, mapping

ICONS = {
    st.PENDING: "◷",
    st.RUNNING: "●",
    st.SUCCEEDED: "✔",
    st.SKIPPED: "○",
    st.FAILED: "✖",
    st.ERROR: "⚠",
    st.OMITTED: "○",
}
"""``JobStatusIconMap`` (Omitted is Argo's blank; it only shows on a non-Skipped node, never in practice)."""
SUSPENDED_ICON = "ǁ"
"""``NodeTypeIconMap[Suspend]``: a Suspend node that is still waiting."""
COLUMNS = ("STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE")

_BOUNDARY = frozenset({NodeType.DAG, NodeType.STEPS})
_GROUPING = frozenset({NodeType.STEP_GROUP, NodeType.RETRY})
_EXECUTION = frozenset({NodeType.POD, NodeType.SKIPPED, NodeType.SUSPEND, NodeType.HTTP, NodeType.PLUGIN})


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the tree: the box-drawing prefix, the node and its duration in seconds."""

    prefix: str
    node: st.Node
    seconds: float


def duration(node: st.Node, now: float) -> float:
    """Seconds from start to finish (to ``now`` while running)."""
    if not node.started:
        return 0.0
    return max(0.0, (node.finished or now) - node.started)


# --- durations and times, as github.com/argoproj/pkg/humanize writes them -----------------------

_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 7 * 86400
_MONTH, _YEAR = 30 * _DAY, 12 * 30 * _DAY
_SHORT = (  # (below this many seconds, format, divide by): shortTimeMagnitudes
    (1, "0s", 1),
    (2, "1s", 1),
    (_MINUTE, "{}s", 1),
    (2 * _MINUTE, "1m", 1),
    (_HOUR, "{}m", _MINUTE),
    (2 * _HOUR, "1h", 1),
    (_DAY, "{}h", _HOUR),
    (2 * _DAY, "1d", 1),
    (_WEEK, "{}d", _DAY),
)
_LONG = (  # relativeMagnitudes (go-humanize's defaults, with "0 seconds" for "now")
    (1, "0 seconds", 1),
    (2, "1 second", 1),
    (_MINUTE, "{} seconds", 1),
    (2 * _MINUTE, "1 minute", 1),
    (_HOUR, "{} minutes", _MINUTE),
    (2 * _HOUR, "1 hour", 1),
    (_DAY, "{} hours", _HOUR),
    (2 * _DAY, "1 day", 1),
    (_WEEK, "{} days", _DAY),
    (2 * _WEEK, "1 week", 1),
    (_MONTH, "{} weeks", _WEEK),
    (2 * _MONTH, "1 month", 1),
    (_YEAR, "{} months", _MONTH),
    (18 * _MONTH, "1 year", 1),
    (2 * _YEAR, "2 years", 1),
    (37 * _YEAR, "{} years", _YEAR),
)


def _magnitude(seconds: float, table: tuple[tuple[int, str, int], ...]) -> str:
    """go-humanize's ``CustomRelTime``: the first magnitude above ``seconds``, the last one past them."""
    for limit, text, divide in table:
        if seconds < limit:
            return text.format(int(seconds // divide))
    _, text, divide = table[-1]
    return text.format(int(seconds // divide))


def short_duration(seconds: float) -> str:
    """``0s``, ``59s``, ``1m``, ``59m``, ``5h``, ``3d``: the DURATION column (``RelativeDurationShort``)."""
    return _magnitude(max(0.0, seconds), _SHORT)


def long_duration(seconds: float) -> str:
    """``11 seconds``, ``2 minutes 5 seconds``, ``1 hour 3 minutes``: the header's Duration."""
    seconds = max(0.0, seconds)
    first = _magnitude(seconds, _LONG)
    if seconds < _MINUTE:
        return first
    if seconds < _HOUR:
        return f"{first} {int(seconds % 60)} seconds"
    if seconds < _DAY:
        return f"{first} {int(seconds // 60 % 60)} minutes"
    return f"{first} {int(seconds // 3600 % 24)} hours"


def format_duration(seconds: float) -> str:
    """A duration as the node table writes it (kept for callers of the earlier renderer)."""
    return short_duration(seconds)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def timestamp(when: float, now: float, tz: dt.tzinfo | None = None) -> str:
    """``Tue Sep 17 11:23:47 -0700 (3 minutes ago)`` (``humanize.Timestamp``), in ``tz`` (local by default).

    Day and month names are English whatever the locale, as Go writes them.
    """
    moment = dt.datetime.fromtimestamp(when, tz) if tz else dt.datetime.fromtimestamp(when).astimezone()
    offset = moment.strftime("%z") or "+0000"
    text = f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment:%d %H:%M:%S} {offset}"
    ago = now - when
    if -1 < ago < 1:
        relative = "now"
    elif ago > 0:
        relative = f"{_magnitude(ago, _LONG)} ago"
    else:
        relative = f"{_magnitude(-ago, _LONG)} from now"
    return f"{text} ({relative})"


# --- the tree ------------------------------------------------------------------------------------

_INDEX = re.compile(r"[+-]?[0-9]+")


def loop_index(display_name: str) -> int:
    """The item index in ``name(3:value)`` (``RecoverIndexFromNodeName``), else -1."""
    start, end = display_name.find("("), display_name.find(":")
    if start < 0 or end < 0 or end <= start:
        return -1
    digits = display_name[start + 1 : end]
    return int(digits) if _INDEX.fullmatch(digits) else -1


def _sibling_order(a: st.Node, b: st.Node) -> int:
    """``insertSorted``: earlier start first; at the same start, loop index when both have one, else name."""
    if a.started != b.started:
        return -1 if a.started < b.started else 1
    first, second = loop_index(a.display_name), loop_index(b.display_name)
    if first >= 0 and second >= 0:
        return (first > second) - (first < second)
    return (a.display_name > b.display_name) - (a.display_name < b.display_name)


_ORDER = functools.cmp_to_key(_sibling_order)


def _render_children(status: st.WorkflowStatus) -> tuple[dict[str, list[st.Node]], list[st.Node]]:
    """Each drawn node's children (sorted) and the roots, in two passes over the nodes."""
    nodes = status.nodes
    grouped_by: dict[str, str] = {}
    for node in nodes.values():
        if node.type in _GROUPING:
            for child in node.children:
                grouped_by[child] = node.id
    children: dict[str, list[st.Node]] = {}
    roots: list[st.Node] = []
    for node in nodes.values():
        if node.type not in _BOUNDARY and node.type not in _GROUPING and node.type not in _EXECUTION:
            continue  # TaskGroup, Container: argo get does not draw them
        if node.type == NodeType.SKIPPED and node.phase == st.OMITTED:
            continue  # hidden, as in argo get, but left out before the last sibling is chosen (argo
            # counts it, leaving a branch open with nothing under it)
        parent = grouped_by.get(node.id)
        if parent is None and not node.boundary_id:
            roots.append(node)
            continue
        if parent is None:
            boundary = nodes.get(node.boundary_id)
            if boundary is None or boundary.type not in _BOUNDARY:
                continue  # Argo keeps it waiting for a boundary that never comes
            parent = node.boundary_id
        children.setdefault(parent, []).append(node)
    for kids in children.values():
        kids.sort(key=_ORDER)
    return children, roots


def _folded(node: st.Node) -> tuple[bool, bool]:
    """``filterNode``: (not drawn, its children get the step-group drawing); Omitted skips never get here."""
    if node.type == NodeType.RETRY and len(node.children) == 1:
        return True, False
    if node.type == NodeType.STEP_GROUP:
        return True, True
    return False, False


def _branch(folded: bool, group: bool, index: int, last: int) -> tuple[str, str]:
    """``renderChild``'s (part, subp): the connector of a child and what continues under it."""
    if folded and group:
        if last == 0:
            return "──", "  "
        if index == 0:
            return "┬─", "│ "
        if index == last:
            return "└─", "  "
        return "├─", "│ "
    if folded:
        return "", ""
    return ("└─", "  ") if index == last else ("├─", "│ ")


def _walk(root: st.Node, children: Mapping[str, list[st.Node]], now: float) -> Iterator[Row]:
    """Depth first from ``root`` with an explicit stack (a chain thousands deep is no recursion)."""
    stack: list[tuple[st.Node, str, str]] = [(root, " ", " ")]
    while stack:
        node, node_prefix, child_prefix = stack.pop()
        folded, group = _folded(node)
        if not folded:
            yield Row(node_prefix, node, duration(node, now))
        kids = children.get(node.id, ())
        last = len(kids) - 1
        for index in range(last, -1, -1):
            part, sub = _branch(folded, group, index, last)
            lead = node_prefix if folded and index == 0 else child_prefix
            stack.append((kids[index], lead + part, child_prefix + sub))


def tree(status: st.WorkflowStatus, now: float | None = None) -> list[Row]:
    """Rows of the workflow's tree, then (after a row with no node) of its exit handler's.

    Linear in the nodes apart from sorting siblings. An empty list when the root node does not
    exist yet (``argo get`` prints no table then). ``now`` (default: the clock) is the finish of
    running nodes.
    """
    now = time.time() if now is None else now
    children, roots = _render_children(status)
    by_id = {node.id: node for node in roots}
    root = by_id.get(status.name)
    if root is None:
        return []
    rows = list(_walk(root, children, now))
    exit_root = by_id.get(st.node_id(status.name, f"{status.name}.onExit"))
    if exit_root is not None:
        rows.append(Row("", _SEPARATOR, 0.0))
        rows.extend(_walk(exit_root, children, now))
    return rows


_SEPARATOR = st.Node(id="", name="", display_name="", type="", phase="")
"""The empty line ``argo get`` writes between the main tree and the exit handler's."""


def is_separator(row: Row) -> bool:
    """Whether ``row`` is the blank line before the exit handler's tree."""
    return row.node is _SEPARATOR


def icon(node: st.Node) -> str:
    """The status icon of a node (a waiting Suspend node shows the suspend sign)."""
    if node.type == NodeType.SUSPEND and node.phase == st.RUNNING:
        return SUSPENDED_ICON
    return ICONS.get(node.phase, "")


def template_label(node: st.Node) -> str:
    """TEMPLATE column: ``name/template`` for a templateRef, else the template's name."""
    if node.template_ref:
        return f"{node.template_ref.get('name', '')}/{node.template_ref.get('template', '')}"
    return node.template_name


def pod_label(status: st.WorkflowStatus, node: st.Node) -> str:
    """PODNAME column: the v2 pod name Argo gives a Pod node (``GeneratePodName``), blank for others."""
    if node.type != NodeType.POD:
        return ""
    if node.pod_name:
        return node.pod_name
    template = str((node.template_ref or {}).get("template", "")) if node.template_ref else node.template_name
    return st.pod_name(status.name, node.name, template)


def cells(status: st.WorkflowStatus, row: Row) -> tuple[str, str, str, str, str]:
    """The five cells of a row, raw (the renderer makes them safe to print)."""
    node = row.node
    if is_separator(row):
        return ("", "", "", "", "")
    pod = pod_label(status, node)
    shown = short_duration(row.seconds) if node.type == NodeType.POD else ""
    return (f"{icon(node)} {node.display_name}", template_label(node), pod, shown, node.message)


# --- the header ----------------------------------------------------------------------------------


def _phase_label(status: st.WorkflowStatus) -> str:
    """``printer.WorkflowStatus``: the phase, ``Pending`` before one, ``Running (Suspended)`` when waiting."""
    phase = status.phase or st.PENDING
    if phase == st.RUNNING and any(
        n.type == NodeType.SUSPEND and n.phase == st.RUNNING for n in status.nodes.values()
    ):
        return "Running (Suspended)"
    return phase


def _parse_time(value: object) -> float:
    """Epoch seconds of an RFC 3339 time (``creationTimestamp``), 0 when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return 0.0
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def header(
    status: st.WorkflowStatus, workflow: Mapping[str, object] | None, now: float, tz: dt.tzinfo | None = None
) -> list[tuple[str, str]]:
    """(label, value) lines above the table, in ``PrintWorkflowHelper``'s order.

    What only the Workflow object knows (namespace, service account, conditions, creation time,
    arguments) is shown when ``workflow`` is given; without it, Created is the start.
    """
    wf = mapping(workflow)
    meta, spec = mapping(wf.get("metadata")), mapping(wf.get("spec"))
    lines: list[tuple[str, str]] = [("Name:", status.name)]
    if wf:
        lines.append(("Namespace:", str(meta.get("namespace") or "")))
        account = spec.get("serviceAccountName")
        if not account:
            account = (
                "unset"
                if spec.get("workflowTemplateRef")
                else "unset (will run with the default ServiceAccount)"
            )
        lines.append(("ServiceAccount:", str(account)))
    lines.append(("Status:", _phase_label(status)))
    if status.message:
        lines.append(("Message:", status.message))
    lines += _conditions(wf)
    created = _parse_time(meta.get("creationTimestamp")) or status.started
    if created:
        lines.append(("Created:", timestamp(created, now, tz)))
    if status.started:
        lines.append(("Started:", timestamp(status.started, now, tz)))
    if status.finished:
        lines.append(("Finished:", timestamp(status.finished, now, tz)))
    if status.started:
        lines.append(("Duration:", long_duration((status.finished or now) - status.started)))
    lines.append(("Progress:", status.progress()))
    lines += _parameters(spec)
    lines += _outputs(status.outputs)
    return lines


def _conditions(wf: Mapping[str, object]) -> list[tuple[str, str]]:
    """``Conditions.DisplayString``: one line a condition, its message or else its status."""
    conditions = mapping(wf.get("status")).get("conditions")
    if not isinstance(conditions, list) or not conditions:
        return []
    lines = [("Conditions:", "")]
    for condition in conditions:
        if isinstance(condition, Mapping):
            value = condition.get("message") or condition.get("status") or ""
            lines.append((f" {condition.get('type', '')}", str(value)))
    return lines


def _parameters(spec: Mapping[str, object]) -> list[tuple[str, str]]:
    """The workflow's arguments that have a value, as ``  name:`` lines under ``Parameters:``."""
    parameters = mapping(spec.get("arguments")).get("parameters")
    if not isinstance(parameters, list) or not parameters:
        return []
    return [("Parameters:", "")] + [
        (f"  {parameter.get('name', '')}:", _scalar(parameter["value"]))
        for parameter in parameters
        if isinstance(parameter, Mapping) and parameter.get("value") is not None
    ]


def _scalar(value: object) -> str:
    """A parameter value as Go prints the string Argo stores (YAML numbers and booleans as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _outputs(outputs: Mapping[str, object]) -> list[tuple[str, str]]:
    """``Output Parameters:`` (global outputs with a value) and S3 ``Output Artifacts:``, as argo get lists them."""
    lines: list[tuple[str, str]] = []
    parameters = [
        p for p in listed(outputs.get("parameters")) if isinstance(p, Mapping) and p.get("value") is not None
    ]
    if parameters:
        lines.append(("Output Parameters:", ""))
        lines += [(f"  {p.get('name', '')}:", _scalar(p["value"])) for p in parameters]
    artifacts = [a for a in listed(outputs.get("artifacts")) if isinstance(a, Mapping)]
    if artifacts:
        lines.append(("Output Artifacts:", ""))
        for artifact in artifacts:
            s3 = mapping(artifact.get("s3"))
            if s3:  # S3Artifact.String(): the bucket may come from the artifact repository
                where = (
                    f"s3://{s3.get('bucket', '')}/{s3.get('key', '')}"
                    if s3.get("bucket")
                    else str(s3.get("key", ""))
                )
                lines.append((f"  {artifact.get('name', '')}:", where))
    return lines
