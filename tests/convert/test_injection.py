"""No script injection: ``${{ }}`` values reach scripts as environment variables only, and scripts
with ``{{`` survive Argo's substitution. The library's ``shell/setup`` and ``shell/step`` run for
real with ``sh`` (:mod:`tests.convert.shellstep`), with hostile values."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.convert.helpers import convert, params, template
from tests.convert.shellstep import argo, run

HOSTILE = "a'b\"c $(touch PWNED) `touch PWNED2` ; touch PWNED3 \n{{workflow.name}} ${HOME} \\ end\nBASH_ENV=x"

WORKFLOW = """\
on: workflow_dispatch
env:
  STATIC: "it's {{ not argo }} $(not run)"
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: first
        run: |
          printf 'title=%s\\n' "${{ github.event.issue.title }}" > "$GITHUB_WORKSPACE/seen"
          echo "ok={{ .Values.x }}" >> "$GITHUB_OUTPUT"
          echo "FROM_ENV_FILE=carried" >> "$GITHUB_ENV"
      - run: |
          printf '%s|%s|%s|%s' "$STATIC" "${{ steps.first.outputs.ok }}" "$FROM_ENV_FILE" "${{ env.STATIC }}" > "$GITHUB_WORKSPACE/second"
"""

pytestmark = pytest.mark.skipif(
    shutil.which("sh") is None or shutil.which("awk") is None, reason="needs sh and awk"
)


def test_hostile_values_never_become_code(tmp_path: Path) -> None:
    conversion = convert(WORKFLOW)
    setup, first, second = [g[0] for g in template(conversion, "job-a")["steps"]]
    script = params(first)["script"]
    assert "github.event" not in script  # the expression is not in the script text
    assert '"${GITHUB_EVENT_ISSUE_TITLE}"' in script
    assert "{{ .Values.x }}" not in script and "{{='{{'}} .Values.x }}" in script  # the escape
    (line,) = params(first)["env"].splitlines()
    assert line.startswith("GITHUB_EVENT_ISSUE_TITLE={{=toJSON(string(jsonpath(")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    done, _ = run("setup", params(setup), workspace)
    assert done.returncode == 0, done.stderr
    done, outputs = run("step", params(first), workspace, {"jsonpath": HOSTILE})
    assert done.returncode == 0, done.stderr
    assert (workspace / "jobs" / "a" / "seen").read_text() == f"title={HOSTILE}\n"
    assert outputs == {"ok": "{{ .Values.x }}"}
    assert not list(tmp_path.rglob("PWNED*"))

    # The next step sees GITHUB_ENV and the first step's outputs, and the static env verbatim.
    done, _ = run("step", params(second), workspace, {"outputs.parameters.outputs": outputs["ok"]})
    assert done.returncode == 0, done.stderr
    assert (workspace / "jobs" / "a" / "second").read_text() == (
        "it's {{ not argo }} $(not run)|{{ .Values.x }}|carried|it's {{ not argo }} $(not run)"
    )
    assert not list(tmp_path.rglob("PWNED*"))


def test_argo_substitution_leaves_no_tag_but_the_escape_and_value_tags() -> None:
    conversion = convert(WORKFLOW)
    for group in template(conversion, "job-a")["steps"]:
        for value in params(group[0]).values():
            for tag in re.findall(r"\{\{(.*?)\}\}", value):  # as Argo's fasttemplate finds them
                assert tag == "='{{'" or tag.startswith(("=toJSON(", "workflow.", "inputs.")), tag


def test_env_file_parser_rejects_injected_names(tmp_path: Path) -> None:
    conversion = convert(
        'on: workflow_dispatch\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: printf \'%s\' "$SAFE" > "$GITHUB_WORKSPACE/safe"\n'
    )
    setup, step = [g[0] for g in template(conversion, "job-a")["steps"]]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    assert run("setup", params(setup), workspace)[0].returncode == 0
    state = workspace / ".cache" / "wfsync-gha" / "jobs" / "a"
    (state / "env").write_text("SAFE<<EOF\nline1\n$(touch PWNED)'\nEOF\nBAD;touch PWNED=1\n")
    done, _ = run("step", params(step), workspace)
    assert done.returncode == 0, done.stderr
    assert (workspace / "jobs" / "a" / "safe").read_text() == "line1\n$(touch PWNED)'"
    assert not list(tmp_path.rglob("PWNED*"))


def test_env_lines_decode_json_and_copy_variables_but_never_run_them(tmp_path: Path) -> None:
    """The three forms of an ``env`` line: verbatim, a JSON string (any text), ``$NAME``."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = "\n".join(
        [
            "PLAIN=a $(touch PWNED) 'b'",
            "JSON="
            + json.dumps('x\ny \\u00e9 \u00e9 "q" $(touch PWNED) {{', ensure_ascii=True).replace(
                "{", "\\u007b"
            ),
            "COPY=$FROM_SECRET",
            "bad name=1",
        ]
    )
    script = 'printf "%s|%s|%s" "$PLAIN" "$JSON" "$COPY" > out'
    done, _ = run("step", {"script": script, "env": env}, workspace, extra_env={"FROM_SECRET": "s$(x)"})
    assert done.returncode == 0, done.stderr
    assert (
        workspace / "out"
    ).read_text() == "a $(touch PWNED) 'b'|x\ny \\u00e9 \u00e9 \"q\" $(touch PWNED) {{|s$(x)"
    assert "ignoring the variable name bad name" in done.stderr
    assert not list(tmp_path.rglob("PWNED*"))


def test_the_brace_escape_is_what_argo_gives_back_as_braces() -> None:
    assert argo("a {{='{{'}} b }} {{='{{'}}{") == "a {{ b }} {{{"
