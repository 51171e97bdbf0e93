"""What the bucket commands share (``deploy``, ``history``, ``rollback``, ``verify``, ``unlock``).

Their connection flags (command line, then the ``[deploy]`` table of notes.toml, then
``--stack``'s outputs), the boto3 clients, the confirmation a live lock's break needs, the
upload progress bar, and the CloudFront distribution and its invalidation lines.  boto3 is
imported inside the functions so ``notes --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from site_builder.core.errors import DeployError

FLAG_DEFAULTS = ("bucket", "stack", "region", "endpoint_url", "site", "distribution")
# botocore's own rules, checked before any client is made (its errors are paragraphs, or
# tracebacks): any existing bucket's name (old us-east-1 ones may hold capitals and "_"), a
# new bucket's name (what `notes up` creates), a region.
_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")
_NEW_BUCKET = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")


def connection_flags(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--bucket", metavar="NAME",
                       help="the site bucket (default: notes.toml [deploy] bucket)")
    where.add_argument("--stack", metavar="NAME", help="read the bucket from this "
                       "CloudFormation stack's BucketName output")
    p.add_argument("--endpoint-url", metavar="URL",
                   help="an S3-compatible endpoint instead of AWS")
    p.add_argument("--region", metavar="REGION",
                   help="AWS region (default: from the AWS configuration)")


def distribution_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--distribution", metavar="ID",
                   help="invalidate what changed on this CloudFront distribution (default: "
                   "notes.toml [deploy] distribution, or --stack's DistributionId output)")


def force_flags(p: argparse.ArgumentParser, confirms: str = "") -> None:
    """``--force-unlock`` and ``--yes``; ``confirms`` names the command's own question, if it
    asks one (only rollback does), so each --help says what its --yes answers."""
    p.add_argument("--force-unlock", action="store_true", help="break the lock even if its "
                   "holder is alive (asks first; stale locks are broken without it)")
    p.add_argument("--yes", action="store_true", help="answer yes without asking: "
                   f"{confirms}--force-unlock of a live lock (needed without a terminal)")


def apply_settings(args: argparse.Namespace, project_dir: Path) -> None:
    """Fill unset flags from notes.toml ``[deploy]`` (when the config module exists)."""
    try:
        from site_builder.core.config import load_settings
    except ImportError:
        return
    defaults = load_settings(project_dir).deploy
    for name in FLAG_DEFAULTS:
        if hasattr(args, name) and getattr(args, name) is None and defaults.get(name):
            if name in ("bucket", "stack") and (args.bucket or args.stack):
                continue
            setattr(args, name, str(defaults[name]))


def check_bucket_name(name: str, new: bool = False) -> None:
    """A one-line error for a name S3 cannot have (``new``: one S3 would let us create)."""
    if not (_NEW_BUCKET if new else _BUCKET).match(name):
        rule = ("3-63 lowercase letters, digits, dots and hyphens, starting and ending with a "
                "letter or digit") if new else "letters, digits, dots, hyphens and underscores"
        raise DeployError(f"{name!r} is not a valid S3 bucket name", f"use {rule}")


def check_connection(args: argparse.Namespace) -> None:
    """The bucket, region and endpoint flags (or their notes.toml defaults) before use."""
    if getattr(args, "bucket", None):
        check_bucket_name(args.bucket)
    region = getattr(args, "region", None)
    if region is not None and not _REGION.match(region):
        raise DeployError(f"{region!r} is not an AWS region name", "e.g. --region eu-west-1")
    url = getattr(args, "endpoint_url", None)
    if url is not None:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (
                parts.port is None or parts.port > 0)
        except ValueError:  # a port that is not a number
            ok = False
        if not ok:
            raise DeployError(f"--endpoint-url {url!r} is not an http(s) URL",
                              "e.g. --endpoint-url http://127.0.0.1:4566")


def make_client(service: str, args: argparse.Namespace) -> Any:
    """A client for ``service``; tests replace this to inject stubbed clients.  What
    botocore refuses while making it (a profile that does not exist, say) is one line.

    Made from a botocore session, not boto3's: boto3 adds only its resource layer and
    ``s3transfer``, which no command uses, and importing and setting them up is about
    0.1 s of every command (a tenth of an edit's way to live, ``notes deploy``)."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    from site_builder.deploy.client import deploy_client

    try:
        session = botocore.session.Session()
        if args.region:
            session.set_config_variable("region", args.region)
        region = session.get_config_variable("region") or "us-east-1"
        if service != "s3":
            return session.create_client(service, region_name=region)
        extra = {"retries": {"mode": "standard", "max_attempts": 5},
                 "s3": {"addressing_style": "path"} if args.endpoint_url else None}
        return deploy_client(session, region_name=region, endpoint_url=args.endpoint_url,
                             config_extra=extra)
    except (BotoCoreError, ValueError) as exc:
        raise DeployError(f"cannot set up the AWS client: {exc}",
                          "check --region, --endpoint-url and your AWS configuration") from None


def check_target(args: argparse.Namespace) -> None:
    """The flags and notes.toml name a bucket (or a stack) and a usable connection: checked
    without a request, before any work that would be wasted without them."""
    apply_settings(args, Path.cwd())
    check_connection(args)
    if not args.bucket and not args.stack:
        raise DeployError("no bucket given", "pass --bucket NAME or --stack NAME, or set "
                          "bucket in the [deploy] table of notes.toml")


def setup(args: argparse.Namespace) -> tuple[Any, str]:
    """(S3 client, bucket name) from the flags, notes.toml and --stack."""
    check_target(args)
    if not args.bucket and args.stack:
        from site_builder.deploy.stack import BUCKET_OUTPUT, stack_outputs

        args.outputs = stack_outputs(make_client("cloudformation", args), args.stack)
        args.bucket = args.outputs[BUCKET_OUTPUT]
    if not args.bucket:
        raise DeployError("no bucket given", "pass --bucket NAME or --stack NAME, or set "
                          "bucket in the [deploy] table of notes.toml")
    check_connection(args)
    _show_engine_warnings()
    return make_client("s3", args), args.bucket


class _WarningLine(logging.Handler):
    """The engine's warnings (skipped records, broken locks) as ``Warning: ...`` on stderr,
    looked up at each line so a replaced sys.stderr (tests, redirection) is honoured."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"Warning: {record.getMessage()}", file=sys.stderr)


def _show_engine_warnings() -> None:
    logger = logging.getLogger("site_builder.deploy")
    if not any(isinstance(h, _WarningLine) for h in logger.handlers):
        logger.addHandler(_WarningLine(logging.WARNING))
        logger.setLevel(logging.INFO)


def confirm_force(args: argparse.Namespace, client: Any, bucket: str) -> bool:
    """``--force-unlock`` breaks a *live* lock only once a person said yes (or ``--yes``)."""
    if not getattr(args, "force_unlock", False):
        return False
    from site_builder.deploy.errors import aws_errors
    from site_builder.deploy.lock import read_lock

    with aws_errors(bucket):
        held = read_lock(client, bucket)
    if held is None or held.stale:
        return True  # nothing live to break: stale locks are broken anyway
    print(f"Lock: {held.describe(bucket)}")
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise DeployError("--force-unlock would break a live lock, and there is no terminal to "
                          "confirm it", "pass --yes as well to break it")
    print("Break this live lock? Its operation stops before its next write. [y/N] ", end="",
          file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise DeployError("the lock was not broken", "wait for its operation to finish")
    return True


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


def print_plan_lines(plan: Any) -> None:
    for up in plan.uploads:
        print(f"  upload  {up.key} ({up.reason})")
    for key in plan.deletes:
        print(f"  delete  {key}")


def find_distribution(args: argparse.Namespace) -> tuple[str | None, Any]:
    """(distribution id, CloudFront client): --distribution, notes.toml, or --stack's output."""
    dist = args.distribution or getattr(args, "outputs", {}).get("DistributionId")
    if dist and args.endpoint_url:  # a local S3 endpoint has no CloudFront in front
        print(f"Warning: distribution {dist} is ignored with --endpoint-url (CloudFront is "
              "not in front of an S3-compatible endpoint): nothing is invalidated",
              file=sys.stderr)
    if not dist or args.endpoint_url:
        return None, None
    return dist, make_client("cloudfront", args)


def make_invalidator(cloudfront: Any, dist: str | None) -> Any:
    from site_builder.deploy.invalidate import invalidator

    return invalidator(cloudfront, dist) if dist else None


def print_invalidation(result: Any, dist: str | None) -> None:
    """One line about the edge caches, only when a distribution is configured."""
    from site_builder.deploy.invalidate import WILDCARD, plan_paths

    if not dist:
        return
    if result.dry_run:
        paths = plan_paths(result.plan)
        print(f"Would invalidate {_count(paths)} on CloudFront distribution {dist}.")
        for path in paths:
            print(f"  invalidate  {path}")
        return
    if result.record is None:
        return
    done = result.record.invalidation
    if done is None:
        print(f"Nothing to invalidate on CloudFront distribution {dist}.")
    else:
        what = "everything (/*)" if done.paths == (WILDCARD,) else _count(done.paths)
        print(f"Invalidated {what} on CloudFront distribution {dist} (invalidation {done.id}).")


def _count(paths: Any) -> str:
    return f"{len(paths)} path{'s' if len(paths) != 1 else ''}"
