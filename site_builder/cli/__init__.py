"""The ``notes`` command: one argparse parser, one sub-command module per stage.

Each module in ``_COMMAND_MODULES`` exposes ``register(subparsers)`` and sets ``func`` on its
sub-parser.  Heavy imports (markdown, boto3, moto) happen inside the commands, so ``notes --help``
stays fast.  Every ``NotesError`` becomes ``Error: ...`` on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from site_builder import __version__
from site_builder.errors import NotesError

_COMMAND_MODULES: tuple[str, ...] = ("build", "deploy", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notes",
        description="Build a folder of Markdown notes into a static site and publish it to a "
        "versioned S3 bucket.",
    )
    parser.add_argument("--version", action="version", version=f"notes-publisher {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        importlib.import_module(f"site_builder.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NotesError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
