"""Indefinite suspends: refused without a resume, resumed after ``resume_after`` seconds with one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app
from wfsync.engine.executor import Unsupported

APPROVAL = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: susp}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: wait, template: approve}
        - - name: after
            template: echo
            arguments: {parameters: [{name: answer, value: "{{steps.wait.outputs.parameters.answer}}"}]}
    - name: approve
      suspend: {}
      outputs:
        parameters:
          - name: answer
            valueFrom: {supplied: {}, default: "yes"}
    - name: echo
      inputs: {parameters: [{name: answer}]}
      container: {image: alpine, command: [echo, "{{inputs.parameters.answer}}"]}
"""


def test_indefinite_suspend_is_refused_saying_it_needs_a_resume(run_yaml) -> None:
    with pytest.raises(Unsupported, match=r"waits for `argo resume`.*--resume-after SECONDS"):
        run_yaml(APPROVAL)


def test_resume_after_resumes_with_supplied_defaults(run_yaml) -> None:
    result = run_yaml(APPROVAL, resume_after=0.3)
    assert result.status.phase == "Succeeded"
    nodes = {n.display_name: n for n in result.status.nodes.values()}
    wait = nodes["wait"]
    assert wait.type == "Suspend"
    assert wait.finished - wait.started >= 0.3
    assert wait.outputs == {"parameters": [{"name": "answer", "value": "yes"}]}
    assert nodes["after"].outputs["result"] == "yes"


def test_resume_refused_for_supplied_output_without_default(run_yaml) -> None:
    result = run_yaml(APPROVAL.replace(', default: "yes"', ""), resume_after=0)
    assert result.status.phase == "Failed"
    wait = next(n for n in result.status.nodes.values() if n.display_name == "wait")
    assert wait.phase == "Error"
    assert wait.message == (
        "cannot resume: raw output parameter 'answer' has not been set and does not have a default value"
    )


def test_workflow_submitted_suspended(run_yaml) -> None:
    text = APPROVAL.replace(
        "entrypoint: main",
        "entrypoint: echo\n  suspend: true\n  arguments: {parameters: [{name: answer, value: hi}]}",
    )
    with pytest.raises(Unsupported, match=r"spec.suspend"):
        run_yaml(text)
    result = run_yaml(text, resume_after=0.2)
    assert result.status.phase == "Succeeded"
    pod = next(n for n in result.status.nodes.values() if n.type == "Pod")
    assert pod.started - result.status.started >= 0.2


def test_cli_resume_after(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    wf = tmp_path / "wf.yaml"
    wf.write_text(APPROVAL, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["run", str(wf)])
    assert refused.exit_code == 3
    assert "argo resume" in refused.output
    done = runner.invoke(app, ["run", str(wf), "--resume-after", "0"])
    assert done.exit_code == 0, done.output
    negative = runner.invoke(app, ["run", str(wf), "--resume-after", "-1"])
    assert negative.exit_code == 2
    assert "--resume-after must be 0 or more seconds" in negative.output
