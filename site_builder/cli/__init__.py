"""The ``notes`` command: one argparse parser, one sub-command module per stage.

Each module in ``_COMMAND_MODULES`` exposes ``register(subparsers)`` and sets ``func`` on its
sub-parser.  Heavy imports (markdown, boto3, moto) happen inside the commands, so ``notes --help``
stays fast.  Every ``NotesError`` becomes ``Error: ...`` on stderr and exit status 1; any other
exception is a bug, reported as one ``Error: internal error ...`` line plus the path of a log
holding its traceback (``site_builder.core.crash``).  A reader that stops early (``notes history |
head -3``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from site_builder import __version__
from site_builder.cli._help import apply_help
from site_builder.core import regexcache
from site_builder.core.errors import NotesError, one_line

_COMMAND_MODULES: tuple[str, ...] = ("init", "build", "deploy", "history", "serve")
# Commands registered by a module of their own name, alone: the parser for one of them needs
# only that module (the others' imports are 20-70 ms of every `notes build`).
_ALONE = frozenset({"build", "deploy"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``notes`` parser; given the command line's first word, only what parsing it needs
    (the whole parser when it is not one of the commands in ``_ALONE``)."""
    parser = argparse.ArgumentParser(
        prog="notes",
        description="Build a folder of Markdown notes into a static site and publish it to a "
        "versioned S3 bucket.",
        epilog="start with:\n  notes init my-notes && cd my-notes && notes serve\n\n"
        "`notes COMMAND --help` describes a command, with examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"notes-publisher {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (command,) if command in _ALONE else _COMMAND_MODULES:
        importlib.import_module(f"site_builder.cli.{name}").register(sub)
    apply_help(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    regexcache.install()  # before the commands import Markdown, Pygments, YAML...
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, not in the interpreter's exit
        return code
    except NotesError as exc:
        lines = exc.lines or (str(exc),)
        print("Error: " + "\n".join(map(one_line, lines)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as exc:  # noqa: BLE001 - a bug: one line and a log, never a traceback
        from site_builder.core.crash import describe

        for line in describe(exc, f"notes {args.command}"):
            print(line, file=sys.stderr)
        return 1


def _reader_went_away() -> int:
    """stdout's reader closed the pipe (``| head``): stop quietly, like a program killed by
    SIGPIPE.  Pointing stdout at devnull keeps the interpreter's final flush from raising
    again (the recipe in the ``signal`` module's documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass
    return 141
