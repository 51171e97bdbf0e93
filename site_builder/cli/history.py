"""``notes history``, ``rollback``, ``verify`` and ``unlock``: the bucket's deploy records.

They share the connection flags, client setup, lock confirmation and CloudFront helpers of
``notes deploy`` (``site_builder.cli.connect``); only the commands live here.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from site_builder.cli.connect import (
    ProgressBar,
    confirm_force,
    connection_flags,
    distribution_flag,
    find_distribution,
    force_flags,
    make_invalidator,
    print_invalidation,
    print_plan_lines,
    setup,
)
from site_builder.core.errors import DeployError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("history", help="list the deploys of the bucket, newest first")
    connection_flags(p)
    p.add_argument("--json", action="store_true", help="print a JSON array of the records")
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("rollback", help="restore an earlier deploy exactly")
    connection_flags(p)
    p.add_argument("--to", metavar="ID", help="record id or unique prefix (default: the deploy "
                   "before the live one)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    force_flags(p, confirms="the rollback's confirmation and ")
    distribution_flag(p)
    p.set_defaults(func=cmd_rollback)

    p = subparsers.add_parser("verify", help="compare the live bucket with the latest deploy")
    connection_flags(p)
    p.set_defaults(func=cmd_verify)

    p = subparsers.add_parser("unlock", help="show who holds the bucket's deploy lock; break "
                              "it when stale (or live, with --force-unlock)")
    connection_flags(p)
    force_flags(p)
    p.set_defaults(func=cmd_unlock)


def cmd_history(args: argparse.Namespace) -> int:
    from site_builder.deploy import history
    from site_builder.deploy.history import restorable

    client, bucket = setup(args)
    records = history(client, bucket)
    ok = restorable(client, bucket, records)
    if args.json:
        print(json.dumps([dict(r.summary(), restorable=ok[r.id]) for r in records], indent=2))
        return 0
    if not records:
        print(f"No deploys recorded in bucket {bucket}.")
        return 0
    print(f"{'ID':<27}  {'CREATED':<19}  {'KIND':<8}  {'SOURCE':<14}  "
          f"{'UP':>5}  {'DEL':>5}  {'SAME':>6}  MESSAGE")
    for r in records:
        c = r.counts
        mark = "" if ok[r.id] else "(not restorable) "
        print(f"{r.id:<27}  {r.created[:19].replace('T', ' '):<19}  {r.kind:<8}  "
              f"{r.source:<14}  {c.get('uploaded', 0):>5}  {c.get('deleted', 0):>5}  "
              f"{c.get('unchanged', 0):>6}  {mark}{r.message}".rstrip())
    if not all(ok.values()):
        print("(not restorable): some object versions the record lists are gone (expired "
              "under the lifecycle rule or deleted); `notes rollback --to` refuses it")
    return 0


def _confirmed(question: str, args: argparse.Namespace) -> bool:
    """Ask ``question`` when a person is at the keyboard; ``--yes``, scripts and pipes (stdin
    not a terminal) go ahead without a prompt."""
    if args.yes or not sys.stdin.isatty():
        return True
    sys.stdout.flush()  # the plan above, before the question
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_rollback(args: argparse.Namespace) -> int:
    """Plan first (a dry run, no lock), show it, confirm, then roll back to that same record."""
    from site_builder.deploy import rollback

    client, bucket = setup(args)
    dist, cloudfront = find_distribution(args)
    preview, target = rollback(client, bucket, args.to, dry_run=True)
    print(f"Rolling back to {target.id} ({target.kind} of {target.created[:19].replace('T', ' ')}"
          f"{': ' + target.message if target.message else ''})")
    if preview.note:
        print(f"Default target: {preview.note}.")
    print(preview.plan.summary())
    print_plan_lines(preview.plan)
    if args.dry_run:
        print_invalidation(preview, dist)
        print("Dry run: nothing was changed.")
        return 0
    if not _confirmed(f"Roll back bucket {bucket} to {target.id}?", args):
        print("Cancelled: nothing was changed.")
        return 1
    bar = ProgressBar()
    try:
        result, _ = rollback(client, bucket, target.id,
                             force_unlock=confirm_force(args, client, bucket), progress=bar,
                             invalidator=make_invalidator(cloudfront, dist))
    finally:
        bar.close()
    if result.plan.summary() != preview.plan.summary():  # the bucket changed in between
        print(f"The bucket changed meanwhile; applied: {result.plan.summary()}")
    print(f"Rolled back: new record {result.record.id}.")
    print_invalidation(result, dist)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from site_builder.deploy import verify

    client, bucket = setup(args)
    report = verify(client, bucket)
    if report.clean:
        print(f"No drift: bucket {bucket} matches deploy {report.record_id} "
              f"({report.checked} files).")
        return 0
    for line in report.lines():
        print(line)
    n = len(report.lines())
    flag = "--check-headers" if report.misrecorded else "--check-drift"
    fix = f"`notes deploy {flag}`"
    print(f"Drift: {n} difference{'s' if n != 1 else ''} from deploy {report.record_id}; "
          f"{fix} repairs them.")
    return 1


def cmd_unlock(args: argparse.Namespace) -> int:
    from site_builder.deploy.lock import read_lock, unlock

    client, bucket = setup(args)
    from site_builder.deploy.errors import aws_errors

    with aws_errors(bucket):
        held = read_lock(client, bucket)
    if held is None or held.body.released:
        print(f"No lock on bucket {bucket}.")
        return 0
    if not held.stale and not args.force_unlock:
        print(f"Lock: {held.describe(bucket)}")
        print("It is live: wait for it to finish, or break it with --force-unlock.")
        return 0
    if held.stale:
        print(f"Lock: {held.describe(bucket)}")
    elif not confirm_force(args, client, bucket):
        return 0
    _held, broken = unlock(client, bucket, force=not held.stale)
    if not broken:
        raise DeployError(f"the lock of bucket {bucket!r} changed while breaking it",
                          f"run `notes unlock --bucket {bucket}` again to see it")
    print("Lock broken; the next deploy or rollback takes it over and notes the break in "
          "its record.")
    return 0
