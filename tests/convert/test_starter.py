"""Starter-workflow placeholders: an input error naming file:line, unless ``--starter`` is given."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from wfsync.cli.app import app

STARTER = """\
name: nightly
on:
  push:
    branches: [ $default-branch ]
  schedule:
    - cron: $cron-daily
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "$default-branchy is a shell word, $cron-dailyish too"  # $default-branch here is a comment
"""


def test_a_placeholder_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nightly.yml"
    path.write_text(STARTER)
    result = CliRunner().invoke(app, ["convert", "github-actions", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: starter-workflow placeholder $default-branch" in result.output
    assert "--starter" in result.output


def test_with_starter_the_placeholders_get_githubs_values(tmp_path: Path) -> None:
    path = tmp_path / "nightly.yml"
    path.write_text(STARTER)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["convert", "github-actions", str(path), "--starter", "--out-dir", str(out)]
    )
    assert result.exit_code in (0, 1), result.output
    text = (out / "nightly.yaml").read_text()
    assert "$cron-daily" not in text.split("steps:")[0] and "0 0 * * *" in text
    lint = CliRunner().invoke(app, ["lint", str(out / "nightly.yaml")])
    assert "cron-schedule" not in lint.output


def test_placeholders_in_comments_and_longer_words_are_not_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text(
        STARTER.replace("[ $default-branch ]", "[ main ]").replace("cron: $cron-daily", "cron: '0 1 * * *'")
    )
    result = CliRunner().invoke(app, ["convert", "github-actions", str(path)])
    assert result.exit_code in (0, 1), result.output
