"""``notes deploy``, ``notes history``, ``notes rollback``, ``notes verify``.

Thin wrappers over ``site_builder.deploy``: they resolve flags (command line, then the
``[deploy]`` table of notes.toml, then ``--stack``'s outputs), make the boto3 clients, and
print.  boto3 and the builder are imported inside the commands so ``notes --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from site_builder.errors import DeployError

# Regions whose website endpoint is "s3-website-<region>" (the rest use "s3-website.<region>").
_DASH_WEBSITE_REGIONS = frozenset({
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "sa-east-1", "us-gov-west-1",
})
_FLAG_DEFAULTS = ("bucket", "stack", "region", "endpoint_url", "site")


def website_url(bucket: str, region: str) -> str:
    sep = "-" if region in _DASH_WEBSITE_REGIONS else "."
    return f"http://{bucket}.s3-website{sep}{region}.amazonaws.com/"


def _connection_flags(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--bucket", help="the site bucket (default: notes.toml [deploy] bucket)")
    where.add_argument("--stack", help="read the bucket from this CloudFormation stack's "
                       "BucketName output")
    p.add_argument("--endpoint-url", help="an S3-compatible endpoint instead of AWS")
    p.add_argument("--region", help="AWS region (default: from the AWS configuration)")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("deploy", help="build and publish the site to its S3 bucket")
    _connection_flags(p)
    p.add_argument("--site", help="publish this built folder (or .zip) instead of building")
    p.add_argument("--message", default="", help="a note stored in the deploy record")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    limit = p.add_mutually_exclusive_group()
    limit.add_argument("--max-deletes", type=int, metavar="N",
                       help="refuse to delete more than N objects (default: 25%% of the live "
                       "pages, at least 10)")
    limit.add_argument("--allow-mass-delete", action="store_true",
                       help="no limit on deletions")
    p.add_argument("--force-unlock", action="store_true", help="break a stale lock")
    p.set_defaults(func=cmd_deploy)

    p = subparsers.add_parser("history", help="list the deploys of the bucket, newest first")
    _connection_flags(p)
    p.add_argument("--json", action="store_true", help="print a JSON array of the records")
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("rollback", help="restore an earlier deploy exactly")
    _connection_flags(p)
    p.add_argument("--to", metavar="ID", help="record id or unique prefix (default: the deploy "
                   "before the live one)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument("--force-unlock", action="store_true", help="break a stale lock")
    p.set_defaults(func=cmd_rollback)

    p = subparsers.add_parser("verify", help="compare the live bucket with the latest deploy")
    _connection_flags(p)
    p.set_defaults(func=cmd_verify)


def _apply_settings(args: argparse.Namespace, project_dir: Path) -> None:
    """Fill unset flags from notes.toml ``[deploy]`` (when the config module exists)."""
    try:
        from site_builder.config import load_settings
    except ImportError:
        return
    defaults = load_settings(project_dir).deploy
    for name in _FLAG_DEFAULTS:
        if hasattr(args, name) and getattr(args, name) is None and defaults.get(name):
            if name in ("bucket", "stack") and (args.bucket or args.stack):
                continue
            setattr(args, name, str(defaults[name]))


def make_client(service: str, args: argparse.Namespace) -> Any:
    """A boto3 client for ``service``; tests replace this to inject stubbed clients."""
    import boto3

    from site_builder.deploy.client import deploy_client

    session = boto3.session.Session(region_name=args.region)
    region = session.region_name or "us-east-1"
    if service != "s3":
        return session.client(service, region_name=region)
    extra = {"retries": {"mode": "standard", "max_attempts": 5},
             "s3": {"addressing_style": "path"} if args.endpoint_url else None}
    return deploy_client(session, region_name=region, endpoint_url=args.endpoint_url,
                         config_extra=extra)


def _setup(args: argparse.Namespace) -> tuple[Any, str]:
    """(S3 client, bucket name) from the flags, notes.toml and --stack."""
    _apply_settings(args, Path.cwd())
    if not args.bucket and args.stack:
        from site_builder.deploy import bucket_from_stack

        args.bucket = bucket_from_stack(make_client("cloudformation", args), args.stack)
    if not args.bucket:
        raise DeployError("no bucket given", "pass --bucket NAME or --stack NAME, or set "
                          "bucket in the [deploy] table of notes.toml")
    return make_client("s3", args), args.bucket


class ProgressBar:
    """``[#######-----] 120/480`` redrawn in place while uploading.

    Drawn only when its stream (stderr by default) is a terminal, so redirected logs, CI output
    and tests get no carriage-return noise; stdout keeps only the plan summary and the result.
    """

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open = False  # a bar is drawn and its line not yet ended

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.WIDTH * done // total
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total}")
        self._open = done < total
        if not self._open:
            self.stream.write("\n")
        self.stream.flush()

    def close(self) -> None:
        """End a bar left half-drawn by a failed upload, so ``Error: ...`` gets its own line."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


def _build_site() -> Path:
    """Build the project in the current folder, as `notes build` does with its defaults.

    A ContentError (bad front matter, broken links, ...) propagates before any S3 call that
    writes, so a broken build publishes nothing.
    """
    from site_builder.build import BuildOptions, build_site

    result = build_site(BuildOptions(project_dir=Path.cwd()))
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    out = Path(result.out_dir)
    try:
        shown = f"{out.resolve().relative_to(Path.cwd().resolve())}/"
    except ValueError:
        shown = str(out)
    print(f"Built {result.pages} pages ({result.files} files) into {shown}")
    return out


def _print_plan_lines(plan: Any) -> None:
    for up in plan.uploads:
        print(f"  upload  {up.key} ({up.reason})")
    for key in plan.deletes:
        print(f"  delete  {key}")


def cmd_deploy(args: argparse.Namespace) -> int:
    from site_builder.deploy import publish

    client, bucket = _setup(args)
    site = Path(args.site) if args.site else _build_site()
    bar = ProgressBar()
    try:
        result = publish(client, bucket, site, message=args.message, dry_run=args.dry_run,
                         max_deletes=args.max_deletes, allow_mass_delete=args.allow_mass_delete,
                         force_unlock=args.force_unlock, progress=bar)
    finally:
        bar.close()
    print(result.plan.summary())
    if result.dry_run:
        _print_plan_lines(result.plan)
        print("Dry run: nothing was changed.")
        return 0
    if result.record is None:
        print(f"Nothing to deploy: the bucket already serves this site (deploy {result.live_id}).")
    else:
        print(f"Deployed {result.record.id}.")
    if args.endpoint_url:
        print(f"Website: served by your endpoint {args.endpoint_url} (bucket {bucket})")
    else:
        print(f"Website: {website_url(bucket, client.meta.region_name)}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from site_builder.deploy import history

    client, bucket = _setup(args)
    records = history(client, bucket)
    if args.json:
        print(json.dumps([r.summary() for r in records], indent=2))
        return 0
    if not records:
        print(f"No deploys recorded in bucket {bucket}.")
        return 0
    print(f"{'ID':<27}  {'CREATED':<19}  {'KIND':<8}  {'SOURCE':<14}  "
          f"{'UP':>5}  {'DEL':>5}  {'SAME':>6}  MESSAGE")
    for r in records:
        c = r.counts
        print(f"{r.id:<27}  {r.created[:19].replace('T', ' '):<19}  {r.kind:<8}  "
              f"{r.source:<14}  {c.get('uploaded', 0):>5}  {c.get('deleted', 0):>5}  "
              f"{c.get('unchanged', 0):>6}  {r.message}".rstrip())
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from site_builder.deploy import rollback

    client, bucket = _setup(args)
    bar = ProgressBar()
    try:
        result, target = rollback(client, bucket, args.to, dry_run=args.dry_run,
                                  force_unlock=args.force_unlock, progress=bar)
    finally:
        bar.close()
    print(f"Rolling back to {target.id} ({target.kind} of {target.created[:19].replace('T', ' ')}"
          f"{': ' + target.message if target.message else ''})")
    print(result.plan.summary())
    _print_plan_lines(result.plan)
    if result.dry_run:
        print("Dry run: nothing was changed.")
    else:
        print(f"Rolled back: new record {result.record.id}.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from site_builder.deploy import verify

    client, bucket = _setup(args)
    report = verify(client, bucket)
    if report.clean:
        print(f"No drift: bucket {bucket} matches deploy {report.record_id} "
              f"({report.checked} files).")
        return 0
    for line in report.lines():
        print(line)
    n = len(report.lines())
    print(f"Drift: {n} difference{'s' if n != 1 else ''} from deploy {report.record_id}; "
          "`notes deploy` repairs them.")
    return 1
