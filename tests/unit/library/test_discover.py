"""Finding library files: order, refusals, and reading that never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfsync.errors import UsageError
from wfsync.library import discover


def test_finds_yaml_sorted_once_skipping_tool_folders(tmp_path: Path) -> None:
    for rel in ("b.yaml", "a.yml", "sub/c.yaml", ".wfsync/cache/x.yaml", ".git/y.yaml", "notes.txt"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("kind: X\n")
    files, problems = discover.find_yaml_files([tmp_path, tmp_path / "b.yaml"])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.yml", "b.yaml", "sub/c.yaml"]
    assert problems == []


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="path does not exist"):
        discover.find_yaml_files([tmp_path / "nope"])


def test_symlink_leaving_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: X\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "inside.yaml").write_text("kind: X\n")
    (repo / "link.yaml").symlink_to(outside)
    (repo / "ok-link.yaml").symlink_to(repo / "inside.yaml")
    files, problems = discover.find_yaml_files([repo], root=repo)
    assert [f.name for f in files] == ["inside.yaml"]  # ok-link.yaml is the same file, listed once
    assert [(p.path.name, p.rule) for p in problems] == [("link.yaml", "file-refused")]


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discover, "MAX_FILE_BYTES", 10)
    (tmp_path / "big.yaml").write_text("kind: Workflow\n" * 3)
    files, problems = discover.find_yaml_files([tmp_path])
    assert files == [] and problems[0].rule == "file-refused" and "limit" in problems[0].message


def test_read_file_reports_instead_of_raising(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe")
    assert discover.read_file(bad).problem is not None
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("kind: X\n---\njust text\n")
    result = discover.read_file(scalar)
    assert (
        len(result.documents) == 1 and result.problem is not None and result.problem.rule == "not-an-object"
    )
    empty = tmp_path / "empty.yaml"
    empty.write_text("---\n# only a comment\n---\n")
    assert discover.read_file(empty).documents == ()
