"""The run context (actor, repository, event payload, runner env, secrets) reaches converted runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.convert.helpers import convert, params, template
from wfsync.cli.app import app
from wfsync.commands.convert import RunSettings, localize, run_convert_github_actions
from wfsync.convert.gha.expressions import evaluate, parse
from wfsync.convert.gha.inline import inline_env
from wfsync.convert.gha.runcontext import RunContext, read_event

WORKFLOW = """\
on:
  workflow_dispatch:
    inputs:
      required:
        required: true
      flag:
        type: boolean
env:
  OWNER: ${{ github.repository_owner }}
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "$GITHUB_ACTOR" = octocat
          test "$GITHUB_REPOSITORY" = octo/hello
          test "$GITHUB_EVENT_NAME" = workflow_dispatch
          test '${{ inputs.required }}' = 'given'
          exit ${{ env.OWNER == 'OCTO' && '0' || '1' }}
      - if: ${{ !env.ACT }}
        run: exit 1
      - if: ${{ inputs.flag }}
        run: echo "flag=yes" >> "$RUNNER_TEMP/flag"
      - run: test -f "$RUNNER_TEMP/flag"
      - run: grep -q '"required":"given"' "$GITHUB_EVENT_PATH"
"""

CONTEXT = RunContext(
    actor="octocat",
    repository="octo/hello",
    event={"inputs": {"required": "given", "flag": True, "undeclared": "x"}},
    env={"ACT": "true"},
    secrets={"TOKEN": "s3cret"},
)


def test_parameters_come_from_the_context() -> None:
    values = CONTEXT.parameters({"required": {}, "flag": {}})
    assert values["github-actor"] == "octocat"
    assert values["github-repository-owner"] == "octo"
    assert values["required"] == "given" and values["flag"] == "true"
    assert "undeclared" not in values
    assert '"undeclared":"x"' in values["github-event"]
    assert RunContext().parameters({"required": {}}) == {}


def test_read_event_rejects_what_is_not_a_json_object() -> None:
    assert read_event('{"inputs": {}}', "e.json") == {"inputs": {}}
    with pytest.raises(ValueError, match=r"e.json: not JSON"):
        read_event("{", "e.json")
    with pytest.raises(ValueError, match="JSON object"):
        read_event("[]", "e.json")


def test_env_with_run_time_values_is_read_as_its_expression() -> None:
    tree = inline_env(parse("env.OWNER == 'octo' && env.plain"), {"OWNER": "${{ github.repository_owner }}!"})
    contexts = {"github": {"repository_owner": "octo"}, "env": {"plain": "p"}}
    assert evaluate(tree, contexts) is False  # the value is "octo!"
    contexts["github"]["repository_owner"] = "x"
    tree = inline_env(parse("env.OWNER"), {"OWNER": "a ${{ github.repository_owner }} {b}"})
    assert evaluate(tree, contexts) == "a x {b}"


def test_localize_sets_parameters_env_and_secrets(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text(WORKFLOW.replace("run: exit 1", "run: echo ${{ secrets.TOKEN }}"))
    conversion = convert(path.read_text(), str(path))
    assert conversion.document is not None
    doc = localize(conversion.document, tmp_path, "workflow_dispatch", CONTEXT)
    args = {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]}
    assert args["github-actor"] == "octocat" and args["required"] == "given"
    job = [s[0] for s in next(t for t in doc["spec"]["templates"] if t["name"] == "job-check")["steps"]]
    envs = [params(s).get("env", "") for s in job]
    assert job[0]["name"] == "setup" and envs[0].startswith("ACT=true\n")  # the job's env
    assert not any("ACT=true" in e for e in envs[1:])  # so that GITHUB_ENV can still change it
    assert sum("TOKEN=s3cret" in e for e in envs) == 1  # only the step that reads the secret
    # the conversion itself gives the job the GITHUB_* variables from parameters
    first = params(template(conversion, "job-check")["steps"][0][0])
    assert "GITHUB_ACTOR={{workflow.parameters.github-actor}}\n" in first["env"]


@pytest.mark.slow
def test_run_sees_the_context_and_fails_without_it(tmp_path: Path) -> None:
    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir()
    path.write_text(WORKFLOW)
    for context, phase in ((CONTEXT, "Succeeded"), (RunContext(), "Failed")):
        settings = RunSettings(
            REPO_ROOT / "library", tmp_path / "state", event="workflow_dispatch", context=context
        )
        report = run_convert_github_actions([path], run=settings).audit.workflows[0]
        assert report.run == phase, report.run_message


@pytest.mark.slow
def test_cli_takes_the_context_from_flags(tmp_path: Path) -> None:
    path = tmp_path / "repo" / "w.yml"
    path.parent.mkdir()
    text = WORKFLOW.replace("on:\n", "on:\n  push:\n", 1).replace("= workflow_dispatch", "= push")
    path.write_text(text)
    event = tmp_path / "event.json"
    event.write_text('{"inputs": {"required": "given", "flag": "true"}}')
    base = ["-o", "json", "convert", "github-actions", str(path), "--run", "--actor", "octocat"]
    flags = ["--repository", "octo/hello", "--env", "ACT=true", "--event", str(event)]
    result = CliRunner().invoke(app, [*base, *flags], catch_exceptions=False)
    run = json.loads(result.stdout)["workflows"][0]["run"]
    assert run["phase"] == "Succeeded", run["message"]
    bad = CliRunner().invoke(app, [*base, "--env", "NOEQUALS"], catch_exceptions=False)
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.output
    event.write_text("[1]")
    bad = CliRunner().invoke(app, [*base, "--event", str(event)], catch_exceptions=False)
    assert bad.exit_code == 2 and "JSON object" in bad.output
