"""Retry decisions without a run: ``retryPolicy`` and backoff arithmetic (``processNodeRetries``)."""

from __future__ import annotations

import pytest

from wfsync.engine.retries import backoff_wait, retry_on


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("Always", (True, True)),
        ("OnFailure", (True, False)),
        ("OnError", (False, True)),
        ("OnTransientError", (False, False)),
    ],
)
def test_retry_on(policy: str, expected: tuple[bool, bool]) -> None:
    assert retry_on(policy) == expected


def test_unknown_policy_is_refused_with_argos_message() -> None:
    with pytest.raises(ValueError, match="^Sometimes is not a valid RetryPolicy$"):
        retry_on("Sometimes")


def test_backoff_grows_by_factor_per_attempt() -> None:
    backoff = {"duration": "1s", "factor": 2}
    assert [backoff_wait(backoff, n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]


def test_backoff_is_capped() -> None:
    backoff = {"duration": "1s", "factor": "3", "cap": "5s"}
    assert [backoff_wait(backoff, n) for n in (1, 2, 3)] == [1.0, 3.0, 5.0]


@pytest.mark.parametrize("factor", [None, 0, "0"])
def test_backoff_without_a_positive_factor_is_constant(factor: object) -> None:
    backoff = {"duration": "2m", "factor": factor}
    assert [backoff_wait(backoff, n) for n in (1, 5)] == [120.0, 120.0]


def test_backoff_needs_a_base_duration() -> None:
    with pytest.raises(ValueError, match="no base duration specified for retryStrategy"):
        backoff_wait({"factor": 2, "maxDuration": "1m"}, 1)
