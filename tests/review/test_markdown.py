"""The PR comment: summary first and intact, under GitHub's 65,536 characters, fences and details balanced."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.review.helpers import change_all, git, make_repo, many_templates, wfsync
from wfsync.review.graph import mermaid, nodes_and_edges
from wfsync.review.markdown import LIMIT, MARKER, fenced, truncate


def balanced(text: str) -> None:
    """Every fence opened is closed, and every <details> too."""
    fence: str | None = None
    for line in text.split("\n"):
        m = re.match(r"^(`{3,})", line.strip())
        if m:
            if fence is None:
                fence = m[1]
            elif line.strip() == "`" * len(line.strip()) and len(line.strip()) >= len(fence):
                fence = None
    assert fence is None, "a code fence is left open"
    assert text.count("<details>") == text.count("</details>")


def test_500_changed_templates_fit_in_one_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "repo", files={"README.md": "x\n"})
    many_templates(root / "library", 500)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "500 templates")
    git(root, "tag", "-f", "base")
    change_all(root / "library", 500)
    monkeypatch.chdir(root)
    code, out, err = wfsync("review", "-o", "markdown", "--no-cache")
    assert code == 1, err
    print(f"\nmarkdown for 500 changed templates: {len(out)} characters (limit {LIMIT})")
    assert len(out) <= LIMIT
    assert out.startswith(MARKER)
    assert "| 100 | 100 | 200 | 100 |" in out  # counts by class: breaking, feature, fix, cosmetic
    assert "**400 findings**" in out  # every change but the cosmetic one lacks its bump
    assert "more template section(s) did not fit" in out and "JSON artifact" in out
    balanced(out)


def test_truncate_closes_open_fences_and_details() -> None:
    body = "\n".join(
        [
            "<details><summary>x</summary>",
            "",
            *fenced("diff", [f"+ line {i} ```" for i in range(2000)]),
            "</details>",
        ]
    )
    cut = truncate(body, 5000)
    assert len(cut) <= 5000
    assert "cut here" in cut
    balanced(cut)
    assert truncate("short", 100) == "short"


def test_fences_outgrow_backticks_in_content() -> None:
    block = fenced("diff", ["a ```` b"])
    assert block[0] == "`````diff" and block[-1] == "`````"


def test_mermaid_of_steps_and_dag() -> None:
    steps = {"steps": [[{"name": "a", "template": "x"}], [{"name": "b"}, {"name": "c"}], [{"name": "d"}]]}
    _, edges = nodes_and_edges(steps)
    assert edges == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    dag = {
        "dag": {
            "tasks": [
                {"name": "a"},
                {"name": "b", "dependencies": ["a"]},
                {"name": "c", "depends": "(a.Succeeded || b.Failed) && !a.Skipped"},
            ]
        }
    }
    _, edges = nodes_and_edges(dag)
    assert edges == [("a", "b"), ("a", "c"), ("b", "c")]
    text = mermaid(dag, {"c": "changed", 'b"]': "added"})
    assert text.startswith("flowchart TD") and "class n2 changed" in text and "classDef changed" in text
    assert 'n0["a"]' in text
