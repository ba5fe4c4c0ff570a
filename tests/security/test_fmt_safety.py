"""``wfsync fmt`` is a pure formatting change, through the CLI.

Data is compared as YAML (the tag and text of every scalar), not as Python values; comments are
kept or the file is left alone with a warning; symlinks are written through with the target's
permissions; a file fmt cannot write is an error naming it (exit 2), never a traceback.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wfsync.cli.app import app
from wfsync.errors import CompletionError
from wfsync.fmt import formatter

UNFORMATTED = """\
kind: ConfigMap
data:
    started:   2024-01-01T10:00:00.5Z
    day:     2024-01-01
    spaced: 2001-12-14 21:59:43.10 -5
    none: ~
    upper: NULL
    signed: +1
    hex: 0x1F
    anchored: &t 2024-01-01T10:00:00.5Z
    again: *t
"""
FORMATTED = """\
kind: ConfigMap
data:
  started: 2024-01-01T10:00:00.5Z
  day: 2024-01-01
  spaced: 2001-12-14 21:59:43.10 -5
  none: ~
  upper: NULL
  signed: +1
  hex: 0x1F
  anchored: &t 2024-01-01T10:00:00.5Z
  again: *t
"""


def invoke(*args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr, time.monotonic() - started


def clean(out: str) -> None:
    assert "Traceback" not in out and "internal error" not in out, out


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_scalars_are_written_back_exactly_as_they_were(folder: Path) -> None:
    (folder / "cm.yaml").write_text(UNFORMATTED)
    code, out, _ = invoke("fmt", "cm.yaml")
    assert code == 0, out
    assert (folder / "cm.yaml").read_text() == FORMATTED
    code, out, _ = invoke("fmt", "--check", "cm.yaml")
    assert code == 0, out


def test_the_safety_net_compares_yaml_text_not_python_values(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rewrite that keeps the datetime but changes the string Argo reads is refused."""
    changed = FORMATTED.replace("10:00:00.5Z", "10:00:00.500000Z", 1)
    assert yaml.safe_load(changed) == yaml.safe_load(UNFORMATTED)  # what the old check compared
    monkeypatch.setattr(formatter, "_format_chunks", lambda yaml, text, path: changed)
    with pytest.raises(CompletionError, match="would change the data"):
        formatter.format_text(UNFORMATTED)

    (folder / "cm.yaml").write_text(UNFORMATTED)
    code, out, elapsed = invoke("fmt", "cm.yaml")
    assert code == 2 and "cm.yaml" in out and "would change the data" in out, out
    clean(out)
    assert (folder / "cm.yaml").read_text() == UNFORMATTED
    assert elapsed < 5


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a: '1'\n", "a: 1\n"),  # string to int
        ("a: 'yes'\n", "a: yes\n"),  # string to YAML 1.1 bool (Argo's decoder reads it so)
        ("a: ~\n", "a:\n"),  # same null, different text
        ("a: [1, 2]\n", "a: [2, 1]\n"),  # order of a sequence
        ("a: 1\n", "a: 1\nb: 2\n"),  # a key added
    ],
)
def test_the_safety_net_catches_every_change_of_tag_text_or_structure(
    monkeypatch: pytest.MonkeyPatch, before: str, after: str
) -> None:
    monkeypatch.setattr(formatter, "_format_chunks", lambda yaml, text, path: after)
    with pytest.raises(CompletionError):
        formatter.format_text(before)


def test_reordered_keys_and_requoted_strings_are_the_same_data() -> None:
    text = "apiVersion: argoproj.io/v1alpha1\nspec: {x: 'a'}\nkind: Workflow\nmetadata: {name: w}\n"
    out = formatter.format_text(text)
    assert out.index("kind:") < out.index("spec:")


FLOW_COMMENT = """\
kind: ConfigMap
data:
    list: [a, # the first
           b]
"""


@pytest.mark.parametrize("check", [False, True])
def test_a_comment_in_a_flow_collection_leaves_the_file_alone_with_a_warning(
    folder: Path, check: bool
) -> None:
    (folder / "cm.yaml").write_text(FLOW_COMMENT)
    code, out, elapsed = invoke("fmt", *(["--check"] if check else []), "cm.yaml")
    assert code == 0, out
    assert "warning" in out and "cm.yaml:3" in out and "# the first" in out, out
    clean(out)
    assert (folder / "cm.yaml").read_text() == FLOW_COMMENT
    assert elapsed < 5


def test_json_output_lists_the_file_left_alone(folder: Path) -> None:
    (folder / "cm.yaml").write_text(FLOW_COMMENT)
    code, out, _ = invoke("fmt", "-o", "json", "cm.yaml")
    assert code == 0 and '"skipped"' in out and "# the first" in out, out


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    text = "a:    'x # not a comment'\nb: |\n    # data\n"
    assert formatter.format_text(text) == "a: 'x # not a comment'\nb: |\n  # data\n"


def test_a_symlink_is_written_through_and_stays_a_link(folder: Path) -> None:
    (folder / "real").mkdir()
    target = folder / "real" / "cm.yaml"
    target.write_text(UNFORMATTED)
    target.chmod(0o640)
    (folder / "cm.yaml").symlink_to(target)
    code, out, _ = invoke("fmt", "cm.yaml")
    assert code == 0, out
    assert (folder / "cm.yaml").is_symlink() and (folder / "cm.yaml").resolve() == target
    assert target.read_text() == FORMATTED
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in (folder / "real").iterdir()) == ["cm.yaml"]  # no temporary left


def test_inside_a_repository_a_symlink_leaving_it_is_not_written(
    folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "cm.yaml"
    outside.write_text(UNFORMATTED)
    (folder / "wfsync.yaml").write_text("library: library\n")
    (folder / "library").mkdir()
    (folder / "library" / "cm.yaml").symlink_to(outside)
    code, out, _ = invoke("fmt")
    assert code == 2 and "cm.yaml" in out and "leaves the repository" in out, out
    clean(out)
    assert outside.read_text() == UNFORMATTED


def test_permissions_are_kept(folder: Path) -> None:
    (folder / "cm.yaml").write_text(UNFORMATTED)
    (folder / "cm.yaml").chmod(0o600)
    code, out, _ = invoke("fmt", "cm.yaml")
    assert code == 0, out
    assert stat.S_IMODE((folder / "cm.yaml").stat().st_mode) == 0o600


def test_a_read_only_file_is_an_error_naming_it(folder: Path) -> None:
    (folder / "cm.yaml").write_text(UNFORMATTED)
    (folder / "cm.yaml").chmod(0o444)
    code, out, elapsed = invoke("fmt", "cm.yaml")
    assert code == 2 and "cm.yaml" in out and "read-only" in out, out
    clean(out)
    assert (folder / "cm.yaml").read_text() == UNFORMATTED
    assert elapsed < 5


def test_a_failed_write_is_an_error_naming_the_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError without a file name (a full disk) still names the file, and nothing is left behind."""

    def full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr("wfsync.commands.fmt.tempfile.mkstemp", full_disk)
    (folder / "cm.yaml").write_text(UNFORMATTED)
    code, out, _ = invoke("fmt", "cm.yaml")
    assert code == 2 and "cm.yaml" in out and "cannot write" in out and "No space left" in out, out
    clean(out)
    assert (folder / "cm.yaml").read_text() == UNFORMATTED
    assert sorted(p.name for p in folder.iterdir()) == ["cm.yaml"]


def test_a_symlink_loop_is_an_error_naming_it(folder: Path) -> None:
    (folder / "a.yaml").symlink_to(folder / "b.yaml")
    (folder / "b.yaml").symlink_to(folder / "a.yaml")
    code, out, _ = invoke("fmt", "a.yaml")
    assert code == 2 and "a.yaml" in out and "symlink loop" in out, out
    clean(out)
