"""One exception family for the whole tool.

Every failure a user can cause or fix is a ``NotesError``; its ``str()`` is the one line the CLI
prints after ``Error:``.  Anything else escaping the CLI is a bug and keeps its traceback.
This module imports nothing heavy: the deploy engine (and so the Lambda) depends on it.
"""

from __future__ import annotations

from pathlib import PurePath


class NotesError(Exception):
    """Base of every error the user should see as one line, without a traceback."""

    # An error that lists several problems (a build's broken links) has one line for each.
    lines: tuple[str, ...] = ()


class ContentError(NotesError):
    """A problem in the user's content: names the file and, where known, the line."""

    def __init__(self, message: str, path: str | PurePath | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")


class DeployError(NotesError):
    """A problem publishing to S3: says what went wrong and how to fix it."""

    def __init__(self, what: str, fix: str | None = None):
        self.what = what
        self.fix = fix
        super().__init__(f"{what} ({fix})" if fix else what)


# What str.splitlines() breaks a line at, and the characters a terminal would act on (not tab).
_BREAKS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, 0x85) if c != 0x09} | \
    {0x2028: "\\u2028", 0x2029: "\\u2029"}


def one_line(message: str) -> str:
    """``message`` as the one line the CLI prints: a control character or line break that a
    path or an argument brought in (a folder named ``"\\x1e"``) is shown escaped, so the line
    stays one line and the terminal shows what was typed."""
    return message.translate(_BREAKS)
