"""Hostile YAML input is refused at once, through the CLI, by every command that reads YAML.

Each case is an input that used to hang, crash or end in an internal error: an alias bomb in a
free-form field, a FIFO or ``/dev/zero`` named ``*.yaml``, a symlink loop, nesting deep enough to
overflow PyYAML's C composer, a non-UTF-8 ``wfsync.yaml``, an unknown full-length ``--ref``.
Every test asserts the exit code of the contract, a message naming the input, no traceback, and
a generous time bound (the real figures are well under a second).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfsync.cli.app import app
from wfsync.library import yamlload

BOUND = 5.0
"""Seconds a rejection may take in these tests (measured: well under one)."""

HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: bomb
  labels:
    wfsync.io/version: "1.0.0"
spec:
  entrypoint: main
  templates:
    - name: main
      plugin:
"""


def alias_bomb(indent: int = 8) -> str:
    """Nine levels of ten aliases each: 10**9 nodes once expanded, 600 bytes written."""
    pad = " " * indent
    lines = [pad + 'a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    names = "abcdefghi"
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{pad}{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\n"


BOMB = HEAD + alias_bomb()
DEEP_FLOW = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
"""Enough nesting to crash PyYAML's C composer (it recurses without a limit)."""
DEEP_10K = "a: " + "[" * 10_000 + "]" * 10_000 + "\n"
MANY_ALIASES = "a: &a x\nb: [" + ", ".join(["*a"] * (yamlload.MAX_ALIASES + 1)) + "]\n"
SELF_ALIAS = "a: &a [1, *a]\n"

CWT = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: build
  labels:
    wfsync.io/version: "1.0.0"
spec:
  templates:
    - name: main
      container:
        image: alpine:3
"""


def invoke(*args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    elapsed = time.monotonic() - started
    return result.exit_code, result.stdout + result.stderr, elapsed


def refused(code: int, out: str, elapsed: float, expected: int, *names: str) -> None:
    assert code == expected, out
    assert "Traceback" not in out and "internal error" not in out, out
    for name in names:
        assert name in out, out
    assert elapsed < BOUND, f"took {elapsed:.2f}s"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def special(folder: Path, kind: str, name: str = "x.yaml") -> Path:
    """A FIFO, a symlink to /dev/zero, or a symlink loop, named like a YAML file."""
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        other = folder / f"loop-{name}"
        other.symlink_to(path)
        path.symlink_to(other)
    return path


# lint: every refusal is a finding (exit 1) naming the file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BOMB, "nodes in one file"),
        (DEEP_FLOW, "nested more than 100 levels deep"),
        (MANY_ALIASES, "aliases in one document"),
        (SELF_ALIAS, "refers to a node that contains it"),
    ],
    ids=["alias-bomb", "deep-100k", "many-aliases", "recursive-alias"],
)
def test_lint_refuses_documents_over_the_limits(folder: Path, text: str, message: str) -> None:
    (folder / "t.yaml").write_text(text)
    code, out, elapsed = invoke("lint", "t.yaml")
    refused(code, out, elapsed, 1, "t.yaml", message, "file-refused")


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_lint_refuses_files_that_are_not_regular(folder: Path, kind: str) -> None:
    special(folder, kind)
    code, out, elapsed = invoke("lint", "x.yaml")
    refused(code, out, elapsed, 1, "x.yaml", "not a regular file", "file-refused")


def test_lint_given_a_symlink_loop_is_a_usage_error(folder: Path) -> None:
    """A path that cannot be used at all, like one that does not exist (exit 2)."""
    special(folder, "loop")
    code, out, elapsed = invoke("lint", "x.yaml")
    refused(code, out, elapsed, 2, "x.yaml", "symlink loop")


@pytest.mark.parametrize("kind", ["fifo", "zero", "loop"])
def test_lint_of_a_folder_reports_the_file_and_checks_the_rest(folder: Path, kind: str) -> None:
    (folder / "lib").mkdir()
    special(folder / "lib", kind)
    (folder / "lib" / "good.yaml").write_text(CWT)
    code, out, elapsed = invoke("lint", "lib")
    refused(code, out, elapsed, 1, "x.yaml", "symlink loop" if kind == "loop" else "not a regular file")
    assert "1 document" in out


def test_lint_refuses_an_oversized_file(folder: Path) -> None:
    (folder / "big.yaml").write_text("a: " + "x" * yamlload.MAX_FILE_BYTES + "\n")
    code, out, elapsed = invoke("lint", "big.yaml")
    refused(code, out, elapsed, 1, "big.yaml", "byte limit", "file-refused")


def test_lint_refuses_a_file_of_too_many_documents(folder: Path) -> None:
    """460,000 tiny documents fit in 4 MiB and took lint a minute and fmt six; 1,001 are refused."""
    (folder / "t.yaml").write_text("---\na: 1\n" * (yamlload.MAX_DOCUMENTS + 1))
    code, out, elapsed = invoke("lint", "t.yaml")
    refused(code, out, elapsed, 1, "t.yaml", "documents in one file", "file-refused")
    code, out, elapsed = invoke("fmt", "t.yaml")
    refused(code, out, elapsed, 2, "t.yaml", "documents in one file")


def test_the_node_limit_counts_every_document_of_a_file() -> None:
    """Each document (about 123,000 nodes expanded) is allowed alone; three in one file are not."""
    one = "".join(line + "\n" for line in alias_bomb(0).splitlines()[:5])  # levels a to e
    assert len(list(yamlload.load_stream(one))) == 1
    assert len(list(yamlload.load_stream(one + "---\n" + one))) == 2
    with pytest.raises(yamlload.YamlSyntaxError, match="nodes in one file") as info:
        list(yamlload.load_stream("---\n".join([one] * 3)))
    assert info.value.limit


def test_read_bounded_never_reads_past_the_cap(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="not a regular file"):
        yamlload.read_bounded(special(tmp_path, "zero"))
    (tmp_path / "f.yaml").write_bytes(b"12345")
    assert yamlload.read_bounded(tmp_path / "f.yaml", limit=5) == b"12345"
    with pytest.raises(OSError, match="over the 4 byte limit"):
        yamlload.read_bounded(tmp_path / "f.yaml", limit=4)


def test_documents_within_the_limits_load_as_before() -> None:
    """Anchors and merge keys under the limits still work, shared and merged as PyYAML does."""
    docs = list(yamlload.load_stream("base: &b {x: 1}\nuse: {<<: *b, y: 2}\nlist: [*b, *b]\n"))
    assert docs[0].data == {"base": {"x": 1}, "use": {"x": 1, "y": 2}, "list": [{"x": 1}, {"x": 1}]}
    inner = yamlload.MAX_DEPTH - 1  # the mapping is the first level
    assert list(yamlload.load_stream("a: " + "[" * inner + "]" * inner))[0].data is not None
    with pytest.raises(yamlload.YamlSyntaxError, match="levels deep") as info:
        list(yamlload.load_stream("a: " + "[" * (inner + 1) + "]" * (inner + 1)))
    assert info.value.limit and info.value.line == 1


# fmt: every refusal is an input error naming the file (exit 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [(BOMB, "nodes in one file"), (DEEP_10K, "levels deep"), (DEEP_FLOW, "levels deep")],
    ids=["alias-bomb", "deep-10k", "deep-100k"],
)
def test_fmt_refuses_documents_over_the_limits(folder: Path, text: str, message: str) -> None:
    (folder / "t.yaml").write_text(text)
    code, out, elapsed = invoke("fmt", "t.yaml")
    refused(code, out, elapsed, 2, "t.yaml", message)
    assert (folder / "t.yaml").read_text() == text


@pytest.mark.parametrize("kind", ["fifo", "zero", "loop"])
def test_fmt_refuses_files_that_are_not_regular(folder: Path, kind: str) -> None:
    special(folder, kind)
    code, out, elapsed = invoke("fmt", "x.yaml")
    refused(code, out, elapsed, 2, "x.yaml")


def test_fmt_names_a_file_that_is_not_utf8(folder: Path) -> None:
    (folder / "t.yaml").write_bytes(b"a: \xff\xfe\n")
    code, out, elapsed = invoke("fmt", "t.yaml")
    refused(code, out, elapsed, 2, "t.yaml", "not UTF-8")


# diff / push: the library and wfsync.yaml, in a real git repository with the embedded target


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "repo"
    (root / "library").mkdir(parents=True)
    (root / "wfsync.yaml").write_text("library: library\nlibraryId: demo\n")
    (root / "library" / "build.yaml").write_text(CWT)
    (root / ".gitignore").write_text(".wfsync/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    monkeypatch.chdir(root)
    monkeypatch.delenv("WFSYNC_TARGET", raising=False)
    yield root


def stored(repo: Path) -> list[Path]:
    """What the embedded target holds on disk (nothing is written by a refused push)."""
    store = repo / ".wfsync" / "cluster"
    return sorted(p for p in store.rglob("*") if p.is_file()) if store.exists() else []


def test_diff_refuses_an_alias_bomb_in_the_library(repo: Path) -> None:
    (repo / "library" / "bomb.yaml").write_text(BOMB)
    code, out, elapsed = invoke("diff")
    refused(code, out, elapsed, 2, "bomb.yaml", "nodes in one file")


def test_push_refuses_an_alias_bomb_in_the_library(repo: Path) -> None:
    """push lints first: the bomb is a lint finding and nothing is pushed (exit 1)."""
    (repo / "library" / "bomb.yaml").write_text(BOMB)
    code, out, elapsed = invoke("push", "--yes")
    refused(code, out, elapsed, 1, "bomb.yaml", "nodes in one file", "nothing was pushed")
    assert stored(repo) == []


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_push_and_diff_refuse_a_library_file_that_is_not_regular(repo: Path, kind: str) -> None:
    special(repo / "library", kind)
    code, out, elapsed = invoke("diff")
    refused(code, out, elapsed, 2, "x.yaml")
    code, out, elapsed = invoke("push", "--yes")
    refused(code, out, elapsed, 1, "x.yaml", "nothing was pushed")
    assert stored(repo) == []


def test_a_non_utf8_config_is_an_input_error(repo: Path) -> None:
    (repo / "wfsync.yaml").write_bytes(b"library: library\n# \xff\xfe\n")
    code, out, elapsed = invoke("diff")
    refused(code, out, elapsed, 2, "wfsync.yaml", "not UTF-8")


def test_an_alias_bomb_in_the_config_is_an_input_error(repo: Path) -> None:
    (repo / "wfsync.yaml").write_text("library: library\nlint:\n" + alias_bomb(2))
    code, out, elapsed = invoke("diff")
    refused(code, out, elapsed, 2, "wfsync.yaml", "nodes in one file")


def test_an_unknown_full_length_ref_is_a_usage_error(repo: Path) -> None:
    code, out, elapsed = invoke("diff", "--ref", "0" * 40)
    refused(code, out, elapsed, 2, "0" * 40, "not a commit")


# convert github-actions and run


WORKFLOW = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "


def test_convert_refuses_deep_nesting_without_crashing(folder: Path) -> None:
    (folder / "ci.yml").write_text(WORKFLOW + "[" * 100_000 + "]" * 100_000 + "\n")
    code, out, elapsed = invoke("convert", "github-actions", "ci.yml", "--out-dir", "out")
    refused(code, out, elapsed, 2, "ci.yml", "Maximum object depth exceeded")  # no file converted: 2


@pytest.mark.parametrize("kind", ["fifo", "zero", "loop"])
def test_convert_refuses_files_that_are_not_regular(folder: Path, kind: str) -> None:
    special(folder, kind, "ci.yml")
    code, out, elapsed = invoke("convert", "github-actions", "ci.yml", "--out-dir", "out")
    refused(code, out, elapsed, 2, "ci.yml")


def test_run_refuses_an_alias_bomb_in_the_workflow(folder: Path) -> None:
    text = BOMB.replace("WorkflowTemplate", "Workflow", 1)
    (folder / "wf.yaml").write_text(text)
    code, out, elapsed = invoke("run", "wf.yaml")
    refused(code, out, elapsed, 2, "wf.yaml", "nodes in one file")


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_run_refuses_files_that_are_not_regular(folder: Path, kind: str) -> None:
    special(folder, kind, "wf.yaml")
    code, out, elapsed = invoke("run", "wf.yaml")
    refused(code, out, elapsed, 2, "wf.yaml")


RESOURCE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: res}
spec:
  entrypoint: make
  templates:
    - name: make
      resource:
        action: create
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: cm-one}
          data:
"""


def test_run_fails_a_resource_whose_manifest_is_an_alias_bomb(repo: Path) -> None:
    (repo / "wf.yaml").write_text(RESOURCE + alias_bomb(12))
    code, out, elapsed = invoke("run", "wf.yaml")
    refused(code, out, elapsed, 1, "resource manifest is over a YAML input limit", "nodes in one file")
