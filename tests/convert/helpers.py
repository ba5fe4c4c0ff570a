"""Shared helpers for converter tests."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from wfsync.convert.gha import convert_text, load_rules
from wfsync.convert.gha.convert import Conversion
from wfsync.convert.gha.rules import RuleSet


@functools.cache
def rules() -> RuleSet:
    return load_rules()


def convert(text: str, name: str = "w.yml", **options: Any) -> Conversion:
    conversion = convert_text(text, Path(name), rules(), **options)
    assert conversion.report.error == "", conversion.report.error
    return conversion


def spec(conversion: Conversion) -> dict[str, Any]:
    assert conversion.document is not None
    doc = conversion.document
    return doc["spec"]["workflowSpec"] if doc["kind"] == "CronWorkflow" else doc["spec"]


def template(conversion: Conversion, name: str) -> dict[str, Any]:
    return next(t for t in spec(conversion)["templates"] if t["name"] == name)


def tasks(conversion: Conversion) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in template(conversion, "main")["dag"]["tasks"]}


def params(step: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in step.get("arguments", {}).get("parameters", [])}
