"""Reading workflows as GitHub does: YAML 1.2, the schema, GitHub's extra rules, and its test corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from wfsync.convert.gha.parse import InvalidWorkflow, ParseOptions, parse_workflow
from wfsync.convert.gha.yaml12 import YamlError, load, to_python

# Cases of GitHub's parser corpus this parser decides differently, and why. The test fails when
# one of them starts to agree, so the list stays true.
EXCEPTIONS = {
    "errors-max-result-size.yml": "the limit is on the size of GitHub's parsed result object, which includes "
    "its own source bookkeeping; the same workflow is valid with a limit of 1128 (max-result-size.yml)",
    "errors-reusable-workflow-max-result-size.yml": "same result-size accounting, for a called workflow",
    "events-single-invalid.yml": "only GitHub's TypeScript parser rejects unknown keys under workflow_dispatch "
    "(skipped for C# and Go); wfsync follows the runner's C# parser, which ignores them "
    "(on-workflow_dispatch-unknown-keys-ignored.yml is valid for all three)",
    "events-single-invalid-config.yml": "TypeScript-only strict check of event configuration, as above",
}


def _cases() -> list[Path]:
    return sorted(corpus_path("gha", "parser").glob("*.yml"))


def _split(path: Path) -> tuple[dict[str, object], str, dict[str, str], bool]:
    parts = path.read_text(encoding="utf-8").split("\n---\n")
    options = to_python(load(parts[0])) or {}
    expected = json.loads(parts[-1])
    middle = parts[2:-1]
    called = {middle[i].strip(): middle[i + 1] for i in range(0, len(middle) - 1, 2)}
    return options, parts[1], called, "errors" in expected


@pytest.mark.corpus
def test_github_parser_corpus() -> None:
    accepted = rejected = 0
    wrong: list[str] = []
    agreed_exceptions: list[str] = []
    cases = _cases()
    for path in cases:
        options, text, called, is_error = _split(path)
        parse_options = ParseOptions(
            max_file_size=options.get("max-file-size"),  # type: ignore[arg-type]
            max_depth=options.get("max-depth", 50),  # type: ignore[arg-type]
            max_job_limit=options.get("max-job-limit"),  # type: ignore[arg-type]
            max_nested_depth=options.get("max-nested-reusable-workflows-depth", 10),  # type: ignore[arg-type]
            resolve=called.get,
            permissions_policy=str(options.get("permissions-policy", "Write")),
        )
        try:
            parse_workflow(text, Path(path.name), parse_options)
            got_error = False
        except InvalidWorkflow:
            got_error = True
        agrees = got_error == is_error
        if path.name in EXCEPTIONS:
            if agrees:
                agreed_exceptions.append(path.name)
            continue
        if not agrees:
            wrong.append(f"{path.name}: expected {'an error' if is_error else 'valid'}")
        elif got_error:
            rejected += 1
        else:
            accepted += 1
    print(
        f"\nGitHub parser corpus: {len(cases)} cases, {accepted} valid accepted, {rejected} errors rejected"
    )
    for name, reason in EXCEPTIONS.items():
        print(f"  exception {name}: {reason}")
    assert not wrong, wrong
    assert not agreed_exceptions, f"no longer exceptions, remove them: {agreed_exceptions}"
    assert accepted > 100 and rejected > 80


def test_on_is_a_key_not_a_boolean() -> None:
    data = to_python(load("on: push\nyes: no\nflags: [On, TRUE, y, 0o17, 0x1f, 1e3, ~]\n"))
    assert data == {"on": "push", "yes": "no", "flags": ["On", True, "y", 15, 31, 1000.0, None]}


def test_anchors_are_refused() -> None:
    with pytest.raises(YamlError, match="Anchors are not currently supported. Remove the anchor 'x'"):
        load("a: &x 1\nb: *x\n")


def test_explicit_tags_are_checked() -> None:
    with pytest.raises(YamlError, match="invalid for the type 'tag:yaml.org,2002:bool'"):
        load("a: !!bool maybe\n")
    with pytest.raises(YamlError, match="Unexpected tag 'tag:yaml.org,2002:timestamp'"):
        load("a: !!timestamp 2001-12-14\n")


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidWorkflow) as info:
        parse_workflow(text, Path("w.yml"))
    return info.value.lines()


def test_invalid_workflow_names_file_line_and_reason() -> None:
    lines = _problems("on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - runn: echo\n")
    assert lines[0].startswith("w.yml:6:9: Unexpected value 'runn'")
    err = pytest.raises(InvalidWorkflow, parse_workflow, "on: push\njobs: {}\n", Path("w.yml")).value
    assert str(err).startswith("w.yml:2: invalid workflow: The workflow must contain at least one job")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("on: push\njobs:\n  a:\n    needs: b\n    runs-on: x\n    steps: [{run: x}]\n", "unknown job 'b'"),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    if: env.X == 1\n    steps: [{run: x}]\n",
            "Unrecognized named-value: 'env'",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{uses: nope}]\n",
            "Expected format {org}/{repo}[/path]@ref",
        ),
        (
            "on: push\njobs:\n  a.b:\n    runs-on: x\n    steps: [{run: x}]\n",
            "The identifier 'a.b' is invalid",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps: [{run: x}]\n",
            "'runs-on' is already defined",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    strategy: {matrix: {os: []}}\n    steps: [{run: x}]\n",
            "Matrix vector 'os'",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: '${{ secrets.X'}]\n",
            "The expression is not closed",
        ),
    ],
)
def test_github_rules_beyond_the_schema(text: str, message: str) -> None:
    assert any(message in line for line in _problems(text))


def test_step_ids_are_generated_like_github() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: a\n      - run: b\n"
    workflow = parse_workflow(text, Path("w.yml"))
    assert [s.id for s in workflow.jobs["a"].steps] == ["__actions_checkout", "__run", "__run_2"]
