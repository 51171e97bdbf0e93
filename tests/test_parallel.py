"""The worker pool: results in input order, errors come back whole, small steps stay local."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from site_builder.core import parallel
from site_builder.core.errors import ContentError
from site_builder.core.parallel import AUTO_MIN_ITEMS, pool_size, run_step


@pytest.fixture(autouse=True)
def no_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's own mechanics, as in a process without threads: the suite's holds the jsii
    kernel's thread (the CDK tests import aws_cdk at collection), which would run every step
    in-process.  The rule itself is checked in fresh interpreters below."""
    monkeypatch.setattr(parallel, "threads_running", lambda: False)


def test_results_keep_input_order_and_come_from_workers() -> None:
    parent = os.getpid()
    results = run_step(lambda i: (i * i, os.getpid()), 200, jobs=2)
    assert [r[0] for r in results] == [i * i for i in range(200)]
    assert parent not in {r[1] for r in results}  # really run by forked workers


def test_workers_see_what_the_step_closes_over() -> None:
    big = {f"note-{i}": i for i in range(5000)}  # inherited, never pickled
    assert run_step(lambda i: big[f"note-{i}"], 50, jobs=2) == list(range(50))


def test_an_error_in_a_worker_reaches_the_caller_unchanged() -> None:
    def step(i: int) -> int:
        if i == 7:
            raise ContentError("template error: boom", "templates/note.html", 3)
        return i

    with pytest.raises(ContentError) as exc:
        run_step(step, 20, jobs=2)
    assert str(exc.value) == "templates/note.html:3: template error: boom"


@pytest.mark.parametrize(("jobs", "items", "expected"), [
    (1, 1000, 1),  # serial on request
    (2, 1, 1),  # one item: no pool
    (2, 2, 2),
    (8, 3, 3),  # never more workers than items
    (None, AUTO_MIN_ITEMS - 1, 1),  # automatic: small steps stay in-process
])
def test_pool_size(jobs: int | None, items: int, expected: int) -> None:
    assert pool_size(jobs, items) == expected


def test_automatic_pool_uses_the_cores_for_large_steps() -> None:
    assert 1 <= pool_size(None, 10_000) <= (os.cpu_count() or 1)


def test_serial_run_calls_in_process() -> None:
    parent = os.getpid()
    assert run_step(lambda i: os.getpid(), 5, jobs=1) == [parent] * 5


def test_workers_ignore_the_callers_signal_handlers(capfd) -> None:
    """`notes serve` turns SIGTERM into KeyboardInterrupt; the pool's exit ends its workers with
    SIGTERM, which must not print a worker traceback (nor hang the exit)."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        assert run_step(lambda i: i, 200, jobs=2) == list(range(200))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "Traceback" not in capfd.readouterr().err


def test_prepare_runs_once_here_before_the_pool_forks_and_only_for_a_pool() -> None:
    parent, calls, ready = os.getpid(), [], {}

    def prepare() -> None:
        calls.append(os.getpid())
        ready["renderer"] = "made once"

    results = run_step(lambda i: (ready.get("renderer"), os.getpid()), 100, jobs=2,
                       prepare=prepare)
    assert calls == [parent]
    assert {r[0] for r in results} == {"made once"}  # the workers inherited it
    assert parent not in {r[1] for r in results}
    calls.clear()
    assert run_step(lambda i: i, 5, jobs=1, prepare=prepare) == list(range(5))
    assert calls == []  # serial: the step sets up what it needs itself


def test_the_first_failing_item_in_input_order_is_the_one_raised() -> None:
    def step(i: int) -> int:
        if i in (40, 150, 151):
            raise ContentError(f"bad note {i}", f"content/n{i}.md")
        return i

    for _ in range(3):  # whichever worker meets its failure first
        with pytest.raises(ContentError) as exc:
            run_step(step, 200, jobs=2)
        assert str(exc.value) == "content/n40.md: bad note 40"


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    from site_builder.core.errors import NotesError

    def step(i: int) -> int:
        if i == 30:
            os._exit(3)  # as if killed (out of memory)
        return i

    with pytest.raises(NotesError) as exc:
        run_step(step, 100, jobs=2)
    assert str(exc.value) == ("a build worker process ended unexpectedly (out of memory?); "
                              "build again, or with --jobs 1")


def _newer_pythons() -> list[str]:
    """Interpreters of 3.12 or later on this machine (they warn about a fork with threads)."""
    import glob
    import shutil

    found = [shutil.which(f"python3.{minor}") for minor in (12, 13, 14)]
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[234]*/bin/python3")))
    return [p for p in dict.fromkeys(found) if p and "/shims/" not in p]


SNIPPET = """
import os, sys, threading
sys.path.insert(0, sys.argv[1])
from site_builder.core.parallel import run_step
release = threading.Event()
threading.Thread(target=release.wait).start()
pids = set(run_step(lambda i: os.getpid(), 100, jobs=2))
release.set()
threading.enumerate()[-1].join()
while len(os.listdir("/proc/self/task")) > 1:  # joined, the thread may take a moment to go
    pass
forked = set(run_step(lambda i: os.getpid(), 100, jobs=2))
print(pids == {os.getpid()} and os.getpid() not in forked)
"""


@pytest.mark.parametrize("python", [sys.executable, *_newer_pythons()])
def test_a_process_with_threads_running_never_forks(python: str) -> None:
    """A fork copies the locks other threads hold (a hung rebuild worker in `notes serve`);
    Python 3.12+ warns about it.  In a fresh interpreter: this one holds the jsii kernel's
    thread from collection on (the CDK tests import aws_cdk)."""
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    run = subprocess.run([python, "-W", "error::DeprecationWarning", "-c", SNIPPET, root],
                         capture_output=True, text=True, timeout=120, check=False)
    assert (run.returncode, run.stdout.strip()) == (0, "True"), run.stderr
    assert "multi-threaded" not in run.stderr
