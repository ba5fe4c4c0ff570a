"""``wfsync graph``: Mermaid, DOT, SVG and HTML of steps and DAG templates, for files and library names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import corpus_root
from tests.review.helpers import make_repo, wfsync
from wfsync.commands.review import run_graph
from wfsync.errors import InputError, UsageError
from wfsync.review.pictures import layers, svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def test_library_name_in_every_format(repo: Path) -> None:
    code, out, _ = wfsync("graph", "ci")
    assert code == 0
    assert out.startswith("%% WorkflowTemplate/ci run\nflowchart TD") and "n0 --> n1" in out
    code, out, _ = wfsync("graph", "library/ci.yaml", "-o", "dot")
    assert code == 0 and '"build" -> "lint";' in out
    code, out, _ = wfsync("graph", "ci", "-o", "svg")
    root = ET.fromstring(out)
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f".//{SVG}rect")) == 2 and len(root.findall(f".//{SVG}line")) == 1
    code, out, _ = wfsync("graph", "ci", "-o", "html")
    assert out.startswith("<!doctype html>") and "<svg" in out and "<script" not in out


def test_errors_are_usage_errors(repo: Path) -> None:
    assert wfsync("graph", "nope")[0] == 2
    code, _, err = wfsync("graph", "build")  # no steps or DAG in it
    assert code == 2 and "no steps or DAG template" in err
    assert wfsync("graph", "ci", "-o", "png")[0] == 2
    assert wfsync("graph", "ci", "--template", "other")[0] == 2


def test_layers_follow_longest_paths_and_survive_cycles() -> None:
    assert layers(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]) == {
        "a": 0,
        "b": 1,
        "c": 2,
        "d": 3,
    }
    assert set(layers(["a", "b"], [("a", "b"), ("b", "a")])) == {"a", "b"}


def test_every_argo_example_graph_is_valid_svg() -> None:
    examples = corpus_root() / "argo" / "examples"
    if not examples.is_dir():
        pytest.skip(f"{examples} is absent")
    drawn = 0
    for path in sorted(examples.glob("*.yaml")):
        try:
            graphs = run_graph(examples, str(path))
        except (UsageError, InputError):  # no graph in it, or a file lint rejects too
            continue
        for title, template in graphs:
            root = ET.fromstring(svg(title, template))
            assert len(root.findall(f".//{SVG}rect")) >= 1, path
            drawn += 1
    print(f"\ngraph: {drawn} steps/DAG templates of Argo's examples drawn as SVG")
    assert drawn > 20


def test_svg_and_html_render_in_a_real_browser(repo: Path, tmp_path: Path) -> None:
    from tests.support import browser

    browser.chromium()
    for fmt in ("svg", "html"):
        code, out, _ = wfsync("graph", "ci", "-o", fmt)
        assert code == 0
        page = tmp_path / f"ci.{fmt}"
        page.write_text(out, encoding="utf-8")
        dom, console = browser.load(page, tmp_path)
        assert console == [] and "<svg" in dom and "<rect" in dom
        png = browser.screenshot(page, tmp_path, 800, 600)
        assert browser.count_colour(png, "#e8f0fe", tolerance=3) > 2 * 4000  # the two node boxes' fill
