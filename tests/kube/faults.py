"""Fault injection: latency, error statuses, throttling and dropped connections, by count or by match."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal

FaultAction = Literal["status", "drop", "lose", "throttle", "delay"]


@dataclass
class Fault:
    """One injected misbehaviour for requests matching ``verb`` and ``path`` (both optional).

    ``count`` is how many matching requests it still hits; ``None`` hits every one of them.
    ``verb`` is a Kubernetes verb (get, list, create, update, patch, delete, ...) or ``discovery``;
    ``path`` is a regular expression searched in the URL path.
    """

    action: FaultAction
    code: int = 503
    count: int | None = 1
    verb: str | None = None
    path: str | None = None
    retry_after: int = 1
    seconds: float = 0.0
    message: str = "injected fault"
    dry_run: bool | None = None
    """Only dry runs (True), only real requests (False), or both (None)."""

    def matches(self, verb: str, path: str, dry_run: bool = False) -> bool:
        """Whether this fault applies to a request."""
        return (
            (self.verb is None or self.verb == verb)
            and (self.path is None or bool(re.search(self.path, path)))
            and (self.dry_run is None or self.dry_run == dry_run)
        )


class Faults:
    """The active faults plus a fixed per-request latency; consulted once per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.latency = 0.0
        """Seconds every request waits before it is handled."""

    def add(self, fault: Fault) -> Fault:
        """Activate a fault (first added, first applied)."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault and the latency."""
        with self._lock:
            self._faults.clear()
            self.latency = 0.0

    def pending(self) -> list[Fault]:
        """Faults that still have requests to hit."""
        with self._lock:
            return list(self._faults)

    def take(self, verb: str, path: str, dry_run: bool = False) -> tuple[float, Fault | None]:
        """Seconds to wait and the failure to answer with (if any), using up their counts."""
        delay = self.latency
        failure: Fault | None = None
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(verb, path, dry_run) or (
                    fault.action != "delay" and failure is not None
                ):
                    continue
                if fault.action == "delay":
                    delay += fault.seconds
                else:
                    failure = fault
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
        return delay, failure
