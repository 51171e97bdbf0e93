"""Run a per-item build step across all cores, with results in input order.

The builder's heavy steps (Markdown rendering, page templating) are pure functions of values the
main process already holds: the notes, the link index, the sections.  Pickling those to every
worker would cost more than it saves, so the workers are *forked* after they exist: each
inherits them copy-on-write and a task is only an index into a list.  Fresh workers per step
keep that simple (forking a process costs milliseconds; a 5,000-note step takes seconds).

Workers take the next few items from a shared counter and send each chunk's results, with the
index of its first item, on a pipe of their own; the main process files them by index, so a
parallel build merges exactly like a serial one and the output stays byte-identical.  (With
``multiprocessing.Pool`` the main process spent ~1.2 ms of CPU per chunk in the pool's three
helper threads, 0.37 s per 5,000-note step, taken from the workers on two cores; reading a
pipe and filing a chunk costs a few hundredths of that.)  Small steps run in-process: forking
is not worth it for the handful of notes an edit touches.  A process with other threads
running never forks (``threads_running``): ``notes serve`` and ``notes up`` make their first
build before any thread starts, and rebuild in-process after.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple, TypeVar

from site_builder.core.errors import NotesError

T = TypeVar("T")

# Below this many items an automatic pool is not worth its start-up (jobs=None).
AUTO_MIN_ITEMS = 48
# Items are handed out a few at a time: a chunk of 5,000 / 64 notes is most of a second of
# Markdown, which one core would spend alone at the end of the step while the other idles.
# Each chunk is one message to the main process: 16 notes (~0.03 s of Markdown) a chunk.
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
    if items < 2 or "fork" not in multiprocessing.get_all_start_methods() or threads_running():
        return 1
    if jobs is None:
        return 1 if items < AUTO_MIN_ITEMS else min(default_jobs(), items)
    return max(1, min(jobs, items))


def threads_running() -> bool:
    """Whether this process has a thread besides the caller's.  Forking then copies every
    lock another thread holds, held for ever in the child (a worker that hangs: seen once in
    ``notes serve``, whose server, watcher and indexer threads run while it rebuilds; Python
    3.12 warns about it), so such a process runs its steps in-process instead.  The kernel's
    count (``/proc``) includes threads Python did not start."""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:  # no /proc (macOS): the threads Python knows
        return threading.active_count() > 1


def _quiet_worker() -> None:
    """Workers leave signals to the main process: Ctrl+C reaches the whole process group but
    only the main process acts on it, and a step interrupted there ends its workers with a
    plain SIGTERM.  Inherited Python handlers (``notes serve`` turns SIGTERM into
    KeyboardInterrupt) would instead print a worker traceback, or leave a worker running
    that the main process then waits for."""
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
    runs here, before the workers fork, and only when they do: set-up every worker would
    otherwise repeat for itself (a Markdown instance, compiled templates), done once.  If
    items fail, the exception of the first failing item in input order is raised."""
    workers = pool_size(jobs, count)
    if workers == 1:
        return [step(i) for i in range(count)]
    if prepare is not None:
        prepare()
    global _STEP
    _STEP = step
    try:
        return _run_forked(workers, count)
    finally:
        _STEP = None


def _run_forked(workers: int, count: int) -> list:
    ctx = multiprocessing.get_context("fork")
    chunk = max(1, min(_MAX_CHUNK, count // (workers * _CHUNKS_PER_WORKER)))
    turns = _Turns(ctx.RawValue("q", 0), ctx.RawValue("b", 0), ctx.Lock(), count, chunk)
    readers: list[Connection] = []
    procs = []
    try:
        for _ in range(workers):
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_work, args=(turns, writer), daemon=True)
            proc.start()
            writer.close()  # the worker's copy is the only one: its exit is the pipe's end
            readers.append(reader)
            procs.append(proc)
        return _collect(readers, count)
    except BaseException:
        for proc in procs:
            proc.terminate()
        raise
    finally:
        for proc in procs:
            proc.join()
        for reader in readers:
            reader.close()


class _Turns(NamedTuple):
    """What the workers share: the next item to take, "stop" (an item failed), a lock."""

    next_item: Any
    stop: Any
    lock: Any
    count: int
    chunk: int


def _work(turns: _Turns, conn: Connection) -> None:
    """A worker: take chunks until none is left (or one failed), sending each one's results."""
    _quiet_worker()
    try:
        while not turns.stop.value:
            with turns.lock:
                start = turns.next_item.value
                turns.next_item.value = start + turns.chunk
            if start >= turns.count:
                break
            index = start
            try:
                values = []
                for index in range(start, min(start + turns.chunk, turns.count)):
                    values.append(_run(index))
                conn.send(("items", start, values))
            except Exception as exc:  # noqa: BLE001 - raised again in the main process
                turns.stop.value = 1
                conn.send(("error", index, exc))
                return
        conn.send(("done", 0, None))
    finally:
        conn.close()


def _collect(readers: list[Connection], count: int) -> list:
    """Every worker's chunks filed by index, until each said it is done (or failed)."""
    results: list = [None] * count
    failed: tuple[int, BaseException] | None = None
    waiting = list(readers)
    while waiting:
        for reader in wait(waiting):
            try:
                kind, start, payload = reader.recv()  # type: ignore[misc]
            except EOFError:
                raise NotesError("a build worker process ended unexpectedly (out of memory?); "
                                 "build again, or with --jobs 1") from None
            if kind == "items":
                results[start:start + len(payload)] = payload
                continue
            waiting.remove(reader)  # type: ignore[arg-type]
            if kind == "error" and (failed is None or start < failed[0]):
                failed = (start, payload)
    if failed is not None:
        raise failed[1]
    return results
