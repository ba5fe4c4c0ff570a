"""Steps and DAG templates as Mermaid graphs, changed nodes highlighted (GitHub renders Mermaid).

Steps: each step of a group follows every step of the group before it (a group runs in
parallel). DAG: an edge per ``dependencies`` entry or task named in ``depends``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

_DEPENDS_NAME = re.compile(r"[A-Za-z0-9_][-A-Za-z0-9_]*(?=\.|\s|\)|$|&|\|)")
_OPERATORS = frozenset(
    {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"}
)
STYLES = {
    "changed": "fill:#fff3b0,stroke:#d4a000,stroke-width:2px",
    "added": "fill:#d7f5d7,stroke:#2e9e2e,stroke-width:2px",
}


def has_graph(template: Mapping[str, object]) -> bool:
    """Whether a member template is a steps or DAG template."""
    return isinstance(template.get("steps"), list) or isinstance(template.get("dag"), dict)


def nodes_and_edges(template: Mapping[str, object]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(name, label)`` per node and ``(from, to)`` per edge of a steps or DAG template."""
    nodes: list[tuple[str, str]] = []
    edges: list[tuple[str, str]] = []
    if isinstance(steps := template.get("steps"), list):
        previous: list[str] = []
        for group in steps:
            current = []
            for step in group if isinstance(group, list) else []:
                if isinstance(step, dict) and isinstance(step.get("name"), str):
                    nodes.append((step["name"], _label(step)))
                    current.append(step["name"])
                    edges.extend((p, step["name"]) for p in previous)
            previous = current or previous
        return nodes, edges
    dag = template.get("dag")
    tasks = dag.get("tasks") if isinstance(dag, dict) else None
    names = {t.get("name") for t in tasks or () if isinstance(t, dict)}
    for task in tasks or ():
        if not isinstance(task, dict) or not isinstance(task.get("name"), str):
            continue
        nodes.append((task["name"], _label(task)))
        deps = [d for d in task.get("dependencies") or () if isinstance(d, str)]
        depends = task.get("depends")
        if isinstance(depends, str):
            deps += [m for m in _DEPENDS_NAME.findall(depends) if m in names and m not in _OPERATORS]
        edges.extend((dep, task["name"]) for dep in dict.fromkeys(deps))
    return nodes, edges


def mermaid(
    template: Mapping[str, object], marks: Mapping[str, str] | None = None, direction: str = "TD"
) -> str:
    """A Mermaid flowchart of a steps or DAG template; ``marks`` maps node names to ``changed``/``added``."""
    marks = marks or {}
    nodes, edges = nodes_and_edges(template)
    ids = {name: f"n{i}" for i, (name, _) in enumerate(nodes)}
    lines = [f"flowchart {direction}"]
    for name, label in nodes:
        lines.append(f'  {ids[name]}["{_escape(label)}"]')
    for a, b in edges:
        if a in ids and b in ids:
            lines.append(f"  {ids[a]} --> {ids[b]}")
    used: set[str] = set()
    for name, mark in marks.items():
        if name in ids and mark in STYLES:
            lines.append(f"  class {ids[name]} {mark}")
            used.add(mark)
    lines.extend(f"  classDef {mark} {STYLES[mark]}" for mark in sorted(used))
    return "\n".join(lines)


def node_marks(
    template_name: str, template: Mapping[str, object], paths: Collection[str], added: Collection[str] = ()
) -> dict[str, str]:
    """Which nodes of member ``template_name`` a set of changed field paths touches."""
    nodes, _ = nodes_and_edges(template)
    prefix = f"spec.templates[{template_name}]."
    marks: dict[str, str] = {}
    for name, _label_text in nodes:
        if name in added:
            marks[name] = "added"
            continue
        token = f"[{name}]"
        if any(p.startswith(prefix) and token in p[len(prefix) :] for p in paths):
            marks[name] = "changed"
    return marks


def _label(item: Mapping[str, object]) -> str:
    ref = item.get("templateRef")
    if isinstance(ref, dict):
        return f"{item['name']}<br/>{ref.get('name')}/{ref.get('template')}"
    target = item.get("template")
    if isinstance(target, str) and target != item["name"]:
        return f"{item['name']}<br/>{target}"
    return str(item["name"])


def _escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("[", "#91;").replace("]", "#93;")
