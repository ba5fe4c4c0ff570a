"""Go durations: what ``retryStrategy.backoff``, ``timeout`` and suspends accept, and messages print."""

from __future__ import annotations

import pytest

from wfsync.engine.durations import go_float, humanize_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (10, 10.0),
        (2.5, 2.5),
        ("10", 10.0),
        (" 30 ", 30.0),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("100ns", 1e-7),
    ],
)
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty duration"),
        ("10x", 'time: invalid duration "10x"'),
        ("s", 'time: invalid duration "s"'),
        ("1m5", 'time: missing unit in duration "1m5"'),
    ],
)
def test_parse_duration_refuses_what_go_refuses(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 seconds"), (1, "1 second"), (10.4, "10 seconds"), (59.6, "1 minute"), (150, "2 minutes")],
)
def test_humanize_duration(seconds: float, text: str) -> None:
    assert humanize_duration(seconds) == text


@pytest.mark.parametrize(("value", "text"), [(2.0, "2"), (1.5, "1.5"), (0.1234567891, "0.123456789")])
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text
