"""The lint cache: a second run over unchanged files reuses results; changes invalidate them."""

from __future__ import annotations

from pathlib import Path

from wfsync.lint.linter import LintOptions, lint_paths

GOOD = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: t}\nspec:\n  templates:\n    - name: a\n      container: {image: busybox}\n"


def test_second_run_uses_cache_and_edits_invalidate(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(3):
        (lib / f"t{i}.yaml").write_text(GOOD.replace("name: t}", f"name: t{i}}}"))
    options = LintOptions(cache_dir=tmp_path / "cache")
    first = lint_paths([lib], options)
    assert (first.cached_files, first.findings) == (0, ())
    assert (tmp_path / "cache").is_dir()
    second = lint_paths([lib], options)
    assert second.cached_files == 3 and second.findings == ()
    (lib / "t1.yaml").write_text(GOOD.replace("name: t}", "name: t1}").replace("image", "imag"))
    third = lint_paths([lib], options)
    assert third.cached_files == 2
    assert [f.rule for f in third.findings] == ["schema-unknown-field"]
    fourth = lint_paths([lib], options)
    assert fourth.cached_files == 3 and [f.rule for f in fourth.findings] == ["schema-unknown-field"]


def test_cross_file_checks_are_redone_from_cached_summaries(tmp_path: Path) -> None:
    (tmp_path / "wft.yaml").write_text(GOOD)
    wf = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: w-}\nspec:\n  entrypoint: m\n"
        "  templates:\n    - name: m\n      steps:\n        - - name: s\n            templateRef: {name: t, template: a}\n"
    )
    (tmp_path / "wf.yaml").write_text(wf)
    options = LintOptions(cache_dir=tmp_path / "cache")
    assert lint_paths([tmp_path], options).findings == ()
    (tmp_path / "wft.yaml").write_text(GOOD.replace("name: a", "name: b"))
    report = lint_paths([tmp_path], options)
    assert report.cached_files == 1  # wf.yaml unchanged, but its reference is checked again
    assert [(f.path.name, f.rule, f.line) for f in report.findings] == [
        ("wf.yaml", "templateref-not-found", 10)
    ]


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(GOOD)
    lint_paths([tmp_path / "t.yaml"], LintOptions())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.yaml"]


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(GOOD)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "lint-v1.json").write_text("{not json")
    report = lint_paths([tmp_path / "t.yaml"], LintOptions(cache_dir=cache))
    assert report.findings == () and report.cached_files == 0


LIB_MOUNTS = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
    - name: build
      inputs: {parameters: [{name: message}]}
      container:
        image: busybox
        volumeMounts: [{name: workspace, mountPath: /w}]
"""
CALLER = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: w-}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: s
            templateRef: {name: lib, template: build}
            arguments: {parameters: [{name: mesage, value: hi}]}
"""


def test_call_findings_from_a_warm_cache_equal_a_cold_run(tmp_path: Path) -> None:
    """Cached call facts (decoded lazily) give the same cross-document findings as a fresh digest."""
    (tmp_path / "lib.yaml").write_text(LIB_MOUNTS)
    (tmp_path / "wf.yaml").write_text(CALLER)
    for i in range(3):  # documents that call nothing and mount nothing are cached but never followed
        (tmp_path / f"t{i}.yaml").write_text(GOOD.replace("name: t}", f"name: t{i}}}"))
    options = LintOptions(cache_dir=tmp_path / "cache")
    cold = lint_paths([tmp_path], options)
    warm = lint_paths([tmp_path], options)
    assert warm.cached_files == 5
    assert warm.findings == cold.findings
    assert sorted((f.path.name, f.rule, f.line, f.column) for f in warm.findings) == [
        ("wf.yaml", "argument-unknown", 11, 45),
        ("wf.yaml", "input-not-supplied", 9, 13),
        ("wf.yaml", "volume-undeclared", 9, 13),
    ]
    assert lint_paths([tmp_path], LintOptions()).findings == cold.findings
