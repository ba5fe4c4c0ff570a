"""The pods' logs a run keeps for its result: a bounded tail, so chatty pods cannot fill the memory."""

from __future__ import annotations

LOG_TAIL_BYTES = 4 * 1024 * 1024
"""How much pod log text a run keeps for its result; older pods' logs are dropped first."""


class LogTail(list[tuple[str, str]]):
    """The pods' logs a run returns, bounded: the most recent ones up to :data:`LOG_TAIL_BYTES`.

    As Argo keeps a pod's log in the pod (not in the workflow), a run does not keep every
    pod's log: ``--logs`` streams each one as its pod ends (``Options.log``), and the result
    keeps only a tail, so thousands of chatty pods cannot fill the memory.
    """

    def __init__(self, budget: int = LOG_TAIL_BYTES) -> None:
        super().__init__()
        self.budget = budget
        self.size = 0
        self.dropped = 0
        """How many pods' logs were dropped (the oldest)."""

    def append(self, entry: tuple[str, str]) -> None:
        """Keep ``(node name, log text)``; when over budget, drop the oldest down to half of it."""
        name, text = entry
        if len(text) > self.budget:
            text = text[-self.budget :]
        super().append((name, text))
        self.size += len(text)
        if self.size > self.budget:
            keep = len(self)
            size = 0
            while keep > 0 and size + len(self[keep - 1][1]) <= self.budget // 2:
                keep -= 1
                size += len(self[keep][1])
            keep = min(keep, len(self) - 1)  # the newest entry always stays
            self.dropped += keep
            del self[:keep]
            self.size = sum(len(t) for _, t in self)
