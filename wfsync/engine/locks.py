"""Mutexes and semaphores of one local run (Argo's ``workflow/sync`` manager, in process).

Lock names follow the controller: ``<ns>/Mutex/<name>`` and ``<ns>/ConfigMap/<map>/<key>``.
Holders are ``<ns>/<wf>`` for the workflow-level lock and ``<ns>/<wf>/<nodeID>`` for a template's.
A template asks for all its locks at once (semaphores first, then mutexes, as ``allSyncItems``
lists them) and gets either all or none; the first lock that is not free gives the waiting
message ``Waiting for <lock> lock. Lock status: <free>/<limit>``.

Only one workflow runs here, and within one workflow Argo's pending queue lets any node of that
workflow take a free slot (``isSameWorkflowNodeKeys``), so acquisition goes in the order the
controller visits the nodes; the queue itself is not needed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

LimitLookup = Callable[[str, str, str], str | None]
"""``(namespace, config map name, key) -> data value`` or None when missing."""


class LockError(Exception):
    """A synchronization spec that cannot be used (bad shape, missing ConfigMap, bad limit)."""


@dataclasses.dataclass(frozen=True)
class LockRef:
    """One requested lock: its Argo name, and for semaphores where its limit lives."""

    name: str
    kind: str
    config_map: tuple[str, str, str] | None = None


def lock_refs(sync: Mapping[str, Any], namespace: str) -> list[LockRef]:
    """``allSyncItems``: the locks of a ``synchronization`` block, in acquisition order."""
    semaphores: list[object] = []
    mutexes: list[object] = []
    if isinstance(sync.get("semaphore"), dict):
        semaphores.append(sync["semaphore"])
    semaphores.extend(sync.get("semaphores") or [])
    if isinstance(sync.get("mutex"), dict):
        mutexes.append(sync["mutex"])
    mutexes.extend(sync.get("mutexes") or [])
    refs: list[LockRef] = []
    for sem in semaphores:
        ref = sem.get("configMapKeyRef") if isinstance(sem, dict) else None
        if (
            not isinstance(sem, dict)
            or not isinstance(ref, dict)
            or not ref.get("name")
            or not ref.get("key")
        ):
            raise LockError("semaphore needs a configMapKeyRef with a name and a key")
        ns = str(sem.get("namespace") or namespace)
        refs.append(
            LockRef(
                f"{ns}/ConfigMap/{ref['name']}/{ref['key']}",
                "semaphore",
                (ns, str(ref["name"]), str(ref["key"])),
            )
        )
    for mutex in mutexes:
        if not isinstance(mutex, dict) or not mutex.get("name"):
            raise LockError("mutex needs a name")
        ns = str(mutex.get("namespace") or namespace)
        refs.append(LockRef(f"{ns}/Mutex/{mutex['name']}", "mutex"))
    names = [r.name for r in refs]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise LockError(f"duplicate lock {duplicate}")
    return refs


def unsupported_reasons(sync: object) -> Iterator[str]:
    """Why a ``synchronization`` block cannot run locally (database-backed locks)."""
    if not isinstance(sync, dict):
        return
    items = [
        sync.get("semaphore"),
        sync.get("mutex"),
        *(sync.get("semaphores") or []),
        *(sync.get("mutexes") or []),
    ]
    for item in items:
        if isinstance(item, dict) and item.get("database"):
            yield "database-backed locks need Argo's synchronization database"
            return


@dataclasses.dataclass
class _Lock:
    limit: int
    holders: list[str] = dataclasses.field(default_factory=list)


class LockManager:
    """Every lock of the run, created on first use; semaphore limits read from ConfigMaps."""

    def __init__(self, limit_lookup: LimitLookup) -> None:
        self._lookup = limit_lookup
        self._locks: dict[str, _Lock] = {}
        self.held: dict[str, list[str]] = {}
        """Lock names each holder key holds."""

    def _lock(self, ref: LockRef) -> _Lock:
        lock = self._locks.get(ref.name)
        if lock is not None:
            return lock
        limit = 1
        if ref.config_map is not None:
            ns, name, key = ref.config_map
            value = self._lookup(ns, name, key)
            if value is None:
                raise LockError(
                    f"environment: ConfigMap {name!r} (key {key!r}) that sets the limit of semaphore "
                    f"{ref.name} is not available; give it with --with or put it in the target"
                )
            try:
                limit = int(str(value).strip())
            except ValueError:
                raise LockError(
                    f"semaphore {ref.name}: ConfigMap {name!r} key {key!r} is {value!r}, not an integer limit"
                ) from None
        lock = self._locks[ref.name] = _Lock(limit)
        return lock

    def try_acquire(self, holder: str, refs: list[LockRef]) -> tuple[bool, str, str]:
        """All of ``refs`` for ``holder``, or none: (acquired, waiting message, failed lock)."""
        locks = [(ref, self._lock(ref)) for ref in refs]
        for ref, lock in locks:
            if holder in lock.holders:
                continue
            if len(lock.holders) >= lock.limit:
                free = lock.limit - len(lock.holders)
                return False, f"Waiting for {ref.name} lock. Lock status: {free}/{lock.limit}", ref.name
        for ref, lock in locks:
            if holder not in lock.holders:
                lock.holders.append(holder)
                self.held.setdefault(holder, []).append(ref.name)
        return True, "", ""

    def release(self, holder: str) -> bool:
        """Release every lock ``holder`` holds (True when it held any)."""
        names = self.held.pop(holder, None)
        if not names:
            return False
        for name in names:
            lock = self._locks.get(name)
            if lock is not None and holder in lock.holders:
                lock.holders.remove(holder)
        return True

    def holders_of(self, name: str) -> list[str]:
        """Who holds the lock called ``name`` now."""
        lock = self._locks.get(name)
        return list(lock.holders) if lock is not None else []
