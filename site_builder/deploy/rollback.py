"""``rollback``: make the live bucket equal an earlier record, then record that.

The plan is "make live equal record R" (``make_restore_plan``): each key whose live version is
not R's is restored by CopyObject from ``key?versionId=<R's version>`` (bytes and headers come
along), each live key R lacks gets a delete marker.  It runs through the same ``apply`` as a
deploy (same order, same lock, same failure handling) and writes a new record of kind
``rollback``: history is never rewritten, and the versions it moved away from stay in the bucket.

Default target: the deploy before the one whose content is live.  If the live record is itself
a rollback, "live content" is its target's, so repeated ``notes rollback`` keeps stepping back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from site_builder.deploy.apply import DEFAULT_WORKERS, DryRunStore, Progress, S3Store, apply_plan
from site_builder.deploy.errors import aws_errors, check_versioning
from site_builder.deploy.history import resolve_id
from site_builder.deploy.invalidate import Invalidator, changed_keys, with_invalidation
from site_builder.deploy.lock import locked
from site_builder.deploy.plan import known_versions, make_restore_plan
from site_builder.deploy.publish import DeployResult, record_factory
from site_builder.deploy.record import DeployRecord, FileEntry, load_record, record_ids
from site_builder.deploy.remote import RemoteObject, list_live
from site_builder.errors import DeployError


def default_target(client: Any, bucket: str, live: DeployRecord) -> str:
    content = live
    if live.kind == "rollback" and live.target:
        content = load_record(client, bucket, live.target)
    if content.parent is None:
        raise DeployError(f"deploy {content.id} has no earlier deploy to roll back to",
                          "pick a record with --to ID (see `notes history`)")
    return content.parent


def _entries(target: DeployRecord, versions: dict[str, str],
             live: dict[str, RemoteObject]) -> dict[str, FileEntry]:
    out = {}
    for key, e in target.files.items():
        version = versions.get(key) or live[key].version_id
        out[key] = FileEntry(e.size, e.md5, version, e.content_type, e.cache_control, e.group)
    return out


def rollback(client: Any, bucket: str, to: str | None = None, *, dry_run: bool = False,
             source: str = "cli", force_unlock: bool = False, message: str = "",
             progress: Progress | None = None, workers: int = DEFAULT_WORKERS,
             invalidator: Invalidator | None = None) -> tuple[DeployResult, DeployRecord]:
    """Restore record ``to`` (id or unique prefix; default: the deploy before the live one).

    Returns the result and the record that was restored.  ``invalidator`` invalidates what
    the rollback restored or deleted, before its record is written (as in ``publish``).
    """
    check_versioning(client, bucket)
    with (
        locked(client, bucket, "rollback", force_unlock=force_unlock, enabled=not dry_run),
        aws_errors(bucket),
    ):
        ids = record_ids(client, bucket)
        if not ids:
            raise DeployError(f"bucket {bucket!r} has no deploy records",
                              "nothing to roll back to; publish with `notes deploy`")
        latest = load_record(client, bucket, ids[-1])
        target_id = resolve_id(ids, to, bucket) if to else default_target(
            client, bucket, latest)
        target = latest if target_id == latest.id else load_record(client, bucket, target_id)
        live = list_live(client, bucket)
        plan = make_restore_plan(target, live, known_versions(latest))
        store = DryRunStore() if dry_run else S3Store(client, bucket)
        make = record_factory(kind="rollback", source=source,
                              message=message or f"rollback to {target.id}",
                              parent=latest, plan=plan, target=target.id,
                              now=datetime.now(UTC))
        keys, run = changed_keys(plan, latest, live), None if dry_run else invalidator
        record = apply_plan(plan, store, None,
                            lambda v: with_invalidation(make(v, _entries(target, v, live)),
                                                        run, keys),
                            workers=workers, progress=progress)
    if dry_run:
        return DeployResult(plan, None, latest.id, True), target
    return DeployResult(plan, record, record.id, False), target
