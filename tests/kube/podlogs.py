"""Container logs of the test server's pods: text tests append, read as the kubelet serves it.

Nothing runs in the pods: a test (or the test controller) appends text to a container's log and
ends it when the container would exit. A reader without ``follow`` gets what is there; with
``follow`` it keeps getting appended text until the log ends, the pod is deleted or the server stops.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

LogKey = tuple[str, str, str]  # namespace, pod, container


@dataclass
class _Log:
    text: str = ""
    ended: bool = False


class PodLogs:
    """Every container's log, and the condition following readers wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._logs: dict[LogKey, _Log] = {}
        self._closes = 0  # bumped by close_all: following readers stop

    def append(self, key: LogKey, text: str) -> None:
        """Add text the container wrote (an ended log takes no more)."""
        with self._cond:
            log = self._logs.setdefault(key, _Log())
            if log.ended:
                raise ValueError(f"the log of {'/'.join(key)} has ended")
            log.text += text
            self._cond.notify_all()

    def end(self, key: LogKey) -> None:
        """The container exited: following readers get the rest and stop."""
        with self._cond:
            self._logs.setdefault(key, _Log()).ended = True
            self._cond.notify_all()

    def pod_gone(self, namespace: str, pod: str) -> None:
        """The pod was deleted: end its logs and forget them."""
        with self._cond:
            for key in [k for k in self._logs if k[:2] == (namespace, pod)]:
                self._logs[key].ended = True
                del self._logs[key]
            self._cond.notify_all()

    def close_all(self) -> None:
        """Stop every following reader (the server stops)."""
        with self._cond:
            self._closes += 1
            self._cond.notify_all()

    def read(self, key: LogKey, *, follow: bool, tail_lines: int | None = None) -> Iterator[str]:
        """The log's text (its last ``tail_lines`` lines when given), then, with ``follow``, what is appended."""
        with self._cond:
            closes = self._closes
            log = self._logs.setdefault(key, _Log())
            first = log.text if tail_lines is None else tail(log.text, tail_lines)
            offset = len(log.text)
        if first:
            yield first
        while follow:
            with self._cond:
                while len(log.text) == offset and not log.ended and self._closes == closes:
                    self._cond.wait()
                more = log.text[offset:]
                offset = len(log.text)
                done = log.ended or self._closes != closes
            if more:
                yield more
            if done:
                return


def tail(text: str, lines: int) -> str:
    """The last ``lines`` lines of ``text`` (a last line without newline counts), as ``tailLines`` cuts."""
    if lines <= 0:
        return ""
    parts = text.splitlines(keepends=True)
    return "".join(parts[-lines:])
