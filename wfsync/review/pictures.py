"""Any workflow or template drawn: Graphviz DOT, a self-contained SVG and an HTML page (no scripts, no CDN).

The SVG lays nodes out in layers by longest path from a root (steps groups and DAG depths read
top to bottom), which is how Argo's UI reads a run too; DOT leaves layout to Graphviz.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from wfsync.model.layout import layers
from wfsync.review.graph import nodes_and_edges

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 180, 44, 30, 50, 20


def dot(title: str, template: Mapping[str, object]) -> str:
    """A Graphviz digraph of a steps or DAG template."""
    nodes, edges = nodes_and_edges(template)
    lines = [f"digraph {_quote(title)} {{", "  rankdir=TB;", '  node [shape=box, style="rounded"];']
    lines += [f"  {_quote(name)} [label={_quote(label.replace('<br/>', chr(10)))}];" for name, label in nodes]
    lines += [f"  {_quote(a)} -> {_quote(b)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)


def svg(title: str, template: Mapping[str, object]) -> str:
    """A standalone SVG of a steps or DAG template."""
    nodes, edges = nodes_and_edges(template)
    depth = layers([n for n, _ in nodes], edges)
    rows: dict[int, list[str]] = {}
    for name, _ in nodes:
        rows.setdefault(depth[name], []).append(name)
    width = PAD * 2 + max((len(r) for r in rows.values()), default=1) * (NODE_W + GAP_X)
    height = PAD * 2 + 30 + max(len(rows), 1) * (NODE_H + GAP_Y)
    where: dict[str, tuple[int, int]] = {}
    for level, row in rows.items():
        offset = (width - len(row) * (NODE_W + GAP_X) + GAP_X) // 2
        for i, name in enumerate(row):
            where[name] = (offset + i * (NODE_W + GAP_X), PAD + 30 + level * (NODE_H + GAP_Y))
    labels = dict(nodes)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8"'
        ' orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<text x="{PAD}" y="{PAD + 8}" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for a, b in edges:
        if a in where and b in where:
            (x1, y1), (x2, y2) = where[a], where[b]
            out.append(
                f'<line x1="{x1 + NODE_W // 2}" y1="{y1 + NODE_H}" x2="{x2 + NODE_W // 2}" y2="{y2}"'
                ' stroke="#555" marker-end="url(#arrow)"/>'
            )
    for name, (x, y) in where.items():
        parts = labels[name].split("<br/>")
        out.append(
            f'<g class="node"><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="8"'
            ' fill="#e8f0fe" stroke="#3b6fd4"/>'
        )
        for i, part in enumerate(parts[:2]):
            ty = y + (NODE_H // 2 + 4 if len(parts) == 1 else 17 + i * 15)
            out.append(
                f'<text x="{x + NODE_W // 2}" y="{ty}" text-anchor="middle"'
                f"{' fill=' + chr(34) + '#666' + chr(34) if i else ''}>{escape(_fit(part))}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def html(title: str, graphs: Sequence[tuple[str, Mapping[str, object]]]) -> str:
    """One self-contained page with an SVG per graph."""
    body = "\n".join(f"<section><h2>{escape(name)}</h2>\n{svg(name, t)}\n</section>" for name, t in graphs)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}section{margin-bottom:2em}</style>"
        f"</head><body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def _fit(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
