"""``notes serve`` (build + folder preview + live reload) and ``notes up`` (embedded S3 + deploy
engine + website endpoint, the whole publish path locally).  The loops live in
``site_builder.serve.dev``; this module only parses flags.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return value


def register(subparsers: Any) -> None:
    from site_builder.cli.build import add_build_flags

    p = subparsers.add_parser(
        "serve", help="build, serve build/site locally, rebuild and reload tabs on every edit"
    )
    p.add_argument("--port", type=_port, default=8000, metavar="PORT",
                   help="HTTP port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", metavar="HOST",
                   help="address to listen on (default 127.0.0.1)")
    add_build_flags(p)
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser(
        "up",
        help="run the whole publish path locally: embedded S3, deploys, history, rollback",
    )
    p.add_argument("--port", type=_port, default=8000, metavar="PORT",
                   help="website port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", metavar="HOST",
                   help="address the website listens on (default 127.0.0.1; the embedded S3 "
                   "always listens on 127.0.0.1)")
    p.add_argument("--s3-port", type=_port, default=4566, metavar="PORT",
                   help="embedded S3 port (default 4566)")
    p.add_argument("--bucket", default="notes-local", metavar="NAME",
                   help="bucket name (default notes-local)")
    add_build_flags(p)
    p.set_defaults(func=cmd_up)


def notes_command() -> str:
    """How to run this very `notes` from another terminal: the script it was started as
    (absolute), else this interpreter with ``-m site_builder.cli``."""
    arg0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if arg0 is not None and arg0.name == "notes" and arg0.is_file():
        return shlex.quote(os.path.abspath(arg0))
    return f"{shlex.quote(sys.executable)} -m site_builder.cli"


def _stop_on_sigterm() -> None:
    """``kill PID`` shuts down as cleanly as Ctrl+C (servers closed, "Stopped." printed)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def cmd_serve(args: argparse.Namespace) -> int:
    from site_builder.cli.build import build_options
    from site_builder.serve.dev import DevOptions, run_serve

    _stop_on_sigterm()
    project = Path.cwd()
    opts = DevOptions(project=project, host=args.host, port=args.port,
                      build=build_options(args, "serve", project))
    return run_serve(opts)


def cmd_up(args: argparse.Namespace) -> int:
    from site_builder.cli.build import build_options
    from site_builder.cli.connect import check_bucket_name
    from site_builder.serve.dev import DevOptions, run_up

    check_bucket_name(args.bucket, new=True)  # notes up creates it
    _stop_on_sigterm()
    project = Path.cwd()
    opts = DevOptions(
        project=project,
        host=args.host,
        port=args.port,
        s3_port=args.s3_port,
        bucket=args.bucket,
        build=build_options(args, "up", project),
        notes_command=notes_command(),
    )
    return run_up(opts)
