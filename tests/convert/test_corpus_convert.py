"""Every converted workflow passes ``wfsync lint`` (library as context) and Argo's full CRD schema."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT, corpus_path
from tests.support.crd_schema import validate_document
from wfsync.commands.convert import render_yaml, run_convert_github_actions
from wfsync.convert.gha import convert_text, load_rules
from wfsync.convert.gha.report import summary_lines
from wfsync.lint.linter import LintOptions, lint_paths

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"


def _check_outputs(folder: Path) -> list[str]:
    problems = []
    report = lint_paths([folder], LintOptions(context=(REPO_ROOT / "library",)))
    problems += [
        f"{f.path.name}:{f.line}: {f.rule}: {f.message}"
        for f in report.findings
        if f.severity.value == "error"
    ]
    for path in sorted(folder.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            problems += [f"{path.name}: {e}" for e in validate_document(document)]
    return problems


@pytest.mark.corpus
@pytest.mark.slow
def test_starter_workflows_all_get_a_verdict_and_valid_output(tmp_path: Path) -> None:
    source = corpus_path("gha", "starter-workflows")
    started = time.perf_counter()
    result = run_convert_github_actions([source], out_dir=tmp_path, starter=True)
    seconds = time.perf_counter() - started
    workflows = result.audit.workflows
    assert len(workflows) == 175
    crashes = [w.source for w in workflows if "internal error" in w.error]
    assert not crashes
    print(f"\nstarter workflows: {len(workflows)} converted in {seconds:.2f}s")
    print("\n".join(summary_lines(result.audit)[:10]))
    failed = {w.source.name: w.error for w in workflows if w.verdict == "failed"}
    print("failed (invalid input):", failed)
    assert set(failed) <= {"codeql.yml", "nowsecure.yml", "nowsecure-mobile-sbom.yml"}
    assert _check_outputs(tmp_path) == []


@pytest.mark.corpus
def test_valid_parser_corpus_cases_convert_to_valid_argo(tmp_path: Path) -> None:
    rules = load_rules()
    count = 0
    for path in sorted(corpus_path("gha", "parser").glob("*.yml")):
        parts = path.read_text().split("\n---\n")
        if '"errors"' in parts[-1]:
            continue
        conversion = convert_text(parts[1], Path(path.name), rules)
        if conversion.document is None:
            continue  # a call to a workflow of another repository needs its text; see test_parse
        (tmp_path / f"{path.stem}.yaml").write_text(render_yaml(conversion))
        count += 1
    assert count > 90
    assert _check_outputs(tmp_path) == []


def test_fixtures_convert_to_valid_argo(tmp_path: Path) -> None:
    result = run_convert_github_actions([FIXTURES], out_dir=tmp_path)
    assert [w.verdict for w in result.audit.workflows] == ["partial", "partial", "successful"]
    if corpus_path("argo", "crds").exists():
        assert _check_outputs(tmp_path) == []


@pytest.mark.parametrize("name", ["ci", "nightly", "simple"])
def test_golden(name: str, tmp_path: Path) -> None:
    """``fixtures/<name>.yml`` converts to ``golden/<name>.yaml``; WFSYNC_REGENERATE=1 rewrites (never in CI)."""
    result = run_convert_github_actions([FIXTURES / f"{name}.yml"])
    text = result.files[0].text
    assert text is not None
    text = text.replace(str(FIXTURES), "tests/convert/fixtures")
    expected = GOLDEN / f"{name}.yaml"
    if os.environ.get("WFSYNC_REGENERATE") == "1" and os.environ.get("CI") != "true":
        expected.write_text(text)
    assert text == expected.read_text()
