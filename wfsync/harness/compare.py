"""A local run against Argo's: the differences ``wfsync verify`` reports, as data.

The two runs have different workflow names, so nodes are matched by their name relative to the
workflow's (``hello-x.steps[0].b`` and ``hello-q7.steps[0].b`` are both ``.steps[0].b``), and the
strings that embed a run's identity (its name, node IDs and pod names, all derived from the
name) are replaced by placeholders before values are compared. What the controller decides is
compared: phases, node types, which template ran, display names and outputs (of each node, and
the workflow's global ones). What the machine
decides is not: times, durations, pod and host names, IDs, the message of a Succeeded node.

A node present on one side only is one difference, whatever its subtree holds; differences come
in tree order (depth first, children in the order Argo lists them), so a report is stable.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping

from wfsync.cluster.api import Obj
from wfsync.engine.status import ERROR, FAILED, Node, WorkflowStatus, pod_name
from wfsync.harness.frames import NameSwap
from wfsync.harness.status import workflow_status

NODE = "node"
"""``Difference.what`` of a node present on one side only."""
_FAILED = frozenset({FAILED, ERROR})
_GROUPING = frozenset({"StepGroup", "Retry", "TaskGroup"})
"""Node types whose children are drawn under them (the others' children are the next steps)."""
_LOG_ARTIFACT = "-logs"
"""Suffix of the artifacts Argo's log archiving adds to a pod's outputs (``main-logs``)."""
_SHOWN = 80
"""Longest value shown in a difference's line."""


@dataclasses.dataclass(frozen=True)
class Difference:
    """One thing the local run and Argo's disagree on.

    ``path`` is ``workflow`` or ``node <local name>``; ``what`` the field (``phase``,
    ``output parameter 'x'``...) or :data:`NODE` for a node missing on one side, whose present
    side then describes it (``Pod Succeeded, and 3 nodes under it``) and the other is empty.
    """

    path: str
    what: str
    local: str
    remote: str

    def __str__(self) -> str:
        if self.what == NODE:
            side, present = ("on Argo", self.local) if self.local else ("here", self.remote)
            return f"{self.path}: missing {side} ({present})"
        return f"{self.path}: {self.what} {_show(self.local)} here, {_show(self.remote)} on Argo"

    def to_json(self) -> dict[str, str]:
        """As listed in ``wfsync verify -o json``."""
        return dataclasses.asdict(self)


def compare(local: Obj, remote: Obj) -> list[Difference]:
    """The differences between two Workflow objects (or two ``status`` objects), in tree order.

    Raises :class:`~wfsync.harness.status.StatusError` when either status is malformed.
    """
    here = _Side(_as_workflow(local), ordered=True)
    there = _Side(_as_workflow(remote), ordered=False)
    out: list[Difference] = []
    if here.status.phase != there.status.phase:
        out.append(Difference("workflow", "phase", here.status.phase, there.status.phase))
    elif here.status.phase in _FAILED:
        _message(out, "workflow", here.status.message, there.status.message, here, there)
    # global outputs (``globalName``): what a caller of the workflow reads from it
    _outputs(out, "workflow", here.status.outputs, there.status.outputs, here, there)
    reported: set[str] = set()
    for rel in _tree(here, there):
        if rel in reported:
            continue
        path = f"node {here.status.name}{rel}"
        mine, theirs = here.nodes.get(rel), there.nodes.get(rel)
        if mine is not None and theirs is not None:
            _node(out, path, mine, theirs, here, there)
            continue
        side, other = (here, there) if mine is not None else (there, here)
        under = [d for d in side.descendants(rel) if d not in other.nodes]
        reported.update(under)
        present = _describe(side.nodes[rel], len(under))
        out.append(Difference(path, NODE, present if mine else "", present if theirs else ""))
    return out


class _Side:
    """One run's nodes by relative name, arranged as ``argo get`` draws them, and what names the run.

    A node's parent is the step group or retry node that lists it as a child, else its boundary
    (the steps or DAG template it runs in); nodes without one (the root, the exit handler) are
    roots. Siblings keep the order the nodes were created in when ``ordered`` (a local run),
    else their start time's (Argo's ``status.nodes`` is sorted by ID, an order of no meaning).
    """

    def __init__(self, workflow: Obj, *, ordered: bool) -> None:
        self.status: WorkflowStatus = workflow_status(workflow)
        name = self.status.name
        self.nodes: dict[str, Node] = {}
        by_id: dict[str, str] = {}
        for node in self.status.nodes.values():
            rel = node.name[len(name) :] if node.name.startswith(name) else node.name
            self.nodes[rel] = node
            by_id[node.id] = rel
        self.links: dict[str, list[str]] = {
            rel: [by_id[c] for c in node.children if c in by_id] for rel, node in self.nodes.items()
        }
        grouped = {
            child: rel
            for rel, node in self.nodes.items()
            if node.type in _GROUPING
            for child in self.links[rel]
        }
        self.kids: dict[str, list[str]] = {}
        self.roots: list[str] = []
        members = list(self.nodes.items())
        if not ordered:
            members.sort(key=lambda item: (item[1].started or float("inf"), item[0]))
        for rel, node in members:
            parent = grouped.get(rel) or by_id.get(node.boundary_id)
            if parent is None or parent == rel:
                self.roots.append(rel)
            else:
                self.kids.setdefault(parent, []).append(rel)
        replace: dict[str, str] = {name: "<workflow>"}
        for rel, node in self.nodes.items():
            replace[node.id] = f"<node {rel or '(root)'}>"
            for template in {node.template_name, str((node.template_ref or {}).get("template") or "")} - {""}:
                # whatever its type says: a pod name in a value is the run's, not the controller's choice
                replace.setdefault(pod_name(name, node.name, template), f"<pod {rel}>")
        self._names = NameSwap(name, replace)
        uid = ((workflow.get("metadata") or {}).get("uid")) if isinstance(workflow, Mapping) else None
        self._uid = uid if isinstance(uid, str) else ""

    def normal(self, text: str) -> str:
        """``text`` with this run's name, node IDs, pod names and uid replaced by placeholders."""
        if self._uid:
            text = text.replace(self._uid, "<uid>")
        return self._names(text)

    def descendants(self, rel: str) -> list[str]:
        """Every node under ``rel`` (drawn under it, or reached through ``children``), each once."""
        seen: list[str] = []
        stack = [rel]
        known = {rel}
        while stack:
            item = stack.pop()
            for below in (*self.kids.get(item, ()), *self.links.get(item, ())):
                if below not in known:
                    known.add(below)
                    seen.append(below)
                    stack.append(below)
        return seen


def _as_workflow(obj: Obj) -> Obj:
    """A Workflow object as is; a bare ``status`` wrapped with the name of its root node."""
    if not isinstance(obj, Mapping) or "metadata" in obj or "status" in obj:
        return obj
    nodes = obj.get("nodes")
    name = ""
    if isinstance(nodes, Mapping):
        for key, node in nodes.items():
            if isinstance(node, Mapping) and node.get("name") == key:
                name = str(key)
                break
    return {"metadata": {"name": name or "workflow"}, "status": obj}


def _tree(here: _Side, there: _Side) -> Iterator[str]:
    """Relative names of both sides, depth first; under each node the local children, then Argo's others."""
    seen: set[str] = set()

    def merged(mine: list[str], theirs: list[str]) -> list[str]:
        have = set(mine)
        return mine + [c for c in theirs if c not in have]

    stack = list(reversed(merged(here.roots, there.roots)))
    while stack:
        rel = stack.pop()
        if rel in seen:
            continue
        seen.add(rel)
        yield rel
        stack.extend(reversed(merged(here.kids.get(rel, []), there.kids.get(rel, []))))
    # nodes reached by no chain from a root (a boundary cycle in hostile input) still count, by name
    yield from sorted((set(here.nodes) | set(there.nodes)) - seen)


def _node(out: list[Difference], path: str, mine: Node, theirs: Node, here: _Side, there: _Side) -> None:
    for what, a, b in (
        ("type", mine.type, theirs.type),
        ("phase", mine.phase, theirs.phase),
        ("templateName", mine.template_name, theirs.template_name),
        ("templateRef", _ref(mine.template_ref), _ref(theirs.template_ref)),
    ):
        if a != b:
            out.append(Difference(path, what, a, b))
    if here.normal(mine.display_name) != there.normal(theirs.display_name):  # the root's is the run's name
        out.append(Difference(path, "displayName", mine.display_name, theirs.display_name))
    if mine.phase == theirs.phase and mine.phase in _FAILED:
        _message(out, path, mine.message, theirs.message, here, there)
    _outputs(out, path, mine.outputs or {}, theirs.outputs or {}, here, there)


def _message(out: list[Difference], path: str, a: str, b: str, here: _Side, there: _Side) -> None:
    if here.normal(a) != there.normal(b):
        out.append(Difference(path, "message", a, b))


def _outputs(
    out: list[Difference],
    path: str,
    a: Mapping[str, object],
    b: Mapping[str, object],
    here: _Side,
    there: _Side,
) -> None:
    params_a, params_b = _parameters(a), _parameters(b)
    for name in sorted(set(params_a) | set(params_b)):
        va, vb = params_a.get(name), params_b.get(name)
        if va is None or vb is None or here.normal(va) != there.normal(vb):
            out.append(Difference(path, f"output parameter {name!r}", _value(va), _value(vb)))
    arts_a, arts_b = _artifacts(a), _artifacts(b)
    # Argo adds a pod's archived log as an artifact (``main-logs``; ``<container>-logs`` in a container
    # set) when the artifact repository archives logs: the cluster's setting, not the workflow's doing
    arts_b = [n for n in arts_b if n in arts_a or not n.endswith(_LOG_ARTIFACT)]
    if arts_a != arts_b:
        out.append(Difference(path, "output artifacts", ", ".join(arts_a), ", ".join(arts_b)))
    for key in ("result", "exitCode"):
        ra, rb = a.get(key), b.get(key)
        if here.normal(_text(ra)) != there.normal(_text(rb)):
            out.append(Difference(path, key, _value(ra), _value(rb)))


def _parameters(outputs: Mapping[str, object]) -> dict[str, str]:
    found: dict[str, str] = {}
    params = outputs.get("parameters")
    for item in params if isinstance(params, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            found[item["name"]] = _text(item.get("value"))
    return found


def _artifacts(outputs: Mapping[str, object]) -> list[str]:
    arts = outputs.get("artifacts")
    return sorted(
        str(a["name"])
        for a in (arts if isinstance(arts, list) else [])
        if isinstance(a, Mapping) and "name" in a
    )


def _ref(ref: Mapping[str, object] | None) -> str:
    """``name/template`` (``cluster:`` for a ClusterWorkflowTemplate), or empty."""
    if not ref:
        return ""
    scope = "cluster:" if ref.get("clusterScope") else ""
    return f"{scope}{ref.get('name', '')}/{ref.get('template', '')}"


def _describe(node: Node, under: int) -> str:
    text = f"{node.type} {node.phase}".strip()
    if under:
        text += f", and {under} node{'s' if under != 1 else ''} under it"
    return text


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _value(value: object) -> str:
    """A value for a difference's line: strings JSON-quoted (one line), absent as empty."""
    if value is None:
        return ""
    return json.dumps(value if isinstance(value, str) else _text(value))


def _show(text: str) -> str:
    if not text:
        return "(none)"
    one_line = text.replace("\n", "\\n")
    return one_line if len(one_line) <= _SHOWN else one_line[: _SHOWN - 3] + "..."
