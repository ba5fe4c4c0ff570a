"""Secrets never reach any output of ``diff``, ``push`` and ``status``, and their changes still show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app

CONFIG = "library: library\nlibraryId: demo\ntargets:\n  local:\n    type: embedded\n    namespace: ci\n"
TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: deploy
  labels:
    wfsync.io/version: "1.0.0"
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine:3
        command: [sh, -c]
        args: ["login --password=ZQPW_{n}", "--token", "ZQTK_{n}", "curl https://u:ZQURLPW_{n}@example.com"]
        env:
          - name: GITHUB_PAT
            value: ZQPAT_{n}
          - name: SMTP_PASS
            value: ZQSMTPPASS_{n}
          - name: AUTH_HEADER
            value: ZQHDR_{n}
          - name: SLACK_WEBHOOK_URL
            value: https://example.com/hook/ZQHOOK_{n}
          - name: GREETING
            value: hello_{n}
    - name: script
      script:
        image: alpine:3
        source: |
          echo start
          export API_KEY=ZQAPIKEY_{n}
          echo ghp_{token}
"""
SECRETS = ["ZQ", "ghp_"]  # every secret value below starts with ZQ (or is a GitHub token)


def _write(root: Path, n: int) -> None:
    (root / "library").mkdir(exist_ok=True)
    (root / "library" / "deploy.yaml").write_text(TEMPLATE.format(n=n, token=str(n) * 36))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "wfsync.yaml").write_text(CONFIG)
    _write(tmp_path, 1)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _assert_masked(output: str) -> None:
    leaked = [s for s in SECRETS if s in output]
    assert not leaked, f"leaked {leaked}:\n{output}"


def test_diff_push_and_status_mask_every_secret_and_still_show_each_change(repo: Path) -> None:
    code, out = _invoke("push", "--yes")
    assert code == 0, out
    _write(repo, 2)
    for args in (
        ["diff"],
        ["diff", "--unified"],
        ["diff", "-o", "markdown"],
        ["diff", "--unified", "-o", "markdown"],
        ["diff", "-o", "json"],
        ["diff", "--unified", "-o", "json"],
        ["push", "--dry-run", "-o", "json"],
    ):
        code, out = _invoke(*args)
        assert code in (0, 1), out
        _assert_masked(out)
        assert "<redacted: changed>" in out, (args, out)
        # the unmasked neighbour shows, so the change is not hidden by over-masking
        assert "hello_2" in out, (args, out)

    code, out = _invoke("diff", "-o", "json")
    changes = {c["path"]: c for o in json.loads(out)["objects"] for c in o.get("changes", [])}
    for name in ("GITHUB_PAT", "SMTP_PASS", "AUTH_HEADER", "SLACK_WEBHOOK_URL"):
        assert changes[f"spec.templates[main].container.env[{name}].value"]["after"] == "<redacted: changed>"
    assert changes["spec.templates[main].container.args[2]"]["after"] == "<redacted: changed>"
    assert (
        changes["spec.templates[main].container.args[0]"]["after"] == "login --password=<redacted: changed>"
    )

    code, out = _invoke("push", "--yes")
    assert code == 0, out
    _assert_masked(out)
    for args in (["status"], ["status", "-o", "json"], ["diff"]):
        code, out = _invoke(*args)
        assert code == 0, out
        _assert_masked(out)
