"""The review as a pull-request comment: summary first, one collapsed section per template, size-capped.

GitHub refuses a comment over 65,536 characters. The summary (verdict, counts, findings) always
comes first and is never cut; the table of templates and the per-template sections fill the
remaining budget in severity order, each section cut at a line boundary with any open code
fence and ``<details>`` closed again, and what does not fit is named with a pointer to the JSON
artifact that holds everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wfsync.review.classify import ChangeClass
from wfsync.review.graph import has_graph, mermaid, node_marks
from wfsync.review.reasons import Reason
from wfsync.review.report import Review, TemplateReview
from wfsync.secrets import mask_text

MARKER = "<!-- wfsync-review -->"
"""Hidden marker the CI workflow finds its sticky comment by."""
LIMIT = 65_536
"""GitHub's limit for a comment body, in characters."""
SECTION_LIMIT = 12_000
"""At most this much for one template, so one huge change cannot crowd out the others."""
TABLE_ROWS = 200
ICONS = {
    ChangeClass.BREAKING: "🔴",
    ChangeClass.FEATURE: "🟢",
    ChangeClass.FIX: "🔵",
    ChangeClass.COSMETIC: "⚪",
    ChangeClass.NONE: "",
}
_FENCE = re.compile(r"^(`{3,}|~{3,})")
ARTIFACT_HINT = "the `wfsync-review` JSON artifact of this run (`wfsync review -o json`)"


def render(review: Review, limit: int = LIMIT) -> str:
    """The comment body, at most ``limit`` characters."""
    head = _summary(review)
    tail = f"\n\n<sub>Full report: {ARTIFACT_HINT}.</sub>\n"
    budget = limit - len(head) - len(tail) - 400  # room for the "N more" notes
    parts: list[str] = []
    changed = review.changed
    table, _ = _table(changed, max(0, budget // 2))
    if table:
        parts.append(table)
        budget -= len(table)
    omitted = 0
    for i, item in enumerate(changed):
        section = truncate(_section(item), min(SECTION_LIMIT, max(0, budget)))
        if len(section) + 2 > budget or budget <= 0:
            omitted = len(changed) - i
            break
        parts.append(section)
        budget -= len(section) + 2
    if omitted:
        parts.append(f"🚨 {omitted} more template section(s) did not fit in a comment: see {ARTIFACT_HINT}.")
    body = head + ("\n\n" + "\n\n".join(p for p in parts if p) if parts else "") + tail
    return body if len(body) <= limit else truncate(body, limit)


def _summary(review: Review) -> str:
    counts = review.counts()
    changed = review.changed
    breaking = counts.get("breaking", 0)
    if not changed:
        verdict = "✅ no template changes"
    elif breaking:
        verdict = f"⚠️ {breaking} breaking change{'s' if breaking != 1 else ''}"
    else:
        verdict = f"✅ {len(changed)} template change{'s' if len(changed) != 1 else ''}, none breaking"
    lines = [
        MARKER,
        f"## wfsync review: {verdict}",
        "",
        f"base `{review.base}` → head `{review.head}`"
        + (f" · target `{review.target}`" if review.target else ""),
        "",
        "| " + " | ".join(f"{ICONS[ChangeClass(c)]} {c}" for c in counts) + " |",
        "|" + "---|" * len(counts),
        "| " + " | ".join(str(n) for n in counts.values()) + " |",
    ]
    findings = review.version_findings
    if findings or review.lint_errors:
        lines += [
            "",
            f"**{review.findings} finding{'s' if review.findings != 1 else ''}** (the check fails):",
        ]
        for item in findings[:20]:
            lines.append(f"- `{_code(item.name)}`: {_text(item.version_finding)}")
        if len(findings) > 20:
            lines.append(f"- ... and {len(findings) - 20} more version findings")
        errors = [f for f in review.lint if f.severity.value == "error"]
        for f in errors[:10]:
            lines.append(f"- lint `{f.rule}` {_code(str(f.path))}:{f.line}: {_text(f.message)}")
        if len(errors) > 10:
            lines.append(f"- ... and {len(errors) - 10} more lint errors")
    if review.drift:
        shown = ", ".join(f"`{_code(d)}`" for d in review.drift[:10])
        lines += ["", f"⚠️ drift in the target (edited outside git): {shown}"]
    return "\n".join(lines)


def _table(changed: list[TemplateReview], budget: int) -> tuple[str, int]:
    if not changed:
        return "", 0
    rows = ["| template | class | version | status | callers |", "|---|---|---|---|---|"]
    size = sum(len(r) + 1 for r in rows)
    shown = 0
    for item in changed[:TABLE_ROWS]:
        pair = item.classified.pair
        old = pair.base.version if pair.base else ""
        new = pair.head.version if pair.head else ""
        version = f"{old or '–'} → {new or '–'}" + (" ⚠️" if item.version_finding else "")
        row = (
            f"| `{_code(item.name)}` | {ICONS[item.change_class]} {item.change_class.value} | {version} "
            f"| {item.status} | {len(item.callers)} |"
        )
        if size + len(row) + 1 > budget:
            break
        rows.append(row)
        size += len(row) + 1
        shown += 1
    if shown < len(changed):
        rows.append(f"\n… {len(changed) - shown} more in {ARTIFACT_HINT}.")
    return "\n".join(rows), shown


def _section(item: TemplateReview) -> str:
    c = item.classified
    title = f"{ICONS[item.change_class]} <b>{_html(item.name)}</b> — {item.change_class.value}, {item.status}"
    lines = [f"<details><summary>{title} ({_html(item.where)})</summary>", ""]
    if item.version_finding:
        lines.append(f"> ⚠️ {_text(item.version_finding)}")
        lines.append("")
    for topic, reasons in _by_topic(c.reasons):
        lines.append(f"**{topic}**")
        for r in reasons:
            lines.append(f"- {ICONS[r.change_class]} {r.change_class.value}: {_text(r.message)}")
            lines.extend(f"  - called at `{_code(where)}`" for where in r.callers[:5])
        lines.append("")
    if item.callers:
        lines.append(f"**callers** ({len(item.callers)})")
        for caller in item.callers[:15]:
            what = f" → `{_code(caller.template)}`" if caller.template else ""
            lines.append(
                f"- {caller.origin}: `{_code(caller.where)}` ({caller.kind} {_code(caller.name)}){what}"
            )
        if len(item.callers) > 15:
            lines.append(f"- ... {len(item.callers) - 15} more")
        lines.append("")
    lines.extend(_graphs(item))
    scripts = [f for f in c.fields if f.path.endswith(".source") and f.change == "changed"]
    others = [f for f in c.fields if f not in scripts]
    if others:
        lines.append("**field changes**")
        lines.extend(fenced("diff", [_field_line(f.path, f.change, f.before, f.after) for f in others]))
        lines.append("")
    for f in scripts:
        import difflib

        diff = list(
            difflib.unified_diff(
                str(f.before).splitlines(), str(f.after).splitlines(), "base", "head", lineterm=""
            )
        )
        lines.append(f"**{_html(f.path)}**")
        lines.extend(fenced("diff", diff[2:]))
        lines.append("")
    lines.append("</details>")
    return "\n".join(lines)


def _graphs(item: TemplateReview) -> list[str]:
    """A Mermaid graph per changed steps/DAG member of the head."""
    head = item.classified.pair.head
    if head is None:
        return []
    paths = [f.path for f in item.classified.fields]
    out: list[str] = []
    for name in sorted(item.classified.changed_members):
        member = head.members().get(name)
        if member is None or not has_graph(member):
            continue
        base = item.classified.pair.base
        before = base.members().get(name) if base else None
        old_nodes = _node_names(before) if before else set()
        added = [n for n in _node_names(member) if before is not None and n not in old_nodes]
        marks = node_marks(name, member, paths, added)
        out.append(f"**{_html(name)}** (changed steps highlighted)")
        out.extend(fenced("mermaid", mermaid(member, marks).splitlines()))
        out.append("")
    return out


def _node_names(template: dict[str, object]) -> set[str]:
    from wfsync.review.graph import nodes_and_edges

    return {n for n, _ in nodes_and_edges(template)[0]}


def _by_topic(reasons: Iterable[Reason]) -> list[tuple[str, list[Reason]]]:
    order = ["interface", "security", "image", "resources", "script", "behaviour", "docs"]
    groups: dict[str, list[Reason]] = {}
    for r in reasons:
        groups.setdefault(r.topic, []).append(r)
    return sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def fenced(info: str, lines: list[str]) -> list[str]:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *lines, fence]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a line boundary, open fences and details closed."""
    if len(text) <= limit:
        return text
    note = "🚨 cut here: too long for a comment"
    out: list[str] = []
    size = 0
    fence: str | None = None
    details = 0
    for line in text.split("\n"):
        closing = _closers(fence, details, note)
        if size + len(line) + 1 + len(closing) > limit:
            out.append(closing)
            return "\n".join(out)[:limit]
        out.append(line)
        size += len(line) + 1
        m = _FENCE.match(line.strip())
        if m:
            if fence is None:
                fence = m[1]
            elif line.strip() == fence[0] * len(line.strip()) and len(line.strip()) >= len(fence):
                fence = None
        elif fence is None:
            details += line.count("<details") - line.count("</details>")
    return "\n".join(out)


def _closers(fence: str | None, details: int, note: str) -> str:
    parts = []
    if fence:
        parts.append(fence)
    parts.append(note)
    parts.extend(["</details>"] * max(0, details))
    return "\n".join(parts)


def _field_line(path: str, change: str, before: object, after: object) -> str:
    symbol = {"added": "+", "removed": "-", "changed": "!"}.get(change, "~")
    if change == "added":
        return f"{symbol} {path}: {_short(after)}"
    if change == "removed":
        return f"{symbol} {path}: {_short(before)}"
    return f"{symbol} {path}: {_short(before)} -> {_short(after)}"


def _short(value: object, limit: int = 160) -> str:
    text = mask_text(str(value)).replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(text: str) -> str:
    return _html(mask_text(text))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return text.replace("`", "'").replace("|", "\\|")
