"""The run report (``wfsync run --report``): structure, escaping, folding of groups, and a real browser.

Runs are real (the local engine, host processes). The browser tests load the page in headless
chromium: no console message, and a screenshot in which the phase colours of the graph appear.
"""

from __future__ import annotations

import html.parser
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import browser
from wfsync.engine import htmlreport
from wfsync.engine import status as st
from wfsync.engine.run import RunResult

WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: report-demo
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hello
            template: say
            arguments:
              parameters: [{name: text, value: "<script>alert(1)</script> & :leg:"}]
        - - name: left
            template: say
            arguments:
              parameters: [{name: text, value: left}]
          - name: right
            template: fail
            continueOn: {failed: true}
    - name: say
      inputs:
        parameters: [{name: text}]
      script:
        image: alpine:3
        command: [sh]
        source: |
          echo "{{inputs.parameters.text}}"
    - name: fail
      script:
        image: alpine:3
        command: [sh]
        source: |
          echo '</pre><b>not bold</b>'
          exit 3
"""


class _Page(html.parser.HTMLParser):
    """Tags and ids of a page, and whether any tag loads something from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for key, value in attrs:
            if key == "id" and value:
                self.ids.add(value)
            if key == "href" and value:
                self.hrefs.append(value)
            if key in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)


def _report(run_yaml: Callable[..., RunResult]) -> tuple[RunResult, str]:
    result = run_yaml(WORKFLOW)
    return result, htmlreport.render(result.status, result.logs, result.status.notes)


def test_the_page_lists_every_node_draws_the_steps_and_escapes_the_workflow(
    run_yaml: Callable[..., RunResult],
) -> None:
    result, page = _report(run_yaml)
    assert result.status.phase == "Succeeded"  # continueOn: the failed step does not fail the run
    parsed = _Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and not parsed.external  # self-contained, no scripts
    shown, edges = htmlreport.visible_graph(result.status)
    assert {n.display_name for n in shown} == {"report-demo", "hello", "left", "right"}
    by_name = {n.display_name: n.id for n in shown}
    assert sorted(edges) == sorted(
        [
            (by_name["report-demo"], by_name["hello"]),
            (by_name["hello"], by_name["left"]),
            (by_name["hello"], by_name["right"]),
        ]
    )
    for href in parsed.hrefs:  # every node in the graph links to its row
        assert href[1:] in parsed.ids
    assert page.count("<rect") == 4 and page.count("<line") == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; :leg:" in page  # parameter and its log, escaped
    assert "&lt;/pre&gt;&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    assert "#e96d76" in page and "#18be94" in page  # Failed and Succeeded colours


def test_groups_fold_into_edges_and_huge_runs_keep_only_the_table() -> None:
    status = st.WorkflowStatus("wf", phase="Succeeded")

    def add(node_id: str, kind: str, children: list[str]) -> None:
        status.add(
            st.Node(
                id=node_id,
                name=node_id,
                display_name=node_id,
                type=kind,
                phase="Succeeded",
                children=children,
            )
        )

    add("wf", "DAG", ["g"])
    add("g", "TaskGroup", ["a", "b"])
    add("a", "Pod", ["c"])
    add("b", "Pod", ["c"])
    add("c", "Pod", [])
    shown, edges = htmlreport.visible_graph(status)
    assert [n.id for n in shown] == ["wf", "a", "b", "c"]
    assert sorted(edges) == [("a", "c"), ("b", "c"), ("wf", "a"), ("wf", "b")]
    for i in range(htmlreport.MAX_DRAWN):
        add(f"p{i}", "Pod", [])
    page = htmlreport.render(status)
    assert "too many to draw" in page and "<svg" not in page and 'id="node-wf"' in page  # the table stays


def test_the_report_loads_in_a_real_browser_and_shows_the_graph(
    run_yaml: Callable[..., RunResult], tmp_path: Path
) -> None:
    browser.chromium()
    _, page = _report(run_yaml)
    path = tmp_path / "run.html"
    path.write_text(page, encoding="utf-8")
    dom, console = browser.load(path, tmp_path)
    assert console == []
    assert "<svg" in dom and 'data-phase="Failed"' in dom
    png = browser.screenshot(path, tmp_path)
    # the node boxes' fills (only the graph uses them): three Succeeded boxes and one Failed
    assert browser.count_colour(png, htmlreport.COLOURS["Succeeded"][0], tolerance=3) > 3 * 4000
    assert browser.count_colour(png, htmlreport.COLOURS["Failed"][0], tolerance=3) > 4000


def test_run_writes_the_report_whatever_the_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import textwrap

    from typer.testing import CliRunner

    from wfsync.cli.app import app

    monkeypatch.chdir(tmp_path)
    failing = textwrap.dedent(WORKFLOW).replace("continueOn: {failed: true}", "continueOn: {}")
    (tmp_path / "wf.yaml").write_text(failing)
    result = CliRunner().invoke(app, ["run", "wf.yaml", "--report", "out/run.html"])
    assert result.exit_code == 2 and "--report out/run.html: cannot write" in result.stderr  # no such folder
    (tmp_path / "out").mkdir()
    result = CliRunner().invoke(app, ["run", "wf.yaml", "--report", "out/run.html"])
    assert result.exit_code == 1, result.stdout  # the workflow Failed: the page is still written
    page = (tmp_path / "out" / "run.html").read_text()
    assert "report-demo: Failed" in page and "&lt;/pre&gt;&lt;b&gt;not bold" in page and ">left<" in page
