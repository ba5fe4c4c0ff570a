"""The audit report masks secret-shaped values in every format (text, Markdown, JSON, stdout lines)."""

from __future__ import annotations

import json
from pathlib import Path

from wfsync.convert.gha.report import (
    AuditReport,
    StepEntry,
    WorkflowReport,
    render_report,
    summary_lines,
    workflow_lines,
)


def test_audit_report_masks_secrets_in_every_format(tmp_path: Path) -> None:
    w = WorkflowReport(Path("ci.yml"))
    w.error = "cannot read https://bot:ZQ1@example.com/x"
    w.attend("step login: --password=ZQ2 is written in the workflow")
    w.steps.append(StepEntry("build", "push", "run", "run", "unknown", note="export NPM_TOKEN=ZQ3"))
    w.run, w.run_message = "Error", "Authorization: Bearer ZQ4abcdefgh"
    w.manual.other.append("rotate ghp_" + "Z" * 36)
    w.manual.secrets["GITHUB_TOKEN"] += 1  # a secret's NAME is a manual task, not a secret
    w.finish()
    report = AuditReport([w])
    outputs = [
        "\n".join(workflow_lines(w) + summary_lines(report)),
        *(render_report(report, tmp_path / f"r.{ext}") for ext in ("txt", "md", "json")),
    ]
    for text in outputs:
        assert "ZQ" not in text and "Z" * 36 not in text, text
        assert "<redacted>" in text
        assert "GITHUB_TOKEN" in text
    data = json.loads(outputs[-1])
    assert data["workflows"][0]["steps"][0]["note"] == "export NPM_TOKEN=<redacted>"
