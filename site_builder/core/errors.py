"""One exception family for the whole tool.

Every failure a user can cause or fix is a ``NotesError``; its ``str()`` is the one line the CLI
prints after ``Error:``.  Anything else escaping the CLI is a bug and keeps its traceback.
This module imports nothing heavy: the deploy engine (and so the Lambda) depends on it.
"""

from __future__ import annotations

from pathlib import PurePath


class NotesError(Exception):
    """Base of every error the user should see as one line, without a traceback."""


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
