"""``rollback``: make the live bucket equal an earlier record, then record that.

The plan is "make live equal record R" (``make_restore_plan``): each key whose live version is
not R's is restored by CopyObject from ``key?versionId=<R's version>`` (bytes and headers come
along), each live key R lacks gets a delete marker.  It runs through the same ``apply`` as a
deploy (same order, same lock, same failure handling) and writes a new record of kind
``rollback``: history is never rewritten, and the versions it moved away from stay in the bucket.

Default target: the deploy before the one whose content is live.  If the live record is itself
a rollback, "live content" is its target's, so repeated ``notes rollback`` keeps stepping back.
After a failed deploy (the bucket is not what the latest record says) it is the latest record.

Before its first write, a rollback checks that every version it will copy still exists (from
the same ListObjectVersions pass that gives the live listing), so a record whose versions
expired is refused with the keys named, instead of failing half-way; ``--dry-run`` runs the
same check.  The exception is CloudFormation's rollback (infra/handler), which passes the
asset it is restoring as ``refill``: versions the lifecycle rule expired are uploaded again
from those very bytes (``plan.refill_expired``) instead of refusing.

The restored pages go up in link order, like a deploy's (``plan.order_waves``):
their links are read from the old versions' bytes (one GetObject per restored page).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from site_builder.core.errors import DeployError
from site_builder.deploy.apply import DEFAULT_WORKERS, DryRunStore, Progress, S3Store, apply_plan
from site_builder.deploy.errors import aws_errors, check_versioning
from site_builder.deploy.guard import GuardedStore
from site_builder.deploy.history import resolve_id
from site_builder.deploy.invalidate import Invalidator, changed_keys, with_invalidation
from site_builder.deploy.local import SiteSource
from site_builder.deploy.lock import LockOptions, locked
from site_builder.deploy.pagelinks import read_links
from site_builder.deploy.plan import Plan, known_versions, make_restore_plan, refill_expired
from site_builder.deploy.publish import DeployResult, record_factory, record_matches_live
from site_builder.deploy.record import DeployRecord, FileEntry, hydrate
from site_builder.deploy.recordstore import load_record, record_ids
from site_builder.deploy.remote import RemoteObject, list_versions

_SHOWN = 3  # missing keys named in the error; the rest are counted


def default_target(client: Any, bucket: str, latest: DeployRecord,
                   live: Mapping[str, RemoteObject]) -> tuple[str, str]:
    """(target id, why it is the default when that needs saying, else "").

    When the bucket is not what the latest record describes (a deploy failed half-way, or
    objects were changed by hand), the latest record is the last one that was fully live
    (records are written only once everything they list is live): restoring it repairs the
    bucket.  Otherwise, the deploy before the live content.
    """
    if not record_matches_live(latest, live):
        return latest.id, (f"the bucket does not match the latest record {latest.id} (a deploy "
                           "failed or objects were changed by hand); it is the last record "
                           "that was fully live")
    content = latest
    if latest.kind == "rollback" and latest.target:
        content = load_record(client, bucket, latest.target)
    if content.parent is None:
        raise DeployError(f"deploy {content.id} has no earlier deploy to roll back to",
                          "pick a record with --to ID (see `notes history`)")
    return content.parent, ""


def _lifecycle_days(client: Any, bucket: str) -> int | None:
    """Days the bucket's lifecycle rule keeps non-current versions (None: no such rule)."""
    try:
        rules = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except ClientError:
        return None
    days = [r["NoncurrentVersionExpiration"].get("NoncurrentDays") for r in rules
            if r.get("Status") == "Enabled" and r.get("NoncurrentVersionExpiration")]
    days = [d for d in days if d]
    return min(days) if days else None


def missing_versions(plan: Plan, existing: Collection[tuple[str, str]]) -> list[str]:
    return sorted(u.key for u in plan.uploads
                  if u.copy_version and (u.key, u.copy_version) not in existing)


def check_versions(client: Any, bucket: str, target: DeployRecord, plan: Plan,
                   existing: Collection[tuple[str, str]], now: datetime) -> None:
    """Refuse, before the first write, a rollback that would fail half-way on a gone version."""
    missing = missing_versions(plan, existing)
    if not missing:
        return
    shown = ", ".join(missing[:_SHOWN]) + (f" and {len(missing) - _SHOWN} more"
                                           if len(missing) > _SHOWN else "")
    days = _lifecycle_days(client, bucket)
    age = (now - datetime.fromisoformat(target.created)).days
    if days is not None and age > days:
        why = (f"expired under the lifecycle rule: non-current versions are kept {days} days "
               f"and the record is {age} days old")
    else:
        why = ("deleted from the bucket, or the record names a version id that never existed"
               + (f"; the lifecycle rule keeps non-current versions {days} days and the "
                  f"record is {age} days old" if days is not None else ""))
    raise DeployError(
        f"cannot restore {target.id}: {len(missing)} of the object versions it needs "
        f"{'is' if len(missing) == 1 else 'are'} gone ({shown}): {why}",
        "nothing was changed; pick a record `notes history` shows as restorable")


def _entries(target: DeployRecord, versions: dict[str, str],
             live: dict[str, RemoteObject]) -> dict[str, FileEntry]:
    out = {}
    for key, e in target.files.items():
        version = versions.get(key) or live[key].version_id
        out[key] = FileEntry(e.size, e.md5, version, e.content_type, e.cache_control, e.group)
    return out


def _target(client: Any, bucket: str, ids: list[str], to: str | None,
            live: Mapping[str, RemoteObject]) -> tuple[DeployRecord, DeployRecord, str]:
    """(latest record, target record, why that target)."""
    latest = load_record(client, bucket, ids[-1])
    if to:
        target_id, why = resolve_id(ids, to, bucket), ""
    else:
        target_id, why = default_target(client, bucket, latest, live)
    target = latest if target_id == latest.id else load_record(client, bucket, target_id)
    return latest, target, why


def _refilled(plan: Plan, existing: Collection[tuple[str, str]],
              refill: SiteSource | None) -> Plan:
    """Copies of expired versions become PUTs of the same bytes from ``refill`` (the asset)."""
    if refill is None or all((u.key, u.copy_version) in existing
                             for u in plan.uploads if u.copy_version):
        return plan
    return refill_expired(plan, existing, {f.key: f for f in refill.scan()})


def _restore_plan(client: Any, bucket: str, target: DeployRecord, latest: DeployRecord,
                  live: dict[str, RemoteObject], existing: Collection[tuple[str, str]],
                  workers: int, refill: SiteSource | None = None) -> Plan:
    """The restore plan, checked (every version exists, or ``refill`` has its bytes) and
    ordered by the links of the pages it restores, read from the very bytes it will write."""
    known = known_versions(latest)
    first = _refilled(make_restore_plan(target, live, known), existing, refill)
    check_versions(client, bucket, target, first, existing, datetime.now(UTC))
    wanted = {u.key: u.copy_version for u in first.uploads}

    def old_bytes(key: str) -> bytes:
        if wanted[key] is None:  # refilled from the asset
            assert refill is not None
            return refill.read(key)
        return client.get_object(Bucket=bucket, Key=key,
                                 VersionId=wanted[key])["Body"].read()

    links = read_links(wanted, old_bytes, workers)
    return _refilled(make_restore_plan(target, live, known, links), existing, refill)


def rollback(client: Any, bucket: str, to: str | None = None, *, dry_run: bool = False,
             source: str = "cli", force_unlock: bool = False, message: str = "",
             progress: Progress | None = None,
             workers: int = DEFAULT_WORKERS, lock_options: LockOptions | None = None,
             asset_hash: str | None = None, refill: SiteSource | None = None,
             skip_if_live: bool = False, invalidator: Invalidator | None = None
             ) -> tuple[DeployResult, DeployRecord]:
    """Restore record ``to`` (id or unique prefix; default: see ``default_target``).

    For CloudFormation's rollback (infra/handler): ``asset_hash`` goes into the new record,
    ``refill`` is the asset holding the target's bytes, used for versions the lifecycle rule
    expired, and ``skip_if_live`` writes nothing when the latest record already is the live
    site.  ``invalidator`` invalidates what the rollback restored or deleted, before its
    record is written (as in ``publish``).  Returns the result (its ``note`` says why the
    default target was chosen) and the record that was restored.
    """
    if to is not None and not to.strip():
        raise DeployError("--to is empty", "give a record id or a unique prefix of one (see "
                          "`notes history`), or leave --to out for the default target")
    check_versioning(client, bucket)
    with (
        locked(client, bucket, "rollback", force_unlock=force_unlock, enabled=not dry_run,
               options=lock_options) as lease,
        aws_errors(bucket),
    ):
        ids = record_ids(client, bucket)
        if not ids:
            raise DeployError(f"bucket {bucket!r} has no deploy records",
                              "nothing to roll back to; publish with `notes deploy`")
        live, existing = list_versions(client, bucket)
        latest, target, why = _target(client, bucket, ids, to, live)
        # stored records keep MD5 prefixes: the listing's ETags complete them
        latest, target = hydrate(latest, existing), hydrate(target, existing)
        plan = _restore_plan(client, bucket, target, latest, live, existing, workers, refill)
        if skip_if_live and plan.is_noop and record_matches_live(latest, live):
            return DeployResult(plan, None, latest.id, dry_run), target
        store = GuardedStore(DryRunStore() if dry_run else S3Store(client, bucket), bucket,
                             lease)
        make = record_factory(kind="rollback", source=source,
                              message=message or f"rollback to {target.id}",
                              parent=latest, plan=plan, target=target.id,
                              now=datetime.now(UTC), asset_hash=asset_hash,
                              broke_lock=lease.broke if lease else None)
        keys, run = changed_keys(plan, latest, live), None if dry_run else invalidator
        record = apply_plan(plan, store, refill,
                            lambda v: with_invalidation(make(v, _entries(target, v, live)),
                                                        run, keys),
                            workers=workers, progress=progress)
    if dry_run:
        return DeployResult(plan, None, latest.id, True, why), target
    return DeployResult(plan, record, record.id, False, why), target
