"""Run a per-item build step across all cores, with results in input order.

The builder's heavy steps (Markdown rendering, page templating) are pure functions of values the
main process already holds: the notes, the link index, the sections.  Pickling those to every
worker would cost more than it saves, so the pool is *forked* after they exist: each worker
inherits them copy-on-write and a task is only an index into a list.  A fresh pool per step
keeps that simple (forking a process costs milliseconds; a 5,000-note step takes seconds).

Results come back in input order (``imap``), so a parallel build merges exactly like a serial
one and the output stays byte-identical.  Small steps run in-process: a pool is not worth it
for the handful of notes an edit touches, and ``notes serve`` rebuilds stay thread-friendly.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Below this many items an automatic pool is not worth its start-up (jobs=None).
AUTO_MIN_ITEMS = 48
# Items are handed out a few at a time: a chunk of 5,000 / 64 notes is most of a second of
# Markdown, which one core would spend alone at the end of the step while the other idles.
# But every chunk costs the main process a round trip (about 1.5 ms of CPU, taken from the
# workers on two cores): 16 notes (~0.13 s of Markdown) keeps both costs small.
_CHUNKS_PER_WORKER = 32
_MAX_CHUNK = 16

_STEP: Callable[[int], Any] | None = None  # the step a forked worker runs


def default_jobs() -> int:
    """Cores this process may use (respects CPU affinity, e.g. a container's cpuset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def pool_size(jobs: int | None, items: int) -> int:
    """How many worker processes a step of ``items`` gets; 1 means run it in-process.

    ``jobs=None`` is automatic (all cores, in-process for small steps); an explicit ``jobs``
    is honoured for any step of two or more items, which is how tests force the pool."""
    if items < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if jobs is None:
        return 1 if items < AUTO_MIN_ITEMS else min(default_jobs(), items)
    return max(1, min(jobs, items))


def _quiet_worker() -> None:
    """Workers leave signals to the main process: Ctrl+C reaches the whole process group but
    only the main process acts on it, and ``Pool.terminate`` (every pool's exit) ends a worker
    with a plain SIGTERM.  Inherited Python handlers (``notes serve`` turns SIGTERM into
    KeyboardInterrupt) would instead print a worker traceback at every pool's exit, or leave a
    worker waiting on the task queue that the pool's exit then waits for."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(index: int) -> Any:
    assert _STEP is not None, "worker started without a step"
    return _STEP(index)


def run_step(step: Callable[[int], T], count: int, jobs: int | None,
             prepare: Callable[[], object] | None = None) -> list[T]:
    """``[step(0), ..., step(count - 1)]``, computed by forked workers when worthwhile.

    ``step`` may close over anything (it is inherited, never pickled); its *results* and any
    exception it raises are pickled back, so they should be small plain values.  ``prepare``
    runs here, before the pool forks, and only when it does: set-up every worker would
    otherwise repeat for itself (a Markdown instance, compiled templates), done once."""
    workers = pool_size(jobs, count)
    if workers == 1:
        return [step(i) for i in range(count)]
    if prepare is not None:
        prepare()
    global _STEP
    _STEP = step
    try:
        ctx = multiprocessing.get_context("fork")
        chunk = max(1, min(_MAX_CHUNK, count // (workers * _CHUNKS_PER_WORKER)))
        with ctx.Pool(workers, initializer=_quiet_worker) as pool:
            return list(pool.imap(_run, range(count), chunksize=chunk))
    finally:
        _STEP = None

