"""``wfsync resume``: a request file resumes the nodes suspended when it was made."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app
from wfsync.engine.resume import ResumeChannel, request_resume, running
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
