"""Rule packs: the built-in ones load; mistakes name the file and line; user packs win."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.convert.helpers import params, template
from wfsync.convert.gha import convert_text, load_rules
from wfsync.convert.gha.rules import BUILTIN_RULES, RuleError

REQUIRED = [
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "actions/setup-node@v4",
    "actions/setup-go@v5",
    "actions/setup-java@v4",
    "actions/cache@v4",
    "actions/upload-artifact@v4",
    "actions/download-artifact@v4",
    "docker/login-action@v3",
    "docker/build-push-action@v6",
]


def test_builtin_packs_cover_the_common_actions() -> None:
    rules = load_rules()
    assert set(rules.files) == set(BUILTIN_RULES.glob("*.yaml"))
    for uses in REQUIRED:
        assert rules.action(uses) is not None, uses
    assert rules.runner("ubuntu-latest") is not None and rules.runner("windows-2022").verdict == "unsupported"  # type: ignore[union-attr]
    assert rules.service("postgres:16") is not None


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("kind: wfsync/gha-rules\nactions:\n  - uses: a/b\n    colour: red\n", 4, "unknown key 'colour'"),
        (
            "kind: wfsync/gha-rules\nactions:\n  - uses: a/b\n    verdict: great\n",
            4,
            "'verdict' must be one of",
        ),
        ("kind: wfsync/gha-rules\nactions:\n  - uses: a/b@v1\n", 3, "without @ref"),
        (
            "kind: wfsync/gha-rules\nactions:\n  - uses: a/b\n    steps:\n      - template: shell\n",
            5,
            "family/template",
        ),
        (
            "kind: wfsync/gha-rules\nactions:\n  - uses: a/b\n    steps:\n      - template: shell/run\n        parameters:\n          script: '[[ inputs.x'\n",
            7,
            "template error",
        ),
        ("kind: other\n", 1, "'kind' must be wfsync/gha-rules"),
        ("kind: wfsync/gha-rules\nactions: {a: 1}\n", 2, "'actions' must be a list"),
    ],
)
def test_bad_packs_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(body)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path])
    assert str(info.value).startswith(f"{pack}:{line}: ")
    assert message in str(info.value)


def test_user_packs_take_precedence_and_add_actions(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text(
        "kind: wfsync/gha-rules\nactions:\n"
        "  - uses: acme/deploy\n    steps:\n      - template: notify/webhook\n        parameters:\n"
        "          url: 'https://deploy.example.com/[[ inputs.env ]]'\n"
        "  - uses: actions/setup-node\n    image: 'registry.example.com/node:[[ inputs[\"node-version\"] ]]'\n"
    )
    rules = load_rules([tmp_path])
    text = (
        "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: acme/deploy@v2\n        with: {env: prod}\n      - uses: actions/setup-node@v4\n        with: {node-version: '22'}\n"
        "      - run: node -v\n"
    )
    conversion = convert_text(text, Path("w.yml"), rules)
    steps = [g[0] for g in template(conversion, "job-a")["steps"] if g[0]["name"] != "setup"]
    assert (
        steps[0]["templateRef"]["name"] == "notify"
        and params(steps[0])["url"] == "https://deploy.example.com/prod"
    )
    assert params(steps[1])["image"] == "registry.example.com/node:22"
    assert conversion.report.verdict == "successful"
