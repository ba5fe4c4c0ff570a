"""The shared layout of converted documents: one-line parameters only where a reader takes them back."""

from __future__ import annotations

import io

import pytest
import yaml

from wfsync.convert.layout import commented, short_parameter
from wfsync.fmt.formatter import new_yaml


@pytest.mark.parametrize(
    ("name", "value", "one_line"),
    [
        ("job", "jobs/build", True),
        ("b", "?y", False),  # {name: b, value: ?y} is not YAML any reader loads
        ("b", ":x", False),
        ("?b", "x", False),
        ("b", "two\nlines", False),
        ("b", "x" * 80, False),
    ],
)
def test_parameters_written_on_one_line_load_back(name: str, value: str, one_line: bool) -> None:
    document = {"arguments": {"parameters": [{"name": name, "value": value}]}}
    assert short_parameter(document["arguments"]["parameters"][0]) is one_line
    buffer = io.StringIO()
    new_yaml().dump(commented(document), buffer)
    assert yaml.safe_load(buffer.getvalue()) == document
    assert ("{name:" in buffer.getvalue()) is one_line
