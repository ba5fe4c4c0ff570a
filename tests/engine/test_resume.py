"""``wfsync resume``: a request file resumes the nodes suspended when it was made."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.sync.test_push_tty import Session
from wfsync.cli.app import app
from wfsync.engine.resume import ResumeChannel, request_resume, running
from wfsync.engine.run import RunRequest, RunResult, run
from wfsync.errors import UsageError


def test_a_request_resumes_every_node_waiting_when_it_was_made(tmp_path: Path) -> None:
    told: list[str] = []
    with ResumeChannel(tmp_path, "wf-abc", told.append) as channel:
        since = time.time() - 1
        assert not channel.resumed("wf-abc[0].approve", "approve", since)
        assert not channel.resumed("wf-abc[0].approve", "approve", since)
        assert told == [
            "approve is suspended: resume it with `wfsync resume wf-abc` from another terminal "
            "(Ctrl-C stops the workflow)"
        ]
        assert running(tmp_path) == ["wf-abc"]
        request_resume(tmp_path, "wf-abc")
        assert channel.resumed("wf-abc[0].approve", "approve", since)
        assert channel.resumed("wf-abc[0].other", "other", since), "same request, also waiting then"
        later = time.time() + 1
        assert not channel.resumed("wf-abc[1].again", "again", later), "suspended after the request"
    assert not (tmp_path / "wf-abc").exists()
    assert running(tmp_path) == []


def test_a_request_for_one_node_leaves_the_others_waiting(tmp_path: Path) -> None:
    with ResumeChannel(tmp_path, "wf") as channel:
        since = time.time() - 1
        request_resume(tmp_path, "wf", "second")
        assert not channel.resumed("wf[0].first", "first", since)
        assert channel.resumed("wf[1].second", "second", since)


def test_resuming_a_workflow_that_is_not_running_names_the_running_ones(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no workflow is running here"):
        request_resume(tmp_path, "ghost")
    stale = tmp_path / "dead"
    stale.mkdir()
    (stale / "pid").write_text("999999999")
    with ResumeChannel(tmp_path, "alive"), pytest.raises(UsageError) as err:
        request_resume(tmp_path, "dead")
    assert str(err.value) == "no running workflow 'dead' waits for a resume (running here: alive)"


def test_cli_resume_without_a_run_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["resume", "nothing-here"])
    assert result.exit_code == 2
    assert "no running workflow 'nothing-here'" in result.stderr


WAITING = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: approval}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: wait, template: approve}
        - - {name: after, template: echo}
    - name: approve
      suspend: {}
    - name: echo
      container: {image: alpine, command: [echo, done]}
"""


def _run_and_resume(tmp_path: Path, body: str) -> tuple[RunResult, list[str]]:
    """Run ``body`` as an interactive run in a thread; resume it once it says it waits."""
    path = tmp_path / "wf.yaml"
    path.write_text(body, encoding="utf-8")
    told: list[str] = []
    results: list[RunResult] = []
    request = RunRequest(path=path, state_dir=tmp_path / "state", interactive=True, notify=told.append)
    worker = threading.Thread(target=lambda: results.append(run(request)))
    worker.start()
    runs, deadline = tmp_path / "state" / "runs", time.monotonic() + 30
    while not (told and "approval" in running(runs)):
        assert time.monotonic() < deadline, "the run never said it waits for a resume"
        time.sleep(0.05)
    request_resume(runs, "approval")
    worker.join(30)
    assert results, "the run did not end after the resume"
    assert running(runs) == [], "the run unregisters when it ends"
    return results[0], told


def test_an_interactive_run_waits_for_wfsync_resume(tmp_path: Path) -> None:
    result, told = _run_and_resume(tmp_path, WAITING)
    assert result.status.phase == "Succeeded"
    nodes = {n.display_name: n for n in result.status.nodes.values()}
    assert nodes["wait"].type == "Suspend" and nodes["wait"].phase == "Succeeded"
    assert nodes["after"].started >= nodes["wait"].finished
    assert told == [
        "wait is suspended: resume it with `wfsync resume approval` from another terminal "
        "(Ctrl-C stops the workflow)"
    ]


def test_spec_suspend_waits_for_wfsync_resume_in_an_interactive_run(tmp_path: Path) -> None:
    body = WAITING.replace("entrypoint: main", "entrypoint: main\n  suspend: true")
    result, told = _run_and_resume(
        tmp_path, body.replace("{name: wait, template: approve}", "{name: wait, template: echo}")
    )
    assert result.status.phase == "Succeeded"
    assert "approval is suspended" in told[0]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_on_a_terminal_the_tree_is_live_and_wfsync_resume_continues_the_run(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(WAITING, encoding="utf-8")
    session = Session(tmp_path, "run", "wf.yaml")
    shown = session.read_until("is suspended: resume it with `wfsync resume approval`")
    assert "Status:              Running" in session.read_until("Status:              Running"), "live tree"
    resumed = subprocess.run(
        [sys.executable, "-m", "wfsync", "resume", "approval"], cwd=tmp_path, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    code, out = session.finish()
    assert code == 0, out
    final = out[len(shown) :]
    assert "Status:              Succeeded" in final
    assert "after" in final and "approve" in final  # the suspend node, by its template
