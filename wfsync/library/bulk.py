"""Reading many files at once: one parallel map and one collector pause for lint, sync and review.

Each of them parses a whole library, where files are independent, so large libraries go to
forked worker processes; and each keeps tens of thousands of containers alive until its report,
which the cyclic collector would rescan for nothing.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

PARALLEL_THRESHOLD = 64
"""Below this many files to parse, starting worker processes costs more than it saves."""

_T = TypeVar("_T")
_R = TypeVar("_R")


def parallel_map(
    fn: Callable[[_T], _R],
    work: Sequence[_T],
    *,
    jobs: int | None = None,
    chunks_per_job: int = 8,
    before_fork: Callable[[], None] | None = None,
) -> list[_R]:
    """``[fn(item) for item in work]``, in forked processes when there are cores and enough work.

    ``jobs`` defaults to the number of cores; ``before_fork`` runs just before the workers start
    (to let threads finish what they send: a fork copies a lock held mid-request).
    """
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(work) < PARALLEL_THRESHOLD:
        return [fn(item) for item in work]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if before_fork is not None:
        before_fork()
    chunk = max(1, len(work) // (jobs * chunks_per_job))
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(fn, work, chunksize=chunk))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for the duration (then collection resumes as before).

    Reading a library allocates tens of thousands of containers that all stay alive until the
    report or plan is made, and hold no cycles: the collector would rescan them again and again
    for nothing (about a sixth of a lint or diff). Forked workers inherit the pause. At the end
    they join the oldest generation directly (freeze, unfreeze): re-enabling alone would scan
    them all at the next allocation, as the youngest generation.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()
