"""This process and others: whether a process still runs, and the garbage collector's pauses.

Two questions every long or parallel step asks.  A lock holder or a scratch folder's maker
that is gone leaves something behind for the next run to clear (``pid_alive``), and a build
that pauses cyclic garbage collection avoids walking, and so copying, every object alive
(``cyclic_gc_paused``).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` (of this host) still runs.  A killed process nobody has reaped yet (a
    zombie: its parent, say a shell's background job or a container's slow init, has not
    waited for it) still answers a signal 0, so on Linux its state is read too.

    A deploy killed with ``kill -9`` stays a zombie for as long as that takes (about 2 s under
    this VM's init); it can never renew its lease, so its lock is stale at once.  The builder's
    scratch folders (``store.output.temp_folder``) are cleared by the same test.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or a number the system rejects
        return pid > 0
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc (macOS): the signal's answer stands
        return True


@contextmanager
def cyclic_gc_paused(collect_after: bool = False) -> Iterator[None]:
    """No cyclic garbage collection during a build.  Every full collection walks every object
    alive: at 5,000 notes, six of them in the main process took 0.38 s, serially, while the
    other core waited, and each pool worker's one full collection walked (and so copied) the
    heap it inherited.  A build makes little cyclic garbage (rendering 1,000 notes: ~8,000
    objects, 2 MB), left to the next collection after it (``collect_after``: at once, for a
    long-lived process); a caller that paused collection itself (``notes serve``) keeps it
    paused."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
            if collect_after:
                gc.collect()
