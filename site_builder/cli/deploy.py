"""``notes deploy``: build, then publish with ``site_builder.deploy``, and say where to read it.

A thin wrapper: the flags and clients it shares with the other bucket commands are
``site_builder.cli.connect``.  boto3 and the builder are imported inside the command so
``notes --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from site_builder.cli.connect import (
    ProgressBar,
    check_target,
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

# Regions whose website endpoint is "s3-website-<region>" (the rest use "s3-website.<region>").
_DASH_WEBSITE_REGIONS = frozenset({
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "sa-east-1", "us-gov-west-1",
})


def website_url(bucket: str, region: str) -> str:
    sep = "-" if region in _DASH_WEBSITE_REGIONS else "."
    return f"http://{bucket}.s3-website{sep}{region}.amazonaws.com/"


def register(subparsers: Any) -> None:
    from site_builder.cli.build import add_build_flags

    p = subparsers.add_parser("deploy", help="build and publish the site to its S3 bucket")
    connection_flags(p)
    p.add_argument("--site", metavar="DIR", help="publish this built folder (or .zip) "
                   "instead of building")
    p.add_argument("--message", default="", metavar="TEXT",
                   help="a note stored in the deploy record")
    p.add_argument("--check-drift", action="store_true",
                   help="list the bucket and repair objects changed outside notes, even if "
                   "a deploy from here checked it in the last hour")
    p.add_argument("--check-headers", action="store_true",
                   help="HEAD every live object and repair headers the record has wrong")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    limit = p.add_mutually_exclusive_group()
    limit.add_argument("--max-deletes", type=_not_negative, metavar="N",
                       help="refuse to delete more than N objects, not counting "
                       "content-hashed files an edit replaces (default: 25%% of the live "
                       "pages, at least 10)")
    limit.add_argument("--allow-mass-delete", action="store_true",
                       help="no limit on deletions")
    p.add_argument("--adopt", action="store_true", help="take over a bucket that holds objects "
                   "no deploy record knows (deleting them), or another project's site (another "
                   "site_id)")
    force_flags(p)
    distribution_flag(p)
    add_build_flags(p)
    p.set_defaults(func=cmd_deploy)


def _not_negative(text: str) -> int:
    """--max-deletes 0 refuses every deletion but of replaced content-hashed files (search
    chunks, hashed assets); a negative limit would refuse them all too,
    with a confusing "limit -1" in the error."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 0, got '{text}'")
    return value


def _website(client: Any, bucket: str) -> str:
    """The website URL in the bucket's own region (the client's may be another one)."""
    region = client.meta.region_name
    try:
        location = client.get_bucket_location(Bucket=bucket).get("LocationConstraint")
        region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    except Exception as exc:  # noqa: BLE001 - a URL is not worth failing a finished deploy
        logging.getLogger("site_builder.deploy").debug("GetBucketLocation: %s", exc)
    return website_url(bucket, region)


def _build(args: argparse.Namespace) -> Any:
    """Build the project in the current folder, as `notes build` does with the same flags.

    A ContentError (bad front matter, broken links, ...) propagates before any S3 call that
    writes, so a broken build publishes nothing.  Prints nothing: it may run in a forked
    child (``_start_build``), whose output would not be flushed; ``_built`` reports.
    """
    from site_builder.cli.build import build_options
    from site_builder.pipeline.build import build_site

    return build_site(build_options(args, "deploy", Path.cwd()))


def _built(result: Any) -> Path:
    """Report a finished build as `notes build` does; the site's folder."""
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    out = Path(result.out_dir)
    try:
        shown = f"{out.resolve().relative_to(Path.cwd().resolve())}/"
    except ValueError:
        shown = str(out)
    print(f"Built {result.pages} pages ({result.files} files) into {shown}")
    return out


def _start_build(args: argparse.Namespace) -> Any:
    """The build (or with ``--site``, the scan of the built folder), started in a forked child
    before the S3 client exists (``background``): it runs on its own core while this process
    makes the client, takes the lock and lists the bucket.  None when a person may be asked a
    question first (``--force-unlock``), or where this process cannot fork."""
    if getattr(args, "force_unlock", False):
        return None
    from site_builder.core.background import ForkedCall

    if args.site:
        from site_builder.deploy.local import open_site, scan_site

        open_site(Path(args.site)).close()  # a wrong path fails before anything starts
        return ForkedCall.start(lambda: scan_site(Path(args.site)), "notes deploy")
    return ForkedCall.start(lambda: _build(args), "notes deploy")


def _site_and_cache(args: argparse.Namespace, client: Any, bucket: str,
                    build: Any) -> tuple[Any, Any]:
    """(what to publish: the --site path, or a function that returns the built folder (the
    forked ``build``'s, else built then) or the --site folder with the child's scan of it,
    while the deploy takes the lock and reads the bucket; the local copy of the latest deploy
    record, beside the site)."""
    from site_builder.deploy.recordcache import FileRecordCache, cache_dir

    if args.site:
        from site_builder.deploy.local import Scanned, open_site

        out = Path(args.site)
        site: Any = (lambda: Scanned(open_site(out), build.result(), out)) if build else out
    else:
        from site_builder.cli.build import build_options

        out = build_options(args, "deploy", Path.cwd()).out
        site = lambda: _built(build.result() if build else _build(args))  # called once
    return site, FileRecordCache(cache_dir(out), str(client.meta.endpoint_url), bucket)


def cmd_deploy(args: argparse.Namespace) -> int:
    check_target(args)
    build = _start_build(args)
    try:
        return _deploy(args, build)
    finally:
        if build is not None:
            build.cancel()  # a deploy that failed before it needed the build


def _deploy(args: argparse.Namespace, build: Any) -> int:
    from site_builder.core.config import load_settings
    from site_builder.deploy import publish

    client, bucket = setup(args)
    force = not args.dry_run and confirm_force(args, client, bucket)  # dry runs take no lock
    dist, cloudfront = find_distribution(args)
    site, cache = _site_and_cache(args, client, bucket, build)
    website = None if args.dry_run else _in_background(
        lambda: _website_line(args, client, bucket, cloudfront, dist))
    bar = ProgressBar()
    try:
        result = publish(client, bucket, site, check_headers=args.check_headers,
                         message=args.message, dry_run=args.dry_run,
                         max_deletes=args.max_deletes, allow_mass_delete=args.allow_mass_delete,
                         force_unlock=force, progress=bar, adopt=args.adopt,
                         invalidator=make_invalidator(cloudfront, dist), record_cache=cache,
                         site_id=load_settings(Path.cwd()).site_id,
                         check_drift=args.check_drift)
    finally:
        bar.close()
    print(result.plan.summary())
    if result.dry_run:
        print_plan_lines(result.plan)
        print_invalidation(result, dist)
        print("Dry run: nothing was changed.")
        return 0
    if result.record is None:
        print(f"Nothing to deploy: the bucket already serves this site (deploy {result.live_id}).")
    else:
        print(f"Deployed {result.record.id}.")
    print_invalidation(result, dist)
    if website is not None:
        print(website.result())
    return 0


def _in_background(work: Callable[[], str]) -> Future[str]:
    """``work`` on a daemon thread, started now: the ``Website:`` line asks S3 or CloudFront
    where readers go, a round trip that overlaps the deploy instead of following it."""
    future: Future[str] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for it
            future.set_exception(exc)

    threading.Thread(target=run, name="notes-website", daemon=True).start()
    return future


def _website_line(args: argparse.Namespace, client: Any, bucket: str, cloudfront: Any,
                  dist: str | None) -> str:
    if args.endpoint_url:
        return _endpoint_website_line(client, bucket, args.endpoint_url)
    return f"Website: {_reader_url(args, cloudfront, dist, bucket, client)}"


def _endpoint_website_line(client: Any, bucket: str, endpoint_url: str) -> str:
    """Where to read the site published to an S3-compatible endpoint: the website server
    `notes up` tagged its bucket with, else the endpoint itself."""
    from site_builder.serve.embedded import tagged_website_url

    url = tagged_website_url(client, bucket)
    if url:
        return f"Website: {url} (notes up, bucket {bucket})"
    return f"Website: served by your endpoint {endpoint_url} (bucket {bucket})"


# --- CloudFront (stacks built with https=true) ------------------------------------------------


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
