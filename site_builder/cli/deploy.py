"""``notes deploy``, and what it shares with ``notes history/rollback/verify/unlock``
(``site_builder.cli.history``): connection flags, client setup, lock confirmation, CloudFront.

Thin wrappers over ``site_builder.deploy``: they resolve flags (command line, then the
``[deploy]`` table of notes.toml, then ``--stack``'s outputs), make the boto3 clients, and
print.  boto3 and the builder are imported inside the commands so ``notes --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from site_builder.errors import DeployError

# Regions whose website endpoint is "s3-website-<region>" (the rest use "s3-website.<region>").
_DASH_WEBSITE_REGIONS = frozenset({
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "sa-east-1", "us-gov-west-1",
})
_FLAG_DEFAULTS = ("bucket", "stack", "region", "endpoint_url", "site", "distribution")


def website_url(bucket: str, region: str) -> str:
    sep = "-" if region in _DASH_WEBSITE_REGIONS else "."
    return f"http://{bucket}.s3-website{sep}{region}.amazonaws.com/"


def _connection_flags(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--bucket", metavar="NAME",
                       help="the site bucket (default: notes.toml [deploy] bucket)")
    where.add_argument("--stack", metavar="NAME", help="read the bucket from this "
                       "CloudFormation stack's BucketName output")
    p.add_argument("--endpoint-url", metavar="URL",
                   help="an S3-compatible endpoint instead of AWS")
    p.add_argument("--region", metavar="REGION",
                   help="AWS region (default: from the AWS configuration)")


def _distribution_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--distribution", metavar="ID",
                   help="invalidate what changed on this CloudFront distribution (default: "
                   "notes.toml [deploy] distribution, or --stack's DistributionId output)")


def register(subparsers: Any) -> None:
    from site_builder.cli.build import add_build_flags

    p = subparsers.add_parser("deploy", help="build and publish the site to its S3 bucket")
    _connection_flags(p)
    p.add_argument("--site", metavar="DIR", help="publish this built folder (or .zip) "
                   "instead of building")
    p.add_argument("--message", default="", metavar="TEXT",
                   help="a note stored in the deploy record")
    p.add_argument("--check-headers", action="store_true",
                   help="HEAD every live object and repair headers the record has wrong")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    limit = p.add_mutually_exclusive_group()
    limit.add_argument("--max-deletes", type=_not_negative, metavar="N",
                       help="refuse to delete more than N objects (default: 25%% of the live "
                       "pages, at least 10)")
    limit.add_argument("--allow-mass-delete", action="store_true",
                       help="no limit on deletions")
    p.add_argument("--adopt", action="store_true", help="first deploy into a bucket that holds "
                   "objects no deploy record knows: take it over and delete them")
    _force_flags(p)
    _distribution_flag(p)
    add_build_flags(p)
    p.set_defaults(func=cmd_deploy)


def _not_negative(text: str) -> int:
    """--max-deletes 0 refuses every deletion; a negative limit would refuse them all too,
    with a confusing "limit -1" in the error."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 0, got '{text}'")
    return value


def _force_flags(p: argparse.ArgumentParser, confirms: str = "") -> None:
    """``--force-unlock`` and ``--yes``; ``confirms`` names the command's own question, if it
    asks one (only rollback does), so each --help says what its --yes answers."""
    p.add_argument("--force-unlock", action="store_true", help="break the lock even if its "
                   "holder is alive (asks first; stale locks are broken without it)")
    p.add_argument("--yes", action="store_true", help="answer yes without asking: "
                   f"{confirms}--force-unlock of a live lock (needed without a terminal)")


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
        from site_builder.deploy.stack import BUCKET_OUTPUT, stack_outputs

        args.outputs = stack_outputs(make_client("cloudformation", args), args.stack)
        args.bucket = args.outputs[BUCKET_OUTPUT]
    if not args.bucket:
        raise DeployError("no bucket given", "pass --bucket NAME or --stack NAME, or set "
                          "bucket in the [deploy] table of notes.toml")
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


def _confirm_force(args: argparse.Namespace, client: Any, bucket: str) -> bool:
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


def _website(client: Any, bucket: str) -> str:
    """The website URL in the bucket's own region (the client's may be another one)."""
    region = client.meta.region_name
    try:
        location = client.get_bucket_location(Bucket=bucket).get("LocationConstraint")
        region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    except Exception as exc:  # noqa: BLE001 - a URL is not worth failing a finished deploy
        logging.getLogger("site_builder.deploy").debug("GetBucketLocation: %s", exc)
    return website_url(bucket, region)


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


def _build_site(args: argparse.Namespace) -> Path:
    """Build the project in the current folder, as `notes build` does with the same flags.

    A ContentError (bad front matter, broken links, ...) propagates before any S3 call that
    writes, so a broken build publishes nothing.
    """
    from site_builder.build import build_site
    from site_builder.cli.build import build_options

    result = build_site(build_options(args, "deploy", Path.cwd()))
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
    site = Path(args.site) if args.site else _build_site(args)
    force = not args.dry_run and _confirm_force(args, client, bucket)  # dry runs take no lock
    dist, cloudfront = _distribution(args)
    bar = ProgressBar()
    try:
        result = publish(client, bucket, site, check_headers=args.check_headers,
                         message=args.message, dry_run=args.dry_run,
                         max_deletes=args.max_deletes, allow_mass_delete=args.allow_mass_delete,
                         force_unlock=force, progress=bar, adopt=args.adopt,
                         invalidator=_invalidator(cloudfront, dist))
    finally:
        bar.close()
    print(result.plan.summary())
    if result.dry_run:
        _print_plan_lines(result.plan)
        _print_invalidation(result, dist)
        print("Dry run: nothing was changed.")
        return 0
    if result.record is None:
        print(f"Nothing to deploy: the bucket already serves this site (deploy {result.live_id}).")
    else:
        print(f"Deployed {result.record.id}.")
    _print_invalidation(result, dist)
    if args.endpoint_url:
        print(_endpoint_website_line(client, bucket, args.endpoint_url))
    else:
        print(f"Website: {_reader_url(args, cloudfront, dist, bucket, client)}")
    return 0


def _endpoint_website_line(client: Any, bucket: str, endpoint_url: str) -> str:
    """Where to read the site published to an S3-compatible endpoint: the website server
    `notes up` tagged its bucket with, else the endpoint itself."""
    from site_builder.serve.embedded import tagged_website_url

    url = tagged_website_url(client, bucket)
    if url:
        return f"Website: {url} (notes up, bucket {bucket})"
    return f"Website: served by your endpoint {endpoint_url} (bucket {bucket})"


# --- CloudFront (stacks built with https=true) ------------------------------------------------


def _distribution(args: argparse.Namespace) -> tuple[str | None, Any]:
    """(distribution id, CloudFront client): --distribution, notes.toml, or --stack's output."""
    dist = args.distribution or getattr(args, "outputs", {}).get("DistributionId")
    if dist and args.endpoint_url:  # a local S3 endpoint has no CloudFront in front
        print(f"Warning: distribution {dist} is ignored with --endpoint-url (CloudFront is "
              "not in front of an S3-compatible endpoint): nothing is invalidated",
              file=sys.stderr)
    if not dist or args.endpoint_url:
        return None, None
    return dist, make_client("cloudfront", args)


def _invalidator(cloudfront: Any, dist: str | None) -> Any:
    from site_builder.deploy.invalidate import invalidator

    return invalidator(cloudfront, dist) if dist else None


def _print_invalidation(result: Any, dist: str | None) -> None:
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


def _reader_url(args: argparse.Namespace, cloudfront: Any, dist: str | None, bucket: str,
                client: Any) -> str:
    """Where readers go: the stack's SiteURL, the distribution's (first) domain, or S3's."""
    site = getattr(args, "outputs", {}).get("SiteURL")
    if site:
        return site.rstrip("/") + "/"
    if dist:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = cloudfront.get_distribution(Id=dist)["Distribution"]
        except (BotoCoreError, ClientError):
            found = None  # GetDistribution may not be allowed: the S3 URL still works
        if found:
            aliases = found["DistributionConfig"].get("Aliases", {}).get("Items") or []
            return f"https://{aliases[0] if aliases else found['DomainName']}/"
    return _website(client, bucket)
