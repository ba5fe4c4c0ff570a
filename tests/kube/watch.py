"""Watch events: a bounded history of the store's writes, and what one watch sees of it.

The store records every write here (under its own lock, so a list and the history agree on
resourceVersions). A watch from version N replays the kept changes after N, then waits for new
ones; N older than the window is a 410 Expired, as etcd's compaction makes it on a real server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

ADDED, MODIFIED, DELETED, BOOKMARK, ERROR = "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"


@dataclass(frozen=True)
class Change:
    """One write: its resourceVersion, event type, where, the object after it and its metadata before.

    The object is kept as its JSON (what every watch sends, encoded once, and a fifth of the
    memory of the dict); a deletion's is the last state with the deletion's resourceVersion, as
    the server sends it. Selectors read only metadata, kept decoded.
    """

    rv: int
    type: str
    plural: str
    namespace: str
    raw: bytes
    meta: Obj
    old_meta: Obj | None

    @property
    def obj(self) -> Obj:
        """The object after the write (decoded again)."""
        decoded: Obj = json.loads(self.raw)
        return decoded


@dataclass(frozen=True)
class Batch:
    """What a waiting watch wakes up to: changes, or the end, an expiry, or a bookmark to send."""

    changes: tuple[Change, ...] = ()
    ended: bool = False
    expired: tuple[int, int] | None = None
    """The watch's version and the oldest one still replayable, when the watch's is too old."""
    bookmark: int | None = None
    """The current resourceVersion, when a bookmark is due."""


class History:
    """The last ``size`` changes (at most ``max_bytes`` of objects) and the condition watches wait on.

    The byte bound keeps a test that writes a large workflow many times from holding every
    version of it (the real watch cache is bounded too, and a watcher that falls behind gets 410).
    """

    def __init__(self, size: int = 1000, max_bytes: int = 32 << 20) -> None:
        self.size, self.max_bytes = size, max_bytes
        self._cond = threading.Condition()
        self._changes: deque[Change] = deque()
        self._bytes = 0
        self._floor = 0  # every change after this version is kept
        self._last = 0
        self._ends = 0  # bumped by end_all: open watches close
        self._expiries = 0  # bumped by expire_all: open watches get a 410 and close
        self._bookmarks = 0
        self.listeners: list[Callable[[Change], None]] = []
        """Called with every change, after it is recorded (pod logs end when their pod is deleted)."""

    @property
    def floor(self) -> int:
        """Watches and continue tokens from versions before this one are expired."""
        with self._cond:
            return self._floor

    def record(self, change: Change) -> None:
        """Keep a change (dropping the oldest beyond ``size``) and wake the watches."""
        with self._cond:
            self._changes.append(change)
            self._bytes += len(change.raw)
            while self._changes and (len(self._changes) > self.size or self._bytes > self.max_bytes):
                self._drop()
            self._last = change.rv
            self._cond.notify_all()
        for listener in list(self.listeners):
            listener(change)

    def compact(self, upto: int | None = None) -> None:
        """Forget the changes up to ``upto`` (default: all): older versions now answer 410 Expired."""
        with self._cond:
            floor = max(self._floor, self._last if upto is None else upto)
            while self._changes and self._changes[0].rv <= floor:
                self._drop()
            self._floor = floor

    def _drop(self) -> None:
        oldest = self._changes.popleft()
        self._bytes -= len(oldest.raw)
        self._floor = oldest.rv

    def end_all(self) -> None:
        """Close every open watch, as their timeout would."""
        with self._cond:
            self._ends += 1
            self._cond.notify_all()

    def expire_all(self) -> None:
        """Send every open watch a 410 ERROR event, as a watcher that fell behind the window gets."""
        with self._cond:
            self._expiries += 1
            self._cond.notify_all()

    def bookmark_all(self) -> None:
        """Send every open watch that allows them a BOOKMARK with the current version."""
        with self._cond:
            self._bookmarks += 1
            self._cond.notify_all()

    def follow(self, since: int, deadline: float | None) -> Iterator[Batch]:
        """Batches after version ``since`` until the deadline, :meth:`end_all` or an expiry.

        Ends, expiries and bookmarks count from this call (not from the first batch read), so a
        test that ends the watches once the client has its answer's headers always reaches it.
        """
        with self._cond:
            marks = self._ends, self._expiries, self._bookmarks
        return self._follow(since, deadline, *marks)

    def _follow(
        self, since: int, deadline: float | None, ends: int, expiries: int, bookmarks: int
    ) -> Iterator[Batch]:
        while True:
            with self._cond:
                while True:
                    if self._expiries != expiries or since < self._floor:
                        batch = Batch(expired=(since, max(self._floor, since)))
                        break
                    if self._last > since:  # before an end: what was written before it is sent
                        batch = Batch(changes=tuple(c for c in self._changes if c.rv > since))
                        since = self._last
                        break
                    if self._ends != ends:
                        return
                    if self._bookmarks != bookmarks:
                        bookmarks = self._bookmarks
                        batch = Batch(bookmark=self._last)
                        break
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return
                    self._cond.wait(remaining)
            yield batch  # outside the lock: the consumer writes to a socket
            if batch.expired is not None:
                return


def event_for(
    change: Change, namespace: str | None, matches: Callable[[Mapping[str, Any]], bool]
) -> tuple[str, bytes] | None:
    """The event a watch with this namespace and selector sees of a change, if any.

    An object that starts (or stops) matching the selector is ``ADDED`` (``DELETED``) for that
    watch, as the server's filtering makes it.
    """
    if namespace is not None and change.namespace != namespace:
        return None
    now = matches({"metadata": change.meta})
    if change.type == DELETED:
        return (DELETED, change.raw) if now else None
    before = change.old_meta is not None and matches({"metadata": change.old_meta})
    if now and before:
        return MODIFIED, change.raw
    if now:
        return ADDED, change.raw
    if before:
        return DELETED, change.raw
    return None


def expired_status(requested: int, oldest: int) -> Obj:
    """The Status of a 410 ERROR event, worded as the server's (``too old resource version: N (M)``)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"too old resource version: {requested} ({oldest})",
        "reason": "Expired",
        "code": 410,
    }
