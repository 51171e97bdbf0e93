"""``notes serve`` (build + folder preview + live reload) and ``notes up`` (embedded S3 + deploy
engine + website endpoint, the whole publish path locally).  The loops live in
``site_builder.serve.dev``; this module only parses flags.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve", help="build, serve build/site locally, rebuild and reload tabs on every edit"
    )
    p.add_argument("--port", type=_port, default=8000, help="HTTP port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--drafts", action="store_true", help="include notes marked draft")
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser(
        "up",
        help="run the whole publish path locally: embedded S3, deploys, history, rollback",
    )
    p.add_argument("--port", type=_port, default=8000, help="website port (default 8000)")
    p.add_argument("--s3-port", type=_port, default=4566, help="embedded S3 port (default 4566)")
    p.add_argument("--bucket", default="notes-local", help="bucket name (default notes-local)")
    p.add_argument("--drafts", action="store_true", help="include notes marked draft")
    p.set_defaults(func=cmd_up)


def _stop_on_sigterm() -> None:
    """``kill PID`` shuts down as cleanly as Ctrl+C (servers closed, "Stopped." printed)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def cmd_serve(args: argparse.Namespace) -> int:
    from site_builder.serve.dev import DevOptions, run_serve

    _stop_on_sigterm()
    opts = DevOptions(project=Path.cwd(), host=args.host, port=args.port, drafts=args.drafts)
    return run_serve(opts)


def cmd_up(args: argparse.Namespace) -> int:
    from site_builder.serve.dev import DevOptions, run_up

    _stop_on_sigterm()
    opts = DevOptions(
        project=Path.cwd(),
        port=args.port,
        s3_port=args.s3_port,
        bucket=args.bucket,
        drafts=args.drafts,
    )
    return run_up(opts)
