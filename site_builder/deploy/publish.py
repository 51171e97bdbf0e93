"""``publish``: make a bucket serve a built site, and record exactly what it left live.

Steps: scan the site (folder or zip) -> check the bucket (exists, credentials, versioning) ->
take the lease lock (``lock.locked``: renewed while it runs; a stale lock is broken and the
break recorded) -> list the live objects and read the latest record -> plan (pure) -> safety
checks (mass delete, ``adopt``) -> apply (uploads, deletions, CloudFront invalidation when an
``invalidator`` is given, record).  The lock is released on every path.

The parent is the newest *valid* record: an invalid newer one is skipped with a warning, which
is safe because the plan is made against the live listing; the parent only adds what it knows
about versions (MD5 of multipart uploads, headers), and a skipped record costs at most a
re-upload.  A first deploy (no record) into a bucket that already holds objects refuses to
delete them unless ``adopt``: no record could bring them back.

A deploy that changes nothing and finds the live bucket exactly as the latest record describes
it writes nothing at all (no record: history stays meaningful), unless it had to break a stale
lock: that is worth a record.  If the bucket already has the
right bytes but the latest record does not describe it (a failed deploy, hand edits), a record
is written so that rollback and verify keep an exact picture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from site_builder.core.errors import DeployError
from site_builder.deploy.apply import DEFAULT_WORKERS, DryRunStore, Progress, S3Store, apply_plan
from site_builder.deploy.errors import aws_errors, check_versioning
from site_builder.deploy.guard import GuardedStore
from site_builder.deploy.invalidate import Invalidator, changed_keys, with_invalidation
from site_builder.deploy.local import LocalFile, SiteSource, open_site
from site_builder.deploy.lock import LockOptions, locked
from site_builder.deploy.pagelinks import read_links
from site_builder.deploy.plan import Plan, known_versions, make_plan, needs_head
from site_builder.deploy.record import DeployRecord, FileEntry, new_id
from site_builder.deploy.recordstore import latest_record
from site_builder.deploy.remote import RemoteObject, head_headers, list_live
from site_builder.deploy.siteid import check_site, record_site

MIN_DELETE_LIMIT = 10


@dataclass(frozen=True)
class DeployResult:
    plan: Plan
    record: DeployRecord | None  # the record written; None on a dry run or a no-op
    live_id: str | None  # the record describing the live site afterwards
    dry_run: bool = False
    note: str = ""  # rollback: why its default target was chosen


def delete_limit(live: Mapping[str, RemoteObject], max_deletes: int | None) -> int:
    """Default: a quarter of the live pages, at least ``MIN_DELETE_LIMIT``."""
    if max_deletes is not None:
        return max_deletes
    pages = sum(1 for key in live if key.endswith(".html"))
    return max(MIN_DELETE_LIMIT, pages // 4)


def check_deletes(plan: Plan, live: Mapping[str, RemoteObject], max_deletes: int | None,
                  allow_mass_delete: bool) -> None:
    """A half-built or wrong --site folder must not wipe the published site."""
    limit = delete_limit(live, max_deletes)
    if allow_mass_delete or len(plan.deletes) <= limit:
        return
    raise DeployError(
        f"this deploy would delete {len(plan.deletes)} of {len(live)} live objects "
        f"(limit {limit})",
        "check that --site is the complete site; allow it with --max-deletes N or "
        "--allow-mass-delete",
    )


def check_adopt(plan: Plan, parent: DeployRecord | None, adopt: bool) -> None:
    """Objects no record knows are someone else's until the user says otherwise."""
    if parent is not None or adopt or not plan.deletes:
        return
    shown = ", ".join(plan.deletes[:3]) + (", ..." if len(plan.deletes) > 3 else "")
    raise DeployError(
        f"the bucket holds {len(plan.deletes)} object{'s' if len(plan.deletes) != 1 else ''} "
        f"that no deploy record knows ({shown}), "
        f"and this first deploy would delete {'it' if len(plan.deletes) == 1 else 'them'}",
        "check that it is the right bucket; pass --adopt to take it over and delete them",
    )


def record_matches_live(record: DeployRecord | None, live: Mapping[str, RemoteObject]) -> bool:
    if record is None or set(record.files) != set(live):
        return False
    return all(live[k].version_id == e.version_id for k, e in record.files.items())


def _entries(files: list[LocalFile], versions: Mapping[str, str],
             live: Mapping[str, RemoteObject]) -> dict[str, FileEntry]:
    """Every key of the site with the version this deploy left live."""
    return {
        f.key: FileEntry(f.size, f.md5, versions.get(f.key) or live[f.key].version_id,
                         f.content_type, f.cache_control, f.group)
        for f in files
    }


def record_factory(*, kind: str, source: str, message: str, parent: DeployRecord | None,
                   plan: Plan, now: datetime | None = None, target: str | None = None,
                   broke_lock: dict[str, Any] | None = None, asset_hash: str | None = None,
                   site_id: str | None = None):
    """A function turning the uploads' VersionIds into the finished record (its site id:
    ``site_id``, else the parent's, see ``siteid``)."""

    def make(versions: dict[str, str], files: dict[str, FileEntry]) -> DeployRecord:
        record_id, created = new_id(now or datetime.now(UTC),
                                    parent.id if parent else None)
        counts = {"uploaded": len(plan.uploads), "deleted": len(plan.deletes),
                  "unchanged": len(plan.unchanged), "files": len(files)}
        return DeployRecord(record_id, created.isoformat(), kind, source, message,
                            parent.id if parent else None, counts, files, target, broke_lock,
                            asset_hash, site_id=record_site(parent, site_id))

    return make


def _plan(client: Any, bucket: str, source: SiteSource, files: list[LocalFile],
          live: dict[str, RemoteObject], parent: DeployRecord | None, workers: int,
          check_headers: bool = False) -> Plan:
    """Plan with what only extra reads can tell: the headers of live versions no record knows
    (HEAD; with ``check_headers`` every live key, for records written before deploys HEADed,
    which may hold headers nobody saw), and the links of every page to upload (for the upload
    order)."""
    known = known_versions(parent)
    to_head = [f.key for f in files if f.key in live] if check_headers else needs_head(
        files, live, known)
    heads = head_headers(client, bucket, to_head, workers)
    keys = [u.key for u in make_plan(files, live, known, heads=heads).uploads]
    links = read_links(keys, source.read, workers=1)  # local bytes: no pool
    return make_plan(files, live, known, links, heads)


def publish(client: Any, bucket: str, site: Path | str, *, message: str = "",
            source: str = "cli", max_deletes: int | None = None, check_headers: bool = False,
            allow_mass_delete: bool = False, dry_run: bool = False,
            force_unlock: bool = False, progress: Progress | None = None,
            workers: int = DEFAULT_WORKERS, adopt: bool = False,
            lock_options: LockOptions | None = None,
            asset_hash: str | None = None, invalidator: Invalidator | None = None,
            site_id: str | None = None) -> DeployResult:
    """Publish the built site at ``site`` (folder or .zip) to ``bucket``.

    ``asset_hash``: the CDK asset being published, kept in the record (see handler).
    ``invalidator`` (``invalidate.invalidator(cloudfront, id)``) runs after the uploads and
    deletions, before the record, which lists its invalidation (see ``invalidate``).
    ``site_id``: the project's (notes.toml); another project's site is not replaced unless
    ``adopt`` (``siteid``).
    """
    source_files = open_site(Path(site))
    try:
        files = source_files.scan()
        if not files:
            raise DeployError(f"{site}: the site is empty", "build it first (`notes build`)")
        check_versioning(client, bucket)
        with (
            locked(client, bucket, "deploy", force_unlock=force_unlock, enabled=not dry_run,
                   options=lock_options) as lease,
            aws_errors(bucket),
        ):
            live = list_live(client, bucket)
            parent = latest_record(client, bucket, skip_invalid=True)
            check_site(parent, site_id, bucket, adopt)
            plan = _plan(client, bucket, source_files, files, live, parent, workers,
                         check_headers)
            check_adopt(plan, parent, adopt)
            check_deletes(plan, live, max_deletes, allow_mass_delete)
            broke = lease.broke if lease else None  # a break is history: always recorded
            claims = parent is not None and record_site(parent, site_id) != parent.site_id
            if plan.is_noop and record_matches_live(parent, live) and not broke and not claims:
                return DeployResult(plan, None, parent.id if parent else None, dry_run)
            store = GuardedStore(DryRunStore() if dry_run else S3Store(client, bucket), bucket,
                                 lease)
            make = record_factory(kind="deploy", source=source, message=message,
                                  parent=parent, plan=plan,
                                  broke_lock=broke,
                                  asset_hash=asset_hash, site_id=site_id)
            keys, run = changed_keys(plan, parent, live), None if dry_run else invalidator
            record = apply_plan(plan, store, source_files,
                                lambda v: with_invalidation(make(v, _entries(files, v, live)),
                                                            run, keys),
                                workers=workers, progress=progress)
    finally:
        source_files.close()
    if dry_run:
        return DeployResult(plan, None, parent.id if parent else None, True)
    return DeployResult(plan, record, record.id, False)
