"""One call run in a forked child process, its result (or its error) brought back later.

``notes deploy`` builds while it reads the bucket.  On a thread, the two shared one core: the
build and the deploy's start (importing botocore and making the S3 client, about 0.3 s of
Python, then parsing the listing) are both Python work under one interpreter lock.  A forked child
builds on the other core while the parent process makes its client, takes the lock and lists
the bucket; the child inherits everything the parent holds (the parsed flags, the installed
regular-expression cache) and sends back only the small picklable result.

Like ``parallel``'s workers, the child is forked only while this process runs no other thread
(``threads_running``: a lock held by another thread would be held for ever in the child), and
only where ``os.fork`` exists; otherwise ``start`` returns None and the caller runs the call
in-process, as before.  Signals follow ``parallel`` too: Ctrl+C is the parent's to act on (the
child ignores it), and the parent ends a child it no longer needs with SIGTERM, which the child
turns into an exit that stops its own build workers first.

What comes back: the call's value; a ``NotesError`` as it was raised (same class, message and
lines); any other exception as a ``NotesError`` carrying the lines ``crash.describe`` printed
for it in the child (the traceback goes to the child's log file, as an in-process crash's
would).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from site_builder.core.errors import NotesError
from site_builder.core.parallel import threads_running

T = TypeVar("T")


class ForkedCall(Generic[T]):
    """``fn()`` running in a child process: ``result()`` waits for it, ``cancel()`` ends it."""

    def __init__(self, pid: int, reader: int):
        self._pid: int | None = pid
        self._reader: int | None = reader  # None once closed: its number may be reused

    @classmethod
    def start(cls, fn: Callable[[], T], command: str) -> ForkedCall[T] | None:
        """Fork a child that runs ``fn``; None where this process cannot fork safely.
        ``command`` names the step in a crash report (``notes deploy``)."""
        if not hasattr(os, "fork") or threads_running():
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        reader, writer = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            os.close(reader)
            _child(fn, writer, command, parent)
        os.close(writer)
        return cls(pid, reader)

    def result(self) -> T:
        """The call's value, or its error raised here."""
        chunks = []
        reader, self._reader = self._reader, None
        assert reader is not None, "result() collects a call once"
        with os.fdopen(reader, "rb") as pipe:
            while chunk := pipe.read(1 << 16):
                chunks.append(chunk)
        status = self._reap()
        if not chunks:
            raise NotesError(f"the build process ended unexpectedly ({_how(status)}; out of "
                             "memory?): build again, or build first with `notes build`")
        ok, value = pickle.loads(b"".join(chunks))
        if ok:
            return value
        raise value

    def cancel(self) -> None:
        """End the child if it is still running (a failed or interrupted deploy); no-op once
        ``result`` has collected it."""
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self._reap()
        if self._reader is not None:
            os.close(self._reader)
            self._reader = None

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        if pid is None:
            return 0
        while True:
            try:
                return os.waitpid(pid, 0)[1]
            except InterruptedError:  # pragma: no cover - PEP 475 retries these
                continue
            except ChildProcessError:
                return 0


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _child(fn: Callable[[], Any], writer: int, command: str,
           parent: int) -> None:  # pragma: no cover - runs in the child
    """The forked child: run ``fn``, send ``(ok, value)``, exit without running the parent's
    exit handlers (they belong to the parent: its temporary files, its atexit hooks)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _exit_on_term)
        _end_with(parent)
        try:
            payload = pickle.dumps((True, fn()))
        except NotesError as exc:
            payload = _error(exc)
        except SystemExit:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: reported as the CLI reports one
            payload = _error(_described(exc, command))
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
        from site_builder.core import regexcache

        regexcache.save(forked=True)
    except BaseException:  # noqa: BLE001 - SIGTERM (cancel) or a pipe the parent closed
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):  # what the call printed itself, not lost
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _exit_on_term(*_: object) -> None:  # pragma: no cover - runs in the child
    raise SystemExit(143)


def _end_with(parent: int) -> None:  # pragma: no cover - runs in the child
    """Linux: the kernel sends this child SIGTERM when its parent dies (``prctl``'s
    ``PR_SET_PDEATHSIG``), so a `notes deploy` killed outright (``kill``, a CI job cancelled)
    does not leave its build running on.  A parent already gone is seen at once."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the build ends when it ends
        return
    if os.getppid() != parent:
        raise SystemExit(143)


def _error(exc: NotesError) -> bytes:
    try:
        return pickle.dumps((False, exc))
    except Exception:  # noqa: BLE001 - an error whose state does not pickle: keep its text
        plain = NotesError(str(exc))
        plain.lines = exc.lines
        return pickle.dumps((False, plain))


def _described(exc: Exception, command: str) -> NotesError:  # pragma: no cover - child only
    from site_builder.core.crash import describe

    lines = [line.removeprefix("Error: ") for line in describe(exc, command)]
    error = NotesError(lines[0])
    error.lines = tuple(lines)
    return error
