"""``retryStrategy``: the Retry node's verdict after each attempt, and backoff (``processNodeRetries``).

The policy and backoff arithmetic are pure functions; the mixin applies them to a Retry node.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping

from wfsync.engine import status as st
from wfsync.engine.durations import go_float, humanize_duration, parse_duration
from wfsync.engine.nodes import OperationState
from wfsync.expressions import exprlang

_POLICIES = {
    "Always": (True, True),
    "OnFailure": (True, False),
    "OnError": (False, True),
    "OnTransientError": (False, False),
}


def retry_on(policy: str) -> tuple[bool, bool]:
    """(retry a Failed attempt, retry an Errored attempt) under a ``retryPolicy``."""
    found = _POLICIES.get(policy)
    if found is None:
        raise ValueError(f"{policy} is not a valid RetryPolicy")
    return found


def backoff_wait(backoff: Mapping[str, object], attempts: int) -> float:
    """Seconds to wait after attempt number ``attempts`` (1-based): ``duration * factor**(n-1)``, capped."""
    if not backoff.get("duration"):
        raise ValueError("no base duration specified for retryStrategy")
    wait = parse_duration(backoff["duration"])
    factor = backoff.get("factor")
    if factor is not None and int(str(factor)) > 0:
        wait = wait * int(str(factor)) ** (attempts - 1)
    if backoff.get("cap"):
        wait = min(wait, parse_duration(backoff["cap"]))
    return wait


class RetriesMixin(OperationState):
    """Judging a Retry node from its attempts; ``lastRetry.*`` for the next attempt."""

    def last_retry_params(self, retry_node: st.Node, current: str) -> dict[str, str]:
        """``lastRetry.*`` for the attempt about to run."""
        previous = [self.status.nodes[c] for c in retry_node.children if c in self.status.nodes]
        previous = [n for n in previous if n.name != current]
        if not previous:
            return {
                "lastRetry.exitCode": "0",
                "lastRetry.status": "",
                "lastRetry.duration": "0",
                "lastRetry.message": "",
            }
        last = previous[-1]
        code = (last.outputs or {}).get("exitCode")
        return {
            "lastRetry.exitCode": str(code) if code is not None else "-1",
            "lastRetry.status": last.phase,
            "lastRetry.duration": go_float(max(0.0, last.finished - last.started)),
            "lastRetry.message": last.message,
        }

    def process_retries(self, node: st.Node, strategy: Mapping[str, object]) -> bool:
        """``processNodeRetries``: whether to go on with an attempt now (False while backing off)."""
        if node.fulfilled:
            return True
        last = self.last_child(node)
        expression = strategy.get("expression")
        if (
            expression
            and node.children
            and last is not None
            and self._expression_ends(node, last, str(expression))
        ):
            return True
        if last is None or not last.fulfilled:
            return True
        if not last.failed_or_error:
            node.outputs = copy.deepcopy(last.outputs)
            self.mark(node, st.SUCCEEDED)
            return True
        if self.shutdown:
            self.mark(node, last.phase, f"Stopped with strategy '{self.shutdown}'")
            return True
        if self.deadline is not None and time.time() > self.deadline:
            self.mark(node, last.phase, f"retry exceeded workflow deadline {st.rfc3339(self.deadline)}")
            return True
        limit_raw = strategy.get("limit")
        limit = int(str(limit_raw)) if limit_raw is not None else None
        backoff = strategy.get("backoff")
        if isinstance(backoff, dict):
            waited = self._backoff(node, last, backoff, limit)
            if waited is not None:
                return waited
        policy = strategy.get("retryPolicy") or ("Always" if expression else "OnFailure")
        on_failed, on_error = retry_on(str(policy))
        if (last.phase == st.FAILED and not on_failed) or (last.phase == st.ERROR and not on_error):
            self.mark(node, last.phase, last.message)
            return True
        if limit is not None and len(node.children) > limit:
            self.mark(node, last.phase, "No more retries left")
            return True
        return True

    def _expression_ends(self, node: st.Node, last: st.Node, expression: str) -> bool:
        """``retryStrategy.expression`` false after a finished attempt ends the Retry node (whether it did)."""
        scope = {
            "retries": str(len(node.children) - 1),
            "lastRetry.exitCode": str((last.outputs or {}).get("exitCode", "-1")),
            "lastRetry.status": last.phase,
            "lastRetry.duration": go_float(max(0.0, (last.finished or time.time()) - last.started)),
            "lastRetry.message": last.message,
        }
        try:
            go_on = exprlang.evaluate(expression, exprlang.build_env(scope))
        except exprlang.ExprError as exc:
            raise ValueError(f"failed to evaluate retryStrategy.expression: {exc}") from None
        if go_on is not True and last.fulfilled:
            self.mark(node, last.phase, "retryStrategy.expression evaluated to false")
            return True
        return False

    def _backoff(
        self, node: st.Node, last: st.Node, backoff: Mapping[str, object], limit: int | None
    ) -> bool | None:
        """``retryStrategy.backoff``: True if it ended the node, False while waiting, None to go on."""
        max_deadline = 0.0
        if backoff.get("maxDuration") and node.children:
            first = self.status.nodes[node.children[0]]
            max_deadline = first.started + parse_duration(backoff["maxDuration"])
            if time.time() > max_deadline:
                self.mark(node, last.phase, "Max duration limit exceeded")
                return True
        wait = backoff_wait(backoff, len(node.children))
        until = last.finished + wait
        if max_deadline and until > max_deadline:
            self.mark(node, last.phase, "Backoff would exceed max duration limit")
            return True
        if time.time() < until and limit is not None and len(node.children) <= limit:
            self.wakeups.append(until)
            node.message = f"Backoff for {humanize_duration(wait)}"
            return False
        node.message = ""
        return None
