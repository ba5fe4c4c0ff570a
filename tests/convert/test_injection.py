"""No script injection: ``${{ }}`` values reach scripts as environment variables only, and scripts
with ``{{`` survive Argo's substitution. The generated driver is run for real with ``sh``, the way
the library's ``shell/run`` runs it, with hostile values."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.convert.helpers import convert, params, template

HOSTILE = "a'b\"c $(touch PWNED) `touch PWNED2` ; touch PWNED3 \n{{workflow.name}} ${HOME} \\ end"

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


def _argo_substitution_is_harmless(value: str) -> bool:
    """Argo replaces ``{{...}}`` in parameter values; base64 text has no braces at all."""
    return "{" not in value and "}" not in value


def _run(
    step: dict[str, object], workspace: Path, extra_env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    p = params(step)  # type: ignore[arg-type]
    driver = base64.b64decode(p["script"]).decode()
    driver = driver.replace("/workspace", str(workspace))  # the volume's mount point, here a temp dir
    script = workspace / "driver.sh"
    script.write_text(driver)
    out = workspace / "out"
    out.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(workspace),
        "RUNNER_TEMP": str(workspace),
        "GITHUB_OUTPUT": str(out / "output"),
        "GITHUB_ENV": str(out / "env"),
    }
    (out / "output").write_text("")
    (out / "env").write_text("")
    # shell/run exports the KEY=VALUE lines of its `env` input before running the script.
    for line in p.get("env", "").splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    env.update(extra_env)  # what Argo substituted for the {{=...}} tags
    return subprocess.run(
        ["sh", str(script)], cwd=workspace, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(
    shutil.which("sh") is None or shutil.which("base64") is None, reason="needs sh and base64"
)
def test_hostile_values_never_become_code(tmp_path: Path) -> None:
    conversion = convert(WORKFLOW)
    steps = [g[0] for g in template(conversion, "job-a")["steps"]]
    first, second = steps
    for step in steps:
        assert _argo_substitution_is_harmless(params(step)["script"])
    user = base64.b64decode(params(first)["script"]).decode()
    assert "github.event" not in user.split("cat >", 1)[1]  # the expression is not in the script text
    assert '"${WFSYNC_E1}"' in user
    env_line = next(line for line in params(first)["env"].splitlines() if line.startswith("WFSYNC_V"))
    assert re.fullmatch(r"WFSYNC_V\d=\{\{=sprig\.b64enc\(string\(jsonpath\(.*\)\)\)\}\}", env_line)

    # What Argo would put into the env line: the base64 of the hostile title.
    value = base64.b64encode(HOSTILE.encode()).decode()
    var = env_line.split("=", 1)[0]
    result = _run(first, tmp_path, {var: value})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "jobs" / "a" / "seen").read_text() == f"title={HOSTILE}\n"
    assert not list(tmp_path.rglob("PWNED*"))

    # The next step sees GITHUB_ENV and the first step's outputs, and the static env verbatim.
    result = _run(second, tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "jobs" / "a" / "second").read_text() == (
        "it's {{ not argo }} $(not run)|{{ .Values.x }}|carried|it's {{ not argo }} $(not run)"
    )
    assert not list(tmp_path.rglob("PWNED*"))


def test_env_file_parser_rejects_injected_names(tmp_path: Path) -> None:
    conversion = convert(
        'on: workflow_dispatch\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: printf \'%s\' "$SAFE" > "$GITHUB_WORKSPACE/safe"\n'
    )
    step = template(conversion, "job-a")["steps"][0][0]
    state = tmp_path / ".cache" / "wfsync-gha" / "jobs" / "a"
    state.mkdir(parents=True)
    (state / "env").write_text("SAFE<<EOF\nline1\n$(touch PWNED)'\nEOF\nBAD;touch PWNED=1\n")
    result = _run(step, tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "jobs" / "a" / "safe").read_text() == "line1\n$(touch PWNED)'"
    assert not list(tmp_path.rglob("PWNED*"))
