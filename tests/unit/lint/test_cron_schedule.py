"""CronWorkflow schedules and time zones: what Argo's cron parser accepts, found with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.lint.linter import LintOptions, lint_paths
from wfsync.lint.rules.cron import schedule_problem, timezone_problem


@pytest.mark.parametrize(
    "schedule",
    [
        "0 0 * * *",
        "*/15 9-17 * * MON-FRI",
        "0 0 1,15 jan-mar ?",
        "5 4 * * sun",
        "@hourly",
        "@midnight",
        "@every 1h30m",
        "CRON_TZ=Europe/Berlin 0 6 * * *",
        "0 0/2 * * *",
    ],
)
def test_schedules_argo_accepts(schedule: str) -> None:
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("$cron-daily", "expected 5 fields"),
        ("0 0 * *", "expected 5 fields"),
        ("0 0 * * * *", "expected 5 fields"),
        ("60 * * * *", "outside 0-59"),
        ("0 24 * * *", "outside 0-23"),
        ("0 0 0 * *", "outside 1-31"),
        ("0 0 * 13 *", "outside 1-12"),
        ("0 0 * * 7", "outside 0-6"),
        ("0 0 * * FUNDAY", "not a number or a name"),
        ("*/0 * * * *", "positive number"),
        ("0 5-2 * * *", "ends before it starts"),
        ("@fortnightly", "unknown descriptor"),
        ("@every soon", "needs a duration"),
        ("TZ=Nowhere/Land 0 0 * * *", "not an IANA time zone"),
    ],
)
def test_schedules_argo_rejects(schedule: str, why: str) -> None:
    problem = schedule_problem(schedule)
    assert problem is not None and why in problem


def test_timezones_are_iana_zones() -> None:
    assert timezone_problem("America/New_York") is None and timezone_problem("UTC") is None
    assert timezone_problem("CEST") is not None and timezone_problem("Europe/Nowhere") is not None


CRON = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedules:
    - "0 3 * * *"
    - $cron-daily
  timezone: Mars/Olympus
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: {image: alpine:3.20}
"""


def test_lint_reports_each_bad_schedule_and_timezone_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nightly.yaml"
    path.write_text(CRON)
    report = lint_paths([path], LintOptions())
    found = [(f.line, f.rule) for f in report.findings]
    assert found == [(8, "cron-schedule"), (9, "cron-schedule")]
    path.write_text(CRON.replace("    - $cron-daily\n", "    - '@daily'\n").replace("Mars/Olympus", "UTC"))
    assert not lint_paths([path], LintOptions()).findings
