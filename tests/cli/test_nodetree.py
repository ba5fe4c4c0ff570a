"""The ``argo get``-like tree of ``wfsync run``/``submit``: layout goldens, hostile strings, CI lines, scale.

Statuses are built node by node in the shapes the controller writes (step groups, retries, task
groups, exit handlers, hooks), with a pinned clock and time zone so the goldens are stable.
Goldens live in ``tests/golden/nodetree/``; ``WFSYNC_REGENERATE=1`` rewrites them (never in CI).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from wfsync.cli import nodetree
from wfsync.cli.app import app
from wfsync.cli.terminal import Terminal
from wfsync.engine import report
from wfsync.engine import status as st

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "nodetree"
T0 = 1_764_590_400.0  # Mon Dec 01 12:00:00 2025 UTC
NOW = T0 + 125
UTC = dt.UTC


class Tree:
    """A status built the way the controller links nodes: IDs from names, display names from boundaries."""

    def __init__(self, name: str, phase: str = st.SUCCEEDED, root_type: str = "Steps", **root: Any) -> None:
        self.status = st.WorkflowStatus(
            name, phase=phase, started=T0, finished=T0 + 62 if phase != "Running" else 0
        )
        self.root = self.add(name, root_type, phase, end=62 if phase != "Running" else None, **root)

    def add(
        self,
        name: str,
        type_: str,
        phase: str = st.SUCCEEDED,
        *,
        parent: st.Node | None = None,
        boundary: st.Node | None = None,
        template: str = "",
        start: float = 0,
        end: float | None = 1,
        message: str = "",
        ref: dict[str, str] | None = None,
        display: str | None = None,
        hooked: bool = False,
    ) -> st.Node:
        node = st.Node(
            id=st.node_id(self.status.name, name),
            name=name,
            display_name=display
            if display is not None
            else st.display_name(name, boundary.name if boundary else None),
            type=type_,
            phase=phase,
            boundary_id=boundary.id if boundary else "",
            template_name=template,
            template_ref=ref,
            message=message,
            started=T0 + start,
            finished=T0 + end if end is not None else 0.0,
            hooked=hooked,
        )
        self.status.add(node)
        if parent is not None:
            parent.children.append(node.id)
        return node


def capture(*, color: bool = False, quiet: bool = False) -> tuple[Terminal, io.StringIO, io.StringIO]:
    """A Terminal whose consoles write to strings (a colour 'terminal' when ``color``)."""
    term = Terminal(color=color, quiet=quiet)
    out, err = io.StringIO(), io.StringIO()
    options: dict[str, Any] = {"soft_wrap": True, "emoji": False, "highlight": False, "width": 200}
    if color:
        options.update(force_terminal=True, color_system="standard")
    else:
        options.update(color_system=None)
    term.out = Console(file=out, **options)
    term.err = Console(file=err, **options)
    return term, out, err


def render(tree: Tree, workflow: dict[str, Any] | None = None, **kwargs: Any) -> str:
    term, out, _ = capture()
    nodetree.text(
        term, tree.status, kwargs.pop("substitutions", None), workflow=workflow, now=NOW, tz=UTC, **kwargs
    )
    return out.getvalue()


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("WFSYNC_REGENERATE") == "1" and os.environ.get("CI") != "true":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with WFSYNC_REGENERATE=1 to write it"
    assert text == path.read_text(encoding="utf-8")


# --- shapes ------------------------------------------------------------------------------------


def steps_tree() -> Tree:
    """Argo's steps example: one step, then two in parallel; a step-level exit handler."""
    t = Tree("steps-x7k2p", template="hello-hello-hello")
    g0 = t.add("steps-x7k2p[0]", "StepGroup", parent=t.root, boundary=t.root, template="hello-hello-hello")
    h1 = t.add("steps-x7k2p[0].hello1", "Pod", parent=g0, boundary=t.root, template="print-message", end=5)
    t.add(
        "steps-x7k2p[0].hello1.onExit",
        "Pod",
        parent=h1,
        boundary=t.root,
        template="exit",
        start=6,
        end=8,
        hooked=True,
    )
    g1 = t.add(
        "steps-x7k2p[1]", "StepGroup", parent=h1, boundary=t.root, template="hello-hello-hello", start=5
    )
    t.status.outputs = {
        "parameters": [{"name": "answer", "value": "42"}, {"name": "unset"}],
        "artifacts": [
            {"name": "report", "s3": {"bucket": "b", "key": "k/r.tgz"}},
            {"name": "local", "path": "/x"},
        ],
    }
    for name, end in (("hello2a", 30), ("hello2b", 61), ("hello2c", 12)):
        t.add(
            f"steps-x7k2p[1].{name}",
            "Pod",
            parent=g1,
            boundary=t.root,
            template="print-message",
            start=5,
            end=end,
        )
    return t


def dag_tree() -> Tree:
    """A DAG with a retried task, a folded single attempt, a loop (TaskGroup), a skip and an omitted task."""
    t = Tree("dag-q4w", st.FAILED, "DAG", template="diamond")
    t.status.message = t.root.message = "child 'dag-q4w-1' failed"
    t.add("dag-q4w.A", "Pod", boundary=t.root, template="echo", end=3)
    b = t.add("dag-q4w.B", "Retry", st.SUCCEEDED, boundary=t.root, template="flaky", start=3, end=20)
    t.add("dag-q4w.B(0)", "Pod", st.FAILED, parent=b, boundary=t.root, template="flaky", start=3, end=9,
          message="main: Error (exit code 1)")  # fmt: skip
    t.add("dag-q4w.B(1)", "Pod", parent=b, boundary=t.root, template="flaky", start=10, end=20)
    c = t.add("dag-q4w.C", "Retry", st.FAILED, boundary=t.root, template="flaky", start=3, end=200,
              message="OOMKilled (exit code 137)")  # fmt: skip
    t.add("dag-q4w.C(0)", "Pod", st.FAILED, parent=c, boundary=t.root, template="flaky", start=3, end=200,
          message="OOMKilled (exit code 137)")  # fmt: skip
    loop = t.add("dag-q4w.D", "TaskGroup", boundary=t.root, template="echo", start=21, end=40)
    for index, item in ((10, "k"), (2, "c"), (0, "a"), (1, "b")):  # same start: by index, not by name
        t.add(
            f"dag-q4w.D({index}:{item})",
            "Pod",
            parent=loop,
            boundary=t.root,
            template="echo",
            start=21,
            end=40,
        )
    t.add("dag-q4w.E", "Skipped", st.OMITTED, boundary=t.root, template="echo", start=41, end=41,
          message="omitted: depends condition not met")  # fmt: skip
    t.add("dag-q4w.F", "Skipped", st.SKIPPED, boundary=t.root, template="echo", start=41, end=41,
          message="when 'false' evaluated false")  # fmt: skip
    return t


def exit_tree() -> Tree:
    """A one-pod workflow that fails, and its exit handler (steps), after a blank line."""
    t = Tree("exit-h", st.FAILED, "Pod", template="intentional-fail", message="main: Error (exit code 1)")
    t.status.message = "main: Error (exit code 1)"
    handler = t.add("exit-h.onExit", "Steps", template="exit-handler", start=63, end=70)
    g0 = t.add(
        "exit-h.onExit[0]", "StepGroup", parent=handler, boundary=handler, template="exit-handler", start=63
    )
    t.add(
        "exit-h.onExit[0].notify", "Pod", parent=g0, boundary=handler, template="send-email", start=63, end=65
    )
    t.add("exit-h.onExit[0].celebrate", "Skipped", st.SKIPPED, parent=g0, boundary=handler, start=63, end=63,
          message="when 'Failed == Succeeded' evaluated false")  # fmt: skip
    t.add("exit-h.onExit[0].cry", "Pod", parent=g0, boundary=handler, template="cry", start=63, end=70)
    return t


def running_tree() -> Tree:
    """A running workflow: a nested DAG through a templateRef, a waiting Suspend, a pending pod."""
    t = Tree("ci-8fz", st.RUNNING, template="main")
    g0 = t.add(
        "ci-8fz[0]", "StepGroup", st.RUNNING, parent=t.root, boundary=t.root, template="main", end=None
    )
    build = t.add("ci-8fz[0].build", "DAG", st.RUNNING, parent=g0, boundary=t.root, end=None,
                  ref={"name": "toolchain", "template": "build"})  # fmt: skip
    t.add("ci-8fz[0].build.compile", "Pod", st.RUNNING, boundary=build, start=2, end=None,
          ref={"name": "toolchain", "template": "compile"}, message="python:3.9 ran as host Python 3.11.7")  # fmt: skip
    t.add("ci-8fz[0].build.lint", "Pod", st.PENDING, boundary=build, start=3, end=None, template="lint")
    t.add(
        "ci-8fz[0].approve", "Suspend", st.RUNNING, parent=g0, boundary=t.root, template="approve", end=None
    )
    return t


WORKFLOW = {
    "metadata": {"name": "steps-x7k2p", "namespace": "ci", "creationTimestamp": "2025-12-01T11:59:58Z"},
    "spec": {
        "arguments": {
            "parameters": [
                {"name": "message", "value": "hello"},
                {"name": "unset"},
                {"name": "n", "value": 3},
            ]
        }
    },
    "status": {
        "conditions": [{"type": "PodRunning", "status": "False"}, {"type": "Completed", "status": "True"}]
    },
}


@pytest.mark.parametrize(
    ("name", "build", "workflow"),
    [
        ("steps", steps_tree, WORKFLOW),
        ("dag", dag_tree, None),
        (
            "exit-handler",
            exit_tree,
            {"spec": {"serviceAccountName": "runner", "workflowTemplateRef": {"name": "x"}}},
        ),
        (
            "running",
            running_tree,
            {"metadata": {"namespace": "default"}, "spec": {"workflowTemplateRef": {"name": "ci"}}},
        ),
    ],
)
def test_golden(name: str, build: Any, workflow: dict[str, Any] | None) -> None:
    """``golden/nodetree/<name>.txt``: header and table as ``argo get`` prints them."""
    subs = {"python:3.9": "host python"} if name == "running" else None
    check_golden(name, render(build(), workflow, substitutions=subs))


def test_parallel_steps_fold_into_argo_s_group_drawing() -> None:
    lines = nodetree.tree_lines(steps_tree().status, now=NOW)
    assert lines[0].split() == ["STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE"]
    firsts = [line.split("  ")[0] for line in lines[1:]]
    assert firsts == [
        " ✔ steps-x7k2p",
        " ├───✔ hello1",
        " ├─┬─✔ hello2a",
        " │ ├─✔ hello2b",
        " │ └─✔ hello2c",
        " └─✔ hello1.onExit",  # a step's exit handler is drawn in its boundary, by start time
    ]


def test_pod_names_are_argo_s_v2_names_and_durations_are_short() -> None:
    t = steps_tree()
    line = next(x for x in nodetree.tree_lines(t.status, now=NOW) if "hello2b" in x)
    pod = st.pod_name("steps-x7k2p", "steps-x7k2p[1].hello2b", "print-message")
    assert pod == f"steps-x7k2p-print-message-{st.fnv1a32('steps-x7k2p[1].hello2b')}"
    assert re.split(r"\s{2,}", line.strip())[1:4] == ["print-message", pod, "56s"]
    running = running_tree()
    compile_line = next(x for x in nodetree.tree_lines(running.status, now=NOW) if "compile" in x)
    # a templateRef: TEMPLATE is name/template, the pod name uses the template alone; running: to now
    assert "toolchain/compile" in compile_line
    assert st.pod_name("ci-8fz", "ci-8fz[0].build.compile", "compile") in compile_line
    assert " 2m " in compile_line


def test_loop_items_started_together_are_in_index_order_and_hidden_nodes_leave_no_open_branch() -> None:
    lines = nodetree.tree_lines(dag_tree().status, now=NOW)
    names = [re.split(r"[✔✖○] ", line)[1].split()[0] for line in lines[1:]]
    assert names == [
        "dag-q4w",
        "A",
        "B",
        "B(0)",
        "B(1)",
        "C(0)",
        "D(0:a)",
        "D(1:b)",
        "D(2:c)",
        "D(10:k)",
        "F",
    ]
    assert lines[-1].startswith(" └─○ F")  # E (Omitted) is hidden and F closes the tree
    assert "TaskGroup" not in "\n".join(lines)
    assert any(line.startswith(" ├─✖ C(0)") for line in lines)  # a Retry of one attempt is folded


def test_no_table_before_the_root_node_exists() -> None:
    status = st.WorkflowStatus("early", phase=st.PENDING)
    assert nodetree.tree_lines(status) == []
    term, buffer, _ = capture()
    nodetree.text(term, status, now=NOW, tz=UTC)
    assert (
        buffer.getvalue()
        == "Name:                early\nStatus:              Pending\nProgress:            0/0\n"
    )


def test_quiet_prints_only_failed_nodes_literally() -> None:
    t = dag_tree()
    t.status.nodes[st.node_id("dag-q4w", "dag-q4w.B(0)")].message = "boom\x1b[2J[red]x[/red]"
    term, out, _ = capture(quiet=True)
    nodetree.text(term, t.status)
    assert out.getvalue().splitlines() == [
        "dag-q4w: Failed: child 'dag-q4w-1' failed",
        "dag-q4w.B(0): Failed: boom\\x1b[2J[red]x[/red]",
        "dag-q4w.C: Failed: OOMKilled (exit code 137)",
        "dag-q4w.C(0): Failed: OOMKilled (exit code 137)",
    ]


# --- hostile strings ---------------------------------------------------------------------------

HOSTILE = ":leg: [bold]x[/] \x1b[31mred\x1b[0m \x1b]0;pwned\x07 tab\there\nnewline \u202eevil"


def hostile_tree() -> Tree:
    t = Tree("wf-h", template="[link=http://x]main[/link]")
    g0 = t.add("wf-h[0]", "StepGroup", parent=t.root, boundary=t.root)
    t.add("wf-h[0].leg", "Pod", st.FAILED, parent=g0, boundary=t.root, template=":rocket:", message=HOSTILE,
          display=HOSTILE)  # fmt: skip
    t.status.message = HOSTILE
    t.status.note(f"note {HOSTILE}")
    return t


@pytest.mark.parametrize("color", [False, True])
def test_workflow_strings_are_printed_literally(color: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)  # rich honours it even on a forced terminal
    term, out, _ = capture(color=color)
    workflow = {"spec": {"arguments": {"parameters": [{"name": "[i]p:smile:", "value": HOSTILE}]}}}
    nodetree.text(term, hostile_tree().status, {":x:": "[b]y"}, workflow=workflow, now=NOW, tz=UTC)
    shown = out.getvalue()
    escaped = ":leg: [bold]x[/] \\x1b[31mred\\x1b[0m \\x1b]0;pwned\\x07 tab\\there\\nnewline \\u202eevil"
    assert shown.count(escaped) == 5  # status message, note, parameter, node name and message
    assert f"{escaped}  " in shown or shown.rstrip().endswith(escaped)
    for literal in ("[link=http://x]main[/link]", ":rocket:", "[i]p:smile:", ":x: -> [b]y"):
        assert literal in shown
    assert "🦵" not in shown and "🚀" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "\t" not in shown
    # the only escape sequences are the renderer's own colours (SGR), none from the workflow
    sequences = {
        shown[i : shown.index("m", i) + 1] for i in range(len(shown)) if shown.startswith("\x1b[", i)
    }
    assert all(s[2:-1].replace(";", "").isdigit() or s == "\x1b[m" for s in sequences)
    assert ("\x1b[31m" in shown) == color  # Failed is red on a colour terminal only
    rows = [line for line in shown.splitlines() if "wf-h-" in line]
    assert len(rows) == 1, "a message with a newline stays on its row"


def test_literal_escapes_controls_and_leaves_text_alone() -> None:
    assert nodetree.literal("plain ✔ 名前 :leg:") == "plain ✔ 名前 :leg:"
    assert nodetree.literal("a\x00b\x7fc\x9bd\u2028e") == "a\\x00b\\x7fc\\x9bd\\u2028e"
    assert nodetree.literal(3) == "3"


def test_wide_characters_keep_the_columns_aligned() -> None:
    t = Tree("wide")
    g0 = t.add("wide[0]", "StepGroup", parent=t.root, boundary=t.root)
    t.add("wide[0].名前", "Pod", parent=g0, boundary=t.root, template="t")
    t.add("wide[0].ab", "Pod", parent=g0, boundary=t.root, template="t", start=1)
    from rich.cells import cell_len

    lines = nodetree.tree_lines(t.status, now=NOW)
    columns = {cell_len(line[: line.index(" t ") + 1]) for line in lines[2:]}
    assert len(columns) == 1


# --- the pure parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "short", "long"),
    [
        (0.4, "0s", "0 seconds"),
        (1.5, "1s", "1 second"),
        (59.9, "59s", "59 seconds"),
        (60, "1m", "1 minute 0 seconds"),
        (119, "1m", "1 minute 59 seconds"),
        (125, "2m", "2 minutes 5 seconds"),
        (3599, "59m", "59 minutes 59 seconds"),
        (3600, "1h", "1 hour 0 minutes"),
        (7300, "2h", "2 hours 1 minutes"),
        (86400, "1d", "1 day 0 hours"),
        (3 * 86400 + 7200, "3d", "3 days 2 hours"),
        (30 * 86400, "30d", "1 month 0 hours"),
    ],
)
def test_durations_as_argo_s_humanize(seconds: float, short: str, long: str) -> None:
    assert report.short_duration(seconds) == short
    assert report.long_duration(seconds) == long


def test_timestamps_as_argo_s_humanize() -> None:
    assert report.timestamp(T0, T0, UTC) == "Mon Dec 01 12:00:00 +0000 (now)"
    assert report.timestamp(T0, T0 + 90, UTC) == "Mon Dec 01 12:00:00 +0000 (1 minute ago)"
    assert report.timestamp(T0, T0 - 7200, UTC) == "Mon Dec 01 12:00:00 +0000 (2 hours from now)"
    pacific = dt.timezone(dt.timedelta(hours=-8))
    assert report.timestamp(T0, T0 + 3 * 86400, pacific) == "Mon Dec 01 04:00:00 -0800 (3 days ago)"


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("sleep(8:eight)", 8),
        ('x(12:{"a":1})', 12),
        ("x(+3:a)", 3),
        ("hello", -1),
        ("x(a:1)", -1),
        ("x:1(2", -1),
    ],
)
def test_loop_index_as_argo_recovers_it(name: str, index: int) -> None:
    assert report.loop_index(name) == index


def test_header_without_the_workflow_object_uses_the_status() -> None:
    values = dict(report.header(steps_tree().status, None, NOW, UTC))
    assert "Namespace:" not in values and "ServiceAccount:" not in values
    assert values["Created:"] == values["Started:"] == "Mon Dec 01 12:00:00 +0000 (2 minutes ago)"
    assert values["Duration:"] == "1 minute 2 seconds"
    assert values["Progress:"] == "5/5"
    running = dict(report.header(running_tree().status, {"spec": {}}, NOW, UTC))
    assert running["Status:"] == "Running (Suspended)"
    assert running["ServiceAccount:"] == "unset (will run with the default ServiceAccount)"
    assert "Finished:" not in running and running["Duration:"] == "2 minutes 5 seconds"


# --- the live views ----------------------------------------------------------------------------


def test_live_view_is_a_tree_on_a_colour_terminal_lines_elsewhere_none_when_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    term, out, _ = capture(color=True)
    live = nodetree.live_view(term)
    assert isinstance(live, nodetree.LiveTree)
    live.update(running_tree().status)
    live._next = 0.0  # the next frame is due now
    live.update(hostile_tree().status)
    live.stop()
    shown = out.getvalue()
    assert live.frames == 2 and "compile" in shown
    assert "\\x1b]0;pwned" in shown and "\x1b]0;pwned" not in shown and "\x07" not in shown
    plain, _, _ = capture()
    lines = nodetree.live_view(plain)
    assert isinstance(lines, nodetree.NodeLines)
    lines.stop()
    quiet, _, _ = capture(quiet=True)
    assert nodetree.live_view(quiet) is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def growing_run() -> tuple[Tree, list[st.Node]]:
    """Steps whose pods are added Running and then finish one by one."""
    t = Tree("ci-log", st.RUNNING, template="main")
    t.root.phase = st.RUNNING
    t.root.finished = 0.0
    g0 = t.add("ci-log[0]", "StepGroup", st.RUNNING, parent=t.root, boundary=t.root, end=None)
    pods = [
        t.add(
            f"ci-log[0].p{i}", "Pod", st.RUNNING, parent=g0, boundary=t.root, template="t", start=i, end=None
        )
        for i in range(3)
    ]
    return t, pods


def finish(node: st.Node, phase: str, at: float, message: str = "") -> None:
    node.phase, node.finished, node.message = phase, T0 + at, message


def test_a_short_run_prints_no_node_line() -> None:
    clock, written = Clock(), []
    printer = nodetree.NodeLines(Terminal(), delay=2.0, clock=clock, write=written.append)
    t, pods = growing_run()
    printer.update(t.status)
    for pod in pods:
        finish(pod, st.SUCCEEDED, 1)
        clock.now += 0.5
        printer.update(t.status)
    printer.stop()
    assert written == [] and printer.frames == 0


def test_a_long_run_prints_held_lines_then_each_node_as_it_finishes() -> None:
    clock, written = Clock(), []
    printer = nodetree.NodeLines(Terminal(), delay=2.0, clock=clock, write=written.append)
    t, pods = growing_run()
    printer.update(t.status)
    finish(pods[1], st.SUCCEEDED, 3)
    finish(pods[0], st.FAILED, 4, "main: Error (exit code 2)\x1b[2J")
    printer.update(t.status)
    assert written == []  # held for the first seconds
    clock.now = 2.5
    printer.update(t.status)
    assert [line.plain for line in written] == [
        "node ci-log[0].p1 Succeeded (2s)",
        "node ci-log[0].p0 Failed (4s): main: Error (exit code 2)\\x1b[2J",
    ]
    late = t.add(
        "ci-log[0].p3",
        "Pod",
        st.RUNNING,
        parent=t.status.nodes[pods[0].id],
        boundary=t.root,
        start=5,
        end=None,
    )
    printer.update(t.status)
    finish(late, st.SUCCEEDED, 9)
    printer.update(t.status)
    assert written[-1].plain == "node ci-log[0].p3 Succeeded (4s)"
    finish(pods[2], st.ERROR, 70, "pod deleted")
    finish(t.root, st.ERROR, 71)
    printer.stop()  # what finished since the last update is written at the end
    assert [line.plain for line in written[3:]] == [
        "node ci-log[0].p2 Error (1m): pod deleted",
        "node ci-log Error (1m)",
    ]
    assert printer.frames == 5


def test_held_lines_are_written_when_the_delay_passes_even_without_an_update() -> None:
    written: list[Text] = []
    done = threading.Event()

    def write(line: Text) -> None:
        written.append(line)
        done.set()

    printer = nodetree.NodeLines(Terminal(), delay=0.05, write=write)
    t, pods = growing_run()
    finish(pods[0], st.SUCCEEDED, 1)
    printer.update(t.status)  # then a long pod: no update for a while
    assert done.wait(5), "the held line was never written"
    assert [line.plain for line in written] == ["node ci-log[0].p0 Succeeded (1s)"]
    printer.stop()


def test_node_lines_go_to_stderr_through_the_terminal() -> None:
    term, out, err = capture()
    printer = nodetree.NodeLines(term, delay=0.0)
    t, pods = growing_run()
    finish(pods[0], st.SUCCEEDED, 1)
    printer.update(t.status)
    printer.stop()
    assert out.getvalue() == "" and err.getvalue() == "node ci-log[0].p0 Succeeded (1s)\n"


# --- scale --------------------------------------------------------------------------------------


def big_tree(pods: int) -> Tree:
    """Steps of 50 parallel pods each, then a DAG fanning out: ``pods`` pod nodes in all."""
    t = Tree("big", template="main")
    group, last = None, t.root
    for i in range(pods // 2):
        if i % 50 == 0:
            group = t.add(f"big[{i // 50}]", "StepGroup", parent=last, boundary=t.root, start=i)
        assert group is not None
        last = t.add(
            f"big[{i // 50}].s{i}", "Pod", parent=group, boundary=t.root, template="t", start=i, end=i + 1
        )
    dag = t.add(f"big[{pods}]", "DAG", parent=last, boundary=t.root, start=pods)
    for i in range(pods - pods // 2):
        t.add(f"big[{pods}].d{i}", "Pod", boundary=dag, template="t", start=pods + i % 7)
    return t


def test_a_5000_node_tree_renders_every_node() -> None:
    # its speed is measured by bench/nodetree.py (5,000 nodes in well under a second), not timed here
    status = big_tree(5000).status
    term, out, _ = capture()
    nodetree.text(term, status, now=NOW, tz=UTC)
    table = out.getvalue().split("\n\n", 1)[1].splitlines()
    assert len(table) == 1 + 1 + 2500 + 1 + 2500  # header, root, step pods, the DAG, its tasks


def test_a_status_from_a_server_with_cycles_or_dangling_links_still_renders() -> None:
    t = Tree("loop", template="main")
    r1 = t.add("loop.r1", "Retry", boundary=t.root)
    r2 = t.add("loop.r2", "Retry", parent=r1, boundary=t.root)
    r2.children.append(r1.id)  # r1 and r2 each claim the other: neither hangs under the root
    t.add("loop.orphan", "Pod", boundary=t.add("loop.g", "TaskGroup", boundary=t.root))  # boundary not drawn
    t.add(
        "loop.lost", "Pod", boundary=st.Node(id="nowhere", name="x", display_name="x", type="DAG", phase="")
    )
    t.add("loop.ok", "Pod", boundary=t.root, template="t", start=2)
    assert [line.split()[1] for line in nodetree.tree_lines(t.status, now=NOW)[1:]] == ["loop", "ok"]


def test_node_lines_cost_per_update_does_not_grow_with_finished_nodes() -> None:
    t = Tree("many", st.RUNNING, template="main")
    printer = nodetree.NodeLines(Terminal(), delay=0.0, write=lambda _: None)
    start = time.perf_counter()
    for i in range(5000):
        node = t.add(f"many.p{i}", "Pod", st.RUNNING, boundary=t.root, start=i, end=None)
        printer.update(t.status)
        finish(node, st.SUCCEEDED, i + 1)
        printer.update(t.status)
    took = time.perf_counter() - start
    printer.stop()
    assert printer.frames == 5000
    assert took < 1.0, f"10,000 updates over 5000 nodes took {took:.2f}s"


# --- through the CLI -------------------------------------------------------------------------------

PARALLEL = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: par, namespace: team}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: ":leg: [bold]x[/]"}]}
  templates:
    - name: main
      steps:
        - - {name: first, template: say}
        - - {name: ":leg:", template: say}
          - {name: "[red]b", template: say}
    - name: say
      container: {image: busybox, command: ["true"]}
"""


def test_wfsync_run_prints_the_argo_get_layout(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(PARALLEL, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "wf.yaml")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "STEP" in out and "PODNAME" in out and "TYPE" not in out
    assert "Created:" in out and "Started:" in out and "Finished:" in out
    assert " ├───✔ first" in out
    assert " └─┬─✔ :leg:" in out or " └─┬─✔ [red]b" in out
    assert "🦵" not in out and "[red]b" in out
    assert f"par-say-{st.fnv1a32('par[1].:leg:')}" in out
