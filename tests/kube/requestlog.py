"""Every request the server answered, so tests can count reads and writes per kind and namespace."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

ANY = "*"
"""Namespace filter meaning "any namespace or none" (``None`` means cluster scope / all namespaces)."""

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class RequestRecord:
    """One request: its Kubernetes verb (``discovery`` for discovery, version and openapi), path, query."""

    verb: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None
    code: int = 0
    """The status answered; 0 when the connection was dropped without an answer."""

    @property
    def dry_run(self) -> bool:
        """Whether the request asked for ``dryRun=All``."""
        return self.query.get("dryRun") == "All"


class RequestLog:
    """Thread-safe, append-only (until cleared) list of request records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        """Record a request (the server does this before it answers)."""
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        """Forget everything, e.g. after seeding and before the step under test."""
        with self._lock:
            self._records.clear()

    @property
    def records(self) -> list[RequestRecord]:
        """A snapshot of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def select(
        self, verb: str | None = None, resource: str | None = None, namespace: str | None = ANY
    ) -> list[RequestRecord]:
        """Records with that verb, resource and namespace (``None`` criteria and ``ANY`` match all)."""
        return [
            rec
            for rec in self.records
            if (verb is None or rec.verb == verb)
            and (resource is None or rec.resource == resource)
            and (namespace == ANY or rec.namespace == namespace)
        ]

    def count(self, verb: str | None = None, resource: str | None = None, namespace: str | None = ANY) -> int:
        """How many requests match (see :meth:`select`)."""
        return len(self.select(verb, resource, namespace))

    def by_verb(self) -> Counter[str]:
        """Requests per Kubernetes verb, e.g. ``{"list": 10, "update": 3}``."""
        return Counter(rec.verb for rec in self.records)

    def lists(self) -> Counter[tuple[str | None, str | None]]:
        """List requests per (resource, namespace); ``None`` namespace is cluster scope or all namespaces."""
        return Counter((rec.resource, rec.namespace) for rec in self.records if rec.verb == "list")

    def writes(self, include_dry_run: bool = False) -> list[RequestRecord]:
        """Create, update, patch and delete requests (dry runs only when asked)."""
        return [
            rec for rec in self.records if rec.verb in WRITE_VERBS and (include_dry_run or not rec.dry_run)
        ]
