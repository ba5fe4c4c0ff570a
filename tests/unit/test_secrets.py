"""The secret list: each name pattern and value shape, the names it must leave alone, and pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wfsync import secrets
from wfsync.secrets import REDACTED, REDACTED_CHANGED, is_secret_name, mask, mask_pair, mask_text

README = Path(__file__).resolve().parents[2] / "README.md"

SECRET_NAMES = [
    # stems, anywhere, whatever the separators
    "password", "DB_PASSWORD", "dbPassword", "passwd", "passphrase", "secret", "clientSecret",
    "GITHUB_TOKEN", "tokens", "accessToken", "credentials", "AWS_CREDENTIAL_FILE_CONTENT",
    "apiKey", "API_KEY", "api-key", "privateKey", "PRIVATE_KEY", "accessKeyId", "awsSecretKey",
    "signingKey", "SLACK_WEBHOOK_URL", "slackWebhookUrl", "SLACKWEBHOOKURL", "connectionString",
    # words
    "auth", "AUTH_HEADER", "basicAuth", "Authorization", "oauth", "creds", "SENTRY_DSN", "pwd",
    "cookie",
    # last words
    "DB_PASS", "smtp-pass", "pass", "GITHUB_PAT", "pat",
    # pairs
    "hookUrl", "conn_str",
]  # fmt: skip

NOT_SECRET_NAMES = [
    "passthrough", "compass", "bypass", "COMPASS_URL", "author", "AUTHOR_NAME", "authority",
    "path", "pattern", "patch", "patience", "image", "name", "value", "key", "url", "webhook",
    "secretName", "secretKeyRef", "tokenPath", "PASSWORD_FILE", "credentialsDir", "secretRefs",
    "passwordRef", "serviceAccountName", "DBPASS", "PATH", "keyFormat", "",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_names_that_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_every_secret_name_is_also_caught_inside_text(name: str) -> None:
    # the cheap substring gates in front of the text shapes must let every secret name through
    assert mask_text(f"export {name}=s3cr3t; run --{name} s3cr3t") == (
        f"export {name}={REDACTED}; run --{name} {REDACTED}"
    )


@pytest.mark.parametrize("name", [n for n in NOT_SECRET_NAMES if n])
def test_names_that_are_not_secrets_stay_readable_in_text(name: str) -> None:
    assert mask_text(f"{name}=visible") == f"{name}=visible"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://user:hunter2@example.com/x", f"https://user:{REDACTED}@example.com/x"),
        ("postgres://app:s3cr3t@db:5432/app", f"postgres://app:{REDACTED}@db:5432/app"),
        (
            "git clone https://x-access-token:abc@github.com/o/r",
            f"git clone https://x-access-token:{REDACTED}@github.com/o/r",
        ),
        (
            "curl https://hooks.slack.com/services/T00/B00/XXXX",
            f"curl https://hooks.slack.com/services/{REDACTED}",
        ),
        ("https://discord.com/api/webhooks/123/abc", f"https://discord.com/api/webhooks/{REDACTED}"),
        ("login --password=hunter2 --user bob", f"login --password={REDACTED} --user bob"),
        ("login --password hunter2", f"login --password {REDACTED}"),
        ("cli --token 'a b c' next", f"cli --token {REDACTED} next"),
        ("cli --api-key=xyz", f"cli --api-key={REDACTED}"),
        ("export DB_PASS=hunter2", f"export DB_PASS={REDACTED}"),
        ('GITHUB_TOKEN="abc" make', f"GITHUB_TOKEN={REDACTED} make"),
        ("password: hunter2\nuser: bob", f"password: {REDACTED}\nuser: bob"),
        ('{"apiKey": "abc"}', f'{{"apiKey": {REDACTED}}}'),
        (
            "https://api.example.com/v1?token=abc&page=2",
            f"https://api.example.com/v1?token={REDACTED}&page=2",
        ),
        ("-H 'Authorization: Bearer abcdefgh1234'", f"-H 'Authorization: Bearer {REDACTED}'"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {REDACTED}"),
        ("ghp_" + "a" * 36, REDACTED),
        ("echo gho_" + "B" * 36 + " done", f"echo {REDACTED} done"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", REDACTED),
        ("glpat-abcdefghijklmnopqrst", REDACTED),
        ("xoxb-1234567890-abcdefghij", REDACTED),
        ("key AKIAIOSFODNN7EXAMPLE here", f"key {REDACTED} here"),
        ("sk-proj-abcdefghijklmnopqrstuvwx", REDACTED),
        ("sk_live_abcdefghijk", REDACTED),
        ("AIza" + "b" * 35, REDACTED),
        ("npm_" + "c" * 36, REDACTED),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            REDACTED,
        ),
        (
            "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nb",
            f"a\n-----BEGIN RSA PRIVATE KEY-----{REDACTED}-----END RSA PRIVATE KEY-----\nb",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----",
            f"-----BEGIN OPENSSH PRIVATE KEY-----{REDACTED}-----END OPENSSH PRIVATE KEY-----",
        ),
    ],
)
def test_value_shapes_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        # references: the wiring, not the secret
        "--password={{inputs.parameters.password}}",
        "--token ${{ secrets.GITHUB_TOKEN }}",
        "export GITHUB_TOKEN=$GITHUB_TOKEN",
        "PASSWORD=${DB_PASSWORD} ./run",
        "token: {{workflow.parameters.token}}",
        "password: $(cat /run/secrets/pw)",
        "https://user:{{inputs.parameters.pw}}@example.com",
        "Authorization: Bearer $TOKEN",
        # ordinary content
        "python:3.11-slim",
        "https://github.com/argoproj/argo-workflows",
        "git@github.com:org/repo.git",
        "ls -la --color=auto /tmp",
        "pass_through --passthrough=yes",
        "compass: north",
        "author: Jane",
        "secretName: my-secret",
        "path: /tmp/token",
        "echo 'password:'",
        "sk-short",
        "ghp_short",
        "--password --other",
        "http://localhost:8080/path@x",
    ],
)
def test_references_and_ordinary_text_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_structures_mask_by_name_and_by_shape() -> None:
    doc: dict[str, Any] = {
        "env": [
            {"name": "GITHUB_PAT", "value": "abc"},
            {"name": "AUTH_HEADER", "value": "xyz"},
            {"name": "SLACK_WEBHOOK_URL", "value": "https://example.com/hook"},
            {"name": "HOME", "value": "/root"},
        ],
        "args": ["login", "--password", "hunter2", "--user", "bob", "--token=abc"],
        "password": {"name": "pw-secret", "key": "password"},
        "automountServiceAccountToken": False,
        "script": "curl -u admin:x https://a:b@h/",
    }
    assert mask(doc) == {
        "env": [
            {"name": "GITHUB_PAT", "value": REDACTED},
            {"name": "AUTH_HEADER", "value": REDACTED},
            {"name": "SLACK_WEBHOOK_URL", "value": REDACTED},
            {"name": "HOME", "value": "/root"},
        ],
        "args": ["login", "--password", REDACTED, "--user", "bob", f"--token={REDACTED}"],
        # a reference to a secret stays readable: it is judged by its own keys
        "password": {"name": "pw-secret", "key": "password"},
        "automountServiceAccountToken": False,
        "script": f"curl -u admin:x https://a:{REDACTED}@h/",
    }


@pytest.mark.parametrize(
    ("before", "after", "expected_after"),
    [
        # a token inside a script: the script still shows as changed, at the token
        (
            {"script": "echo ghp_" + "a" * 36 + " ok"},
            {"script": "echo ghp_" + "b" * 36 + " ok"},
            {"script": f"echo {REDACTED_CHANGED} ok"},
        ),
        # two secrets in one string: only the one that changed says so
        (
            {"s": "--password=a --token=b"},
            {"s": "--password=a --token=c"},
            {"s": f"--password={REDACTED} --token={REDACTED_CHANGED}"},
        ),
        # the value after a flag in an argument list
        (
            {"args": ["--password", "a"]},
            {"args": ["--password", "b"]},
            {"args": ["--password", REDACTED_CHANGED]},
        ),
        # a flag that appears on one side only still hides the value on both
        ({"args": ["--user", "a"]}, {"args": ["--token", "a"]}, {"args": ["--token", REDACTED]}),
        # new names
        ({"DB_PASS": "a"}, {"DB_PASS": "b"}, {"DB_PASS": REDACTED_CHANGED}),
        (
            {"url": "https://u:p1@h"},
            {"url": "https://u:p2@h"},
            {"url": f"https://u:{REDACTED_CHANGED}@h"},
        ),
        # a type change: the side that is not a container is masked alone
        ({"token": "abc"}, {"token": {"name": "s"}}, {"token": {"name": "s"}}),
    ],
)
def test_pairs_keep_changes_visible(
    before: dict[str, Any], after: dict[str, Any], expected_after: Any
) -> None:
    old, new = mask_pair(before, after)
    assert old != new
    assert new == expected_after
    assert "hunter2" not in repr((old, new)) and "p1" not in repr(old) and "abc" not in repr(old)


def test_the_readme_documents_every_name_rule() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Security model") :]
    rules = [
        *secrets._STEMS,
        *secrets._WORDS,
        *secrets._LAST_WORDS,
        *(f"{a} {b}" for a, b in secrets._PAIRS),
        *secrets._NOT_SECRET_LAST - {"refs"},
    ]
    missing = [rule for rule in rules if f"`{rule}`" not in section]
    assert not missing, f"README's Security model does not list {missing}"
