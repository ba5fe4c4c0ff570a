"""The built-in packs beyond actions.yaml: toolchains, cloud credentials, GitHub-platform actions.

Each family is checked end to end through the converter: the image later run steps get, the step
verdict and note in the report, and (for unsupported actions) the step that fails with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.convert.helpers import convert, params, template
from tests.convert.test_corpus_convert import _check_outputs as check_outputs
from wfsync.commands.convert import render_yaml
from wfsync.convert.gha import load_rules
from wfsync.convert.gha.convert import Conversion
from wfsync.convert.gha.report import AuditReport, generic_actions, render_text
from wfsync.convert.gha.rules import RuleError


def _job(uses: str, with_: str = "", then: str = "      - run: echo hi\n") -> str:
    step = f"      - uses: {uses}\n" + (f"        with: {with_}\n" if with_ else "")
    return f"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n{step}{then}"


def _steps(conversion: Conversion) -> list[dict[str, object]]:
    return [group[0] for group in template(conversion, "job-a")["steps"] if group[0]["name"] != "setup"]


def _run_image(conversion: Conversion) -> str:
    """The image of the job's last run step (the one after the setup action)."""
    return params(_steps(conversion)[-1])["image"]


@pytest.mark.parametrize(
    ("uses", "with_", "image"),
    [
        ("actions/setup-dotnet@v4", "{dotnet-version: 8.0.x}", "mcr.microsoft.com/dotnet/sdk:8.0"),
        ("actions/setup-dotnet@v4", "{dotnet-version: 8.0.1xx}", "mcr.microsoft.com/dotnet/sdk:8.0"),
        ("actions/setup-dotnet@v4", "{dotnet-version: 8.0.100}", "mcr.microsoft.com/dotnet/sdk:8.0.100"),
        ("actions/setup-dotnet@v4", "{dotnet-version: '6.x'}", "mcr.microsoft.com/dotnet/sdk:6.0"),
        (
            "actions/setup-dotnet@v4",
            '{dotnet-version: "5.0.x\\n6.0.x\\n"}',
            "mcr.microsoft.com/dotnet/sdk:6.0",
        ),
        (
            "actions/setup-dotnet@v4",
            '{dotnet-version: "10.0.x\\n9.0.x\\n"}',
            "mcr.microsoft.com/dotnet/sdk:10.0",
        ),
        ("ruby/setup-ruby@v1", "{ruby-version: 2.7, bundler-cache: true}", "ruby:2.7"),
        ("ruby/setup-ruby@v1", "{bundler-cache: true}", "ruby:3.3"),
        ("ruby/setup-ruby@v1", "{ruby-version: jruby-9.4}", "jruby:9.4"),
        ("shivammathur/setup-php@v2", "{php-version: '8.0'}", "php:8.0-cli"),
        ("hashicorp/setup-terraform@v3", "{terraform_version: v0.13.2}", "hashicorp/terraform:0.13.2"),
        ("erlef/setup-beam@v1", "{otp-version: '26.0', elixir-version: '1.15.2'}", "elixir:1.15.2"),
        ("erlef/setup-beam@v1", "{otp-version: '26.0'}", "erlang:26.0"),
        ("r-lib/actions/setup-r@v2", "", "rocker/r-ver:4"),
        ("actions-rs/toolchain@v1", "{toolchain: stable, components: clippy}", "rust:1"),
        ("dtolnay/rust-toolchain@1.70", "", "rust:1.70"),
        ("dtolnay/rust-toolchain@master", "{toolchain: nightly}", "rustlang/rust:nightly"),
        ("actions/setup-haskell@v1", "{ghc-version: '8.10.3'}", "haskell:8.10"),
        ("dart-lang/setup-dart@v1", "", "dart:stable"),
    ],
)
def test_toolchain_actions_choose_the_image_of_the_version_asked_for(
    uses: str, with_: str, image: str
) -> None:
    conversion = convert(_job(uses, with_))
    assert _run_image(conversion) == image
    entry = conversion.report.steps[0]
    assert entry.verdict in ("known", "partial") and entry.note.startswith("later run steps use")
    assert not conversion.report.manual.actions


def test_a_matrix_version_reaches_the_image_as_an_argo_expression() -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
        "        ruby-version: ['3.2', '3.3']\n    steps:\n"
        "      - uses: ruby/setup-ruby@v1\n        with: {ruby-version: '${{ matrix.ruby-version }}'}\n"
        "      - run: bundle exec rake\n"
    )
    image = _run_image(convert(text))
    # the rule normalises the version, so the image is computed per leg, not from a guess
    assert image == '{{=["ruby:3.2", "ruby:3.3"][int(inputs.parameters.leg)]}}'


def test_a_run_time_input_the_rule_compares_becomes_a_run_time_choice() -> None:
    """``push: ${{ github.event_name != 'pull_request' }}`` is decided at run time, not now."""
    text = (
        "on: [push, pull_request]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n"
        "        with: {push: \"${{ github.event_name != 'pull_request' }}\", tags: 'x/y:1'}\n"
    )
    conversion = convert(text)
    push = params(_steps(conversion)[0])["push"]
    assert push.startswith("{{=") and "github-event-name" in push and push.endswith('? "true" : "false"}}')
    assert conversion.report.steps[0].verdict == "known"


def test_a_run_time_input_the_rule_cannot_follow_is_partial_and_named() -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n        with: {push: '${{ github.ref_name }}'}\n"
    )
    entry = convert(text).report.steps[0]
    assert entry.verdict == "partial" and "${{ github.ref_name }}" in entry.note


def test_partial_toolchain_notes_say_what_the_image_lacks() -> None:
    conversion = convert(_job("shivammathur/setup-php@v2", "{php-version: '8.3', tools: phpmd}"))
    entry = conversion.report.steps[0]
    assert (entry.name, entry.verdict) == ("shivammathur/setup-php", "partial")
    assert "composer" in entry.note
    assert conversion.report.verdict == "partial"


def test_setup_gradle_runs_nothing_and_says_so() -> None:
    text = _job(
        "actions/setup-java@v4",
        "{java-version: '21'}",
        "      - uses: gradle/actions/setup-gradle@v4\n      - run: ./gradlew build\n",
    )
    conversion = convert(text)
    assert _run_image(conversion) == "eclipse-temurin:21-jdk"  # setup-gradle keeps the JDK image
    assert len(_steps(conversion)) == 1
    assert (
        conversion.report.steps[1].verdict == "partial"
        and "gradle-version" in conversion.report.steps[1].note
    )


def test_cloud_credentials_are_partial_with_instructions_and_secret_inputs_reported() -> None:
    conversion = convert(
        _job(
            "aws-actions/configure-aws-credentials@v4",
            "{aws-access-key-id: '${{ secrets.AWS_ACCESS_KEY_ID }}', aws-region: us-east-1}",
            "      - run: aws sts get-caller-identity\n",
        )
    )
    entry = conversion.report.steps[0]
    assert (entry.name, entry.verdict) == ("aws-actions/configure-aws-credentials", "partial")
    assert "IRSA" in entry.note and "AWS_ACCESS_KEY_ID" in entry.note
    assert len(_steps(conversion)) == 1  # no step of its own: nothing pretends to log in
    assert any("aws-access-key-id holds a secret" in a for a in conversion.report.attention)
    assert not conversion.report.manual.actions


@pytest.mark.parametrize(
    ("uses", "reason"),
    [
        ("github/codeql-action/upload-sarif@v3", "code scanning"),
        ("github/codeql-action/init@v3", "code scanning"),
        ("actions/deploy-pages@v4", "GitHub Pages"),
        ("actions/stale@v9", "closes GitHub issues"),
        ("actions/github-script@v7", "GitHub API"),
        ("actions/dependency-review-action@v4", "dependency graph"),
    ],
)
def test_github_platform_actions_are_unsupported_and_fail_loudly(uses: str, reason: str) -> None:
    conversion = convert(_job(uses, "{sarif_file: results.sarif}"))
    entry = conversion.report.steps[0]
    assert entry.verdict == "unsupported" and reason in entry.note
    assert not conversion.report.manual.actions  # not an "action without a rule"
    failing = _steps(conversion)[0]
    assert failing["templateRef"]["name"] == "shell"  # type: ignore[index]
    script = params(failing)["script"]
    assert "exit 1" in script and reason in script
    assert conversion.report.verdict == "partial"


def test_the_summary_counts_platform_actions_as_unsupported_not_unknown() -> None:
    report = AuditReport()
    for uses in ("github/codeql-action/upload-sarif@v3", "acme/unheard-of@v1", "actions/setup-dotnet@v4"):
        report.workflows.append(convert(_job(uses)).report)
    assert report.step_verdicts() == {"unsupported": 1, "generic": 1, "known": 4}
    assert dict(report.manual().actions) == {}
    assert generic_actions(report) == {"acme/unheard-of@v1": 1}
    assert report.to_json()["summary"]["steps"]["unsupported"] == 1
    text = render_text(report)
    assert "github/codeql-action/upload-sarif): unsupported" in text


def test_a_version_from_env_is_folded_before_the_rule_normalises_it() -> None:
    """``${{ env.X }}`` known at conversion time reaches the template as its value (6.0.x -> 6.0)."""
    text = (
        "on: push\nenv:\n  DOTNET_VERSION: '6.0.x'\n  PHP_VERSION: '8.x'\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/setup-dotnet@v4\n        with: {dotnet-version: '${{ env.DOTNET_VERSION }}'}\n"
        "      - run: dotnet build\n"
        "      - uses: shivammathur/setup-php@v2\n        with: {php-version: '${{ env.PHP_VERSION }}'}\n"
        "      - run: php -v\n"
    )
    steps = _steps(convert(text))
    assert params(steps[0])["image"] == "mcr.microsoft.com/dotnet/sdk:6.0"
    assert params(steps[1])["image"] == "php:8-cli"


_AWS_JOB = """on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo before
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: ${{ secrets.AWS_KEY_ID_IN_GITHUB }}
          aws-secret-access-key: ${{ secrets.AWS_SECRET_IN_GITHUB }}
          aws-region: eu-west-1
      - run: aws s3 ls
      - run: echo "$AWS_REGION ${{ env.AWS_DEFAULT_REGION }}"
"""


def _exports(step: dict[str, object]) -> list[str]:
    return [line for line in params(step).get("env", "").splitlines() if line.startswith("AWS_")]


def test_aws_credentials_reach_later_run_steps_from_a_secret_only() -> None:
    conversion = convert(_AWS_JOB)
    before, *later = _steps(conversion)
    assert len(later) == 2  # the action itself is no step
    assert "credentials-env" not in params(before) and _exports(before) == []
    for step in later:
        assert params(step)["credentials-env"] == "aws-credentials"
        assert "secret-env" not in params(step)  # nothing read from github-secrets
        assert _exports(step) == ["AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"]
    assert params(later[1])["script"] == 'echo "$AWS_REGION ${AWS_DEFAULT_REGION}"'  # read at run time


def test_aws_credentials_inline_no_secret_and_the_report_lists_the_secret_and_keys() -> None:
    conversion = convert(_AWS_JOB)
    document = json.dumps(list(yaml.safe_load_all(render_yaml(conversion))))  # without comments
    scripts = "".join(params(s).get("script", "") for s in _steps(conversion))
    for name in (
        "AWS_KEY_ID_IN_GITHUB",
        "AWS_SECRET_IN_GITHUB",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        assert name not in document and name not in scripts
    assert not conversion.report.manual.secrets  # the GitHub secrets are not read in Argo
    task = next(t for t in conversion.report.manual.other if "aws-credentials" in t)
    assert "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in task and "optional: AWS_SESSION_TOKEN" in task
    assert any(
        "aws-secret-access-key holds a secret" in a and "aws-credentials" in a
        for a in conversion.report.attention
    )
    entry = conversion.report.steps[1]
    assert entry.verdict == "partial" and "workload identity" in entry.note
    report = AuditReport()
    report.workflows.append(conversion.report)
    assert "create the Secret aws-credentials with keys AWS_ACCESS_KEY_ID" in render_text(report)


def test_aws_credentials_output_passes_lint_and_the_crd_schema(tmp_path: Path) -> None:
    (tmp_path / "aws.yaml").write_text(render_yaml(convert(_AWS_JOB)))
    assert check_outputs(tmp_path) == []


@pytest.mark.parametrize(
    ("rule", "line", "message"),
    [
        ("    env-from-secret: aws-credentials\n", 4, "'env-from-secret' must be a mapping"),
        (
            "    env-from-secret:\n      secret: s\n      keys: [A]\n      prefix: X\n",
            7,
            "unknown key 'prefix'",
        ),
        (
            "    env-from-secret:\n      secret: s\n      keys: {A: b}\n",
            6,
            "'keys' must be a string or a list",
        ),
        ("    env-from-secret:\n      secret: s\n      keys: [AWS-KEY]\n", 6, "not an environment variable"),
        (
            "    env-from-secret:\n      secret: Bad_Name\n      keys: [A]\n",
            5,
            "not a Kubernetes Secret name",
        ),
        ("    env-from-secret:\n      secret: s\n", 5, "'keys' is required"),
        ("    env: [A]\n", 4, "'env' must be a mapping"),
        ("    env:\n      1X: y\n", 5, "not an environment variable"),
    ],
)
def test_bad_env_from_secret_names_file_and_line(tmp_path: Path, rule: str, line: int, message: str) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(f"kind: wfsync/gha-rules\nactions:\n  - uses: acme/login\n{rule}")
    with pytest.raises(RuleError) as info:
        load_rules([pack])
    assert info.value.path == pack and info.value.line == line
    assert message in str(info.value)
