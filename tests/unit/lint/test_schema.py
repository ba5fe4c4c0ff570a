"""The shipped structural schema: regenerated from Hera's models, and checked by the walker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wfsync.lint.schema import check, generate


def problems(body: dict[str, Any], kind: str = "WorkflowTemplate") -> list[tuple[str, str]]:
    return [(".".join(map(str, p)), rule) for p, rule, _ in check.check(body, kind)]


def test_shipped_schema_matches_a_fresh_generation() -> None:
    """Like hera's check-codegen: regenerate with `python -m wfsync.lint.schema.generate`."""
    shipped = generate.SCHEMA_PATH.read_text(encoding="utf-8")
    assert generate.render(generate.generate()) == shipped


def test_unknown_fields_anywhere() -> None:
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "x", "lables": {}},
        "spec": {
            "templates": [{"name": "a", "container": {"image": "i", "volumeMount": []}}],
            "entrypoints": "a",
        },
    }
    assert sorted(problems(body)) == [
        ("metadata.lables", "schema-unknown-field"),
        ("spec.entrypoints", "schema-unknown-field"),
        ("spec.templates.0.container.volumeMount", "schema-unknown-field"),
    ]


@pytest.mark.parametrize("limit", [10, "10", "{{inputs.parameters.n}}"])
def test_int_or_string_accepts_both(limit: object) -> None:
    body = {
        "metadata": {"name": "x"},
        "spec": {"templates": [{"name": "a", "retryStrategy": {"limit": limit}}]},
    }
    assert problems(body) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "schema-type"), (1.5, "schema-type"), ("3", "schema-type"), (3, None), (3.0, None)],
)
def test_integers(value: object, expected: str | None) -> None:
    body = {"metadata": {"name": "x"}, "spec": {"parallelism": value}}
    assert problems(body) == ([("spec.parallelism", expected)] if expected else [])


def test_required_fields_and_nulls() -> None:
    body = {
        "metadata": {"name": "x"},
        "spec": {"arguments": {"parameters": [{"value": "v"}]}, "entrypoint": None},
    }
    assert problems(body) == [("spec.arguments.parameters.0.name", "schema-required")]


def test_free_form_fields_are_not_checked() -> None:
    body = {
        "metadata": {"name": "x"},
        "spec": {"templates": [{"name": "p", "plugin": {"any": {"thing": 1}}}]},
    }
    assert problems(body) == []


def test_argo_http_header_is_not_kubernetes_http_header() -> None:
    header = {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    body = {
        "metadata": {"name": "x"},
        "spec": {"templates": [{"name": "h", "http": {"url": "u", "headers": [header]}}]},
    }
    assert problems(body) == []


def test_schema_file_is_small_and_local() -> None:
    assert generate.SCHEMA_PATH.parent == Path(check.__file__).parent
    assert generate.SCHEMA_PATH.stat().st_size < 200_000
