"""What a user sees when the tool itself fails: one line, a log file, and how to report it.

A traceback is for whoever fixes the bug, not for whoever writes notes, so an unexpected
exception is reduced to ``Error: internal error in <step>: <message>`` on the terminal and the
full traceback goes to a log file whose path is printed.  The step names the sub-command and
the innermost frame of this package, which is usually enough to recognise a known bug.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

import site_builder
from site_builder import __version__

_PACKAGE_DIR = Path(site_builder.__file__).resolve().parent
REPORT_HINT = "please report it with that file"


def _innermost_own_frame(exc: BaseException) -> str | None:
    """``site_builder/output.py:156 in make_file``: the deepest frame in this package."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(_PACKAGE_DIR):
            rel = path.relative_to(_PACKAGE_DIR.parent).as_posix()
            found = f"{rel}:{frame.lineno} in {frame.name}"
    return found


def step_of(exc: BaseException, command: str) -> str:
    where = _innermost_own_frame(exc)
    return f"{command} ({where})" if where else command


def write_log(exc: BaseException, command: str) -> Path | None:
    """Write the full traceback to a fresh file in the temporary folder; None if that fails.

    A new file per crash (never one shared name) so two crashes, or two users on one machine,
    cannot overwrite or be denied each other's log."""
    text = "".join(traceback.format_exception(exc))
    header = (f"notes-publisher {__version__}, Python {sys.version.split()[0]}, "
              f"{sys.platform}\ncommand: {command}\nargv: {sys.argv!r}\n\n")
    try:
        fd, name = tempfile.mkstemp(prefix="notes-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(header + text)
    except OSError:
        return None
    return Path(name)


def describe(exc: BaseException, command: str) -> list[str]:
    """The lines to print for an unexpected exception (also writes the log)."""
    message = f"{type(exc).__name__}: {exc}".rstrip(": ")
    lines = [f"Error: internal error in {step_of(exc, command)}: {message}"]
    log = write_log(exc, command)
    if log is None:
        lines.append("This is a bug in notes-publisher (the traceback could not be saved).")
    else:
        lines.append(f"This is a bug in notes-publisher. The full traceback is in {log}; "
                     f"{REPORT_HINT}.")
    return lines
