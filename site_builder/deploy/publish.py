"""``publish``: make a bucket serve a built site, and record exactly what it left live.

Steps: on a thread, at once (``_Prelude``, overlapping the build or the scan of the site): take
the lease lock (``lock.acquire``: renewed while it runs; a stale lock is broken and the break
recorded; its PUT also tells whether the bucket is versioned), then read the latest record and
what is live (``current.read_state``: the record checked against a ListObjectsV2 pass, in
parallel key ranges; or, within an hour of such a pass on this machine and with a lock nobody
left unfinished, the record alone, *trusted*; a full version listing only for a first deploy or
``check_headers``).  Meanwhile: scan the site (folder or zip; the build's manifest spares
reading files).  Then plan (pure) -> safety checks (mass delete, ``adopt``) -> apply (uploads,
deletions, CloudFront invalidation when an ``invalidator`` is given, record).  A trusted plan
uploads conditionally (``plan.conditional``): a failed condition (``apply.Drifted``) means the
bucket changed outside notes, and the deploy lists it, plans and applies again.  The lock is
released on every path.  An unchanged deploy makes three requests when trusted (the lock, the
record listing: one page, it starts at the cached record's id, and the lock's release), and
with a listing one more plus one page per 1,000 live objects; the record itself comes from
``record_cache`` (``recordcache``) when the bucket still holds that very object.

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

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from site_builder.core.errors import DeployError
from site_builder.deploy.apply import (
    DEFAULT_WORKERS,
    Drifted,
    DryRunStore,
    Progress,
    S3Store,
    apply_plan,
)
from site_builder.deploy.current import BucketState, read_state
from site_builder.deploy.errors import aws_errors, check_versioning
from site_builder.deploy.guard import GuardedStore
from site_builder.deploy.headers import is_content_hashed
from site_builder.deploy.invalidate import Invalidator, changed_keys, with_invalidation
from site_builder.deploy.local import LocalFile, SiteSource, open_site
from site_builder.deploy.lock import Lease, LockOptions, acquire
from site_builder.deploy.pagelinks import read_links
from site_builder.deploy.plan import (
    Plan,
    conditional,
    known_versions,
    make_plan,
    needs_head,
    ordered_plan,
)
from site_builder.deploy.record import DeployRecord, FileEntry, hydrate, new_id
from site_builder.deploy.recordstore import RecordCache
from site_builder.deploy.remote import RemoteObject, head_live
from site_builder.deploy.siteid import check_site, record_site

MIN_DELETE_LIMIT = 10
log = logging.getLogger("site_builder.deploy")


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
    """A half-built or wrong --site folder must not wipe the published site.  Content-hashed
    files (Pagefind's chunks, the builder's hashed assets) are not counted: their names change
    with their bytes, so editing 300 of 1,000 notes replaces 300 search fragments, which is
    not a site being wiped."""
    limit = delete_limit(live, max_deletes)
    counted = [key for key in plan.deletes if not is_content_hashed(key)]
    if allow_mass_delete or len(counted) <= limit:
        return
    raise DeployError(
        f"this deploy would delete {len(counted)} of {len(live)} live objects "
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
          state: BucketState, workers: int, check_headers: bool = False
          ) -> tuple[Plan, dict[str, RemoteObject]]:
    """Plan with what only extra reads can tell: the live version and headers of objects no
    record knows whose bytes already match (HEAD; with ``check_headers`` every live key, for
    records written before deploys HEADed, which may hold headers nobody saw), and the links of
    every page to upload (for the upload order).  Returns the plan and the live objects, with
    the versions the HEADs named."""
    known = known_versions(state.parent)
    live = dict(state.live)
    to_head = [f.key for f in files if f.key in live] if check_headers else needs_head(
        files, live, known)
    heads = {}
    for key, (obj, headers) in head_live(client, bucket, to_head, workers).items():
        live[key], heads[key] = obj, headers
    first = make_plan(files, live, known, heads=heads)
    if not first.uploads:
        return first, live
    links = read_links([u.key for u in first.uploads], source.read, workers=1)  # local: no pool
    return ordered_plan(first.uploads, first.deletes, first.unchanged, links, live), live


class _Prelude:
    """The bucket's side of a deploy, started on a thread as soon as the deploy starts (so it
    overlaps the build, or the scan of the site): the lock, then the latest record and the live
    listing (``current.read_state``).  Leaving the ``with`` waits for it and releases the lock
    it took, whatever happened."""

    def __init__(self, client: Any, bucket: str, *, lock: bool, force_unlock: bool,
                 lock_options: LockOptions | None, cache: RecordCache | None, full: bool,
                 workers: int, trust: bool = True):
        self.client, self.bucket, self.lock = client, bucket, lock
        self.force_unlock, self.lock_options = force_unlock, lock_options or LockOptions()
        self.cache, self.full, self.workers, self.trust = cache, full, workers, trust
        self.lease: Lease | None = None
        self._given_up = threading.Event()  # the deploy failed first (a broken build)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notes-prelude")
        self._future: Future[BucketState] | None = None

    def __enter__(self) -> Self:
        self._future = self._pool.submit(self._run)
        return self

    def _run(self) -> BucketState:
        with aws_errors(self.bucket):
            if self.lock:
                opts = self.lock_options
                self.lease = acquire(self.client, self.bucket, "deploy",
                                     force_unlock=self.force_unlock or opts.force_unlock,
                                     lease_seconds=opts.lease_seconds,
                                     wait_seconds=opts.wait_seconds, clock=opts.clock)
                self.lease.start_heartbeat()
            if self.lease is None or self.lease.versions == ["null"]:  # unversioned?
                check_versioning(self.client, self.bucket)
            if self._given_up.is_set():  # nobody will plan: do not list the bucket
                return BucketState(None, {}, False)
            clean = self.lease is not None and self.lease.broke is None  # nothing unfinished
            return read_state(self.client, self.bucket, self.cache, full=self.full,
                              workers=self.workers, trust=self.trust and clean)

    def result(self) -> BucketState:
        assert self._future is not None
        return self._future.result()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self._given_up.set()
        self._pool.shutdown(wait=True)
        if self.lease is not None:
            self.lease.release()


def publish(client: Any, bucket: str, site: Path | str | Callable[[], Path | SiteSource], *,
            message: str = "", source: str = "cli", max_deletes: int | None = None,
            check_headers: bool = False, allow_mass_delete: bool = False,
            dry_run: bool = False, force_unlock: bool = False,
            progress: Progress | None = None, workers: int = DEFAULT_WORKERS,
            adopt: bool = False, lock_options: LockOptions | None = None,
            asset_hash: str | None = None, invalidator: Invalidator | None = None,
            record_cache: RecordCache | None = None, site_id: str | None = None,
            check_drift: bool = False) -> DeployResult:
    """Publish the built site at ``site`` (folder or .zip) to ``bucket``.

    ``site`` may also be a function that builds the site and returns its folder (or a
    ``SiteSource``, e.g. ``local.Scanned``): the lock and the bucket's reads run while it
    does (a failed build takes the lock and releases it, writing nothing else).
    ``asset_hash``: the CDK asset being published, kept in the record (see handler).  ``invalidator`` (``invalidate.invalidator(cloudfront, id)``) runs after
    the uploads and deletions, before the record, which lists its invalidation (see
    ``invalidate``).  ``record_cache`` (``recordcache``): where the latest record is kept
    between deploys from this machine.  ``site_id``: the project's (notes.toml); another
    project's site is not replaced unless ``adopt`` (``siteid``).  ``check_drift``: list the
    bucket even when the cached record may be trusted (``current.read_state``).
    """
    if not callable(site):
        open_site(Path(site)).close()  # a wrong path fails before any request
    with _Prelude(client, bucket, lock=not dry_run, force_unlock=force_unlock,
                  lock_options=lock_options, cache=record_cache, full=check_headers,
                  workers=workers, trust=not check_drift) as prelude:
        given = site() if callable(site) else site
        source_files = open_site(Path(given)) if isinstance(given, (str, Path)) else given
        try:
            files = source_files.scan()
            if not files:
                where = getattr(given, "where", given)  # a Scanned folder: its path
                raise DeployError(f"{where}: the site is empty", "build it first (`notes build`)")
            state = prelude.result()
            with aws_errors(bucket):
                return _deploy(client, bucket, source_files, files, state, prelude.lease,
                               _Options(message, source, max_deletes, allow_mass_delete,
                                        dry_run, progress, workers, adopt, asset_hash,
                                        invalidator, check_headers, record_cache, site_id))
        finally:
            source_files.close()


@dataclass(frozen=True)
class _Options:
    """``publish``'s settings, as ``_deploy`` needs them."""

    message: str
    source: str
    max_deletes: int | None
    allow_mass_delete: bool
    dry_run: bool
    progress: Progress | None
    workers: int
    adopt: bool
    asset_hash: str | None
    invalidator: Invalidator | None
    check_headers: bool
    record_cache: RecordCache | None
    site_id: str | None = None


def _deploy(client: Any, bucket: str, source: SiteSource, files: list[LocalFile],
            state: BucketState, lease: Lease | None, opts: _Options) -> DeployResult:
    """Plan, check, apply and record (with the lock held, unless a dry run).  A plan made from
    the trusted record alone uploads conditionally; when a condition fails (the bucket changed
    outside notes), the bucket is listed and the deploy planned and applied again."""
    try:
        return _apply(client, bucket, source, files, state, lease, opts)
    except Drifted as drift:  # only a trusted plan's uploads are conditional
        log.warning("%s changed outside notes since deploy %s: checking the whole bucket",
                    drift.key, state.parent.id if state.parent else "(none)")
    listed = read_state(client, bucket, None, workers=opts.workers)
    return _apply(client, bucket, source, files, listed, lease, opts)


def _apply(client: Any, bucket: str, source: SiteSource, files: list[LocalFile],
           state: BucketState, lease: Lease | None, opts: _Options) -> DeployResult:
    parent = state.parent
    check_site(parent, opts.site_id, bucket, opts.adopt)
    plan, live = _plan(client, bucket, source, files, state, opts.workers, opts.check_headers)
    check_adopt(plan, parent, opts.adopt)
    check_deletes(plan, live, opts.max_deletes, opts.allow_mass_delete)
    broke = lease.broke if lease else None  # a break is history: always recorded
    claims = parent is not None and record_site(parent, opts.site_id) != parent.site_id
    cache = None if opts.dry_run else opts.record_cache
    if plan.is_noop and record_matches_live(parent, live) and not broke and not claims:
        if cache is not None and parent is not None and not state.trusted \
                and state.checked is not None:  # the listing showed the record: trust it a while
            etags = {(key, obj.version_id): obj.etag for key, obj in live.items()}
            cache.mark_checked(state.checked, hydrate(parent, etags))
        return DeployResult(plan, None, parent.id if parent else None, opts.dry_run)
    if state.trusted:
        plan = conditional(plan, live)
    if cache is not None:
        cache.forget()  # until the new record is stored, the cached one may be wrong
    s3 = DryRunStore() if opts.dry_run else S3Store(client, bucket)
    make = record_factory(kind="deploy", source=opts.source, message=opts.message,
                          parent=parent, plan=plan, broke_lock=broke,
                          asset_hash=opts.asset_hash, site_id=opts.site_id)
    keys = changed_keys(plan, parent, live)
    run = None if opts.dry_run else opts.invalidator
    record = apply_plan(plan, GuardedStore(s3, bucket, lease), source,
                        lambda v: with_invalidation(make(v, _entries(files, v, live)), run, keys),
                        workers=opts.workers, progress=opts.progress)
    if opts.dry_run:
        return DeployResult(plan, None, parent.id if parent else None, True)
    if cache is not None and isinstance(s3, S3Store) and s3.written is not None:
        cache.put(*s3.written, checked=state.checked)
    return DeployResult(plan, record, record.id, False)
