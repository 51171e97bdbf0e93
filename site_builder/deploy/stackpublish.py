"""What the CDK stack's publish resource does with an asset (infra/handler/index.py decides
the settings; this module the steps): publish an asset never seen, restore one seen before.

A restore is how CloudFormation's rollback arrives (it sends the previous asset back), so it
must not fail for anything that would leave the stack in UPDATE_ROLLBACK_FAILED:

* it finds the record by the asset index (``cdkasset``), however many deploys came since;
* it copies the recorded versions back (``rollback``: no mass-delete guard, the site was live
  and complete) and fetches the zip only for versions that are gone;
* a live lock of another deploy that outlasts the wait, or a zip that is gone when it is
  needed, leaves the bucket as it is and becomes a warning: the answer is SUCCESS, its reason
  says what was left and how to put this stack's site back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from site_builder.deploy.cdkasset import AssetUnavailable, LazyAsset, indexed_record_id, note_asset
from site_builder.deploy.errors import aws_errors
from site_builder.deploy.history import history
from site_builder.deploy.lock import LockHeld, LockOptions
from site_builder.deploy.plan import Plan
from site_builder.deploy.publish import DeployResult, publish, record_matches_live
from site_builder.deploy.record import DeployRecord, RecordError
from site_builder.deploy.recordstore import load_record, record_ids
from site_builder.deploy.remote import list_live
from site_builder.deploy.rollback import rollback

SOURCE = "cloudformation"
log = logging.getLogger("notes.publish")


def record_for_asset(client: Any, bucket: str, asset_hash: str, lookback: int
                     ) -> tuple[DeployRecord | None, bool]:
    """The record the asset became (the index's, else the newest of the last ``lookback``
    records that published it), and whether it is the latest record."""
    with aws_errors(bucket):
        ids = record_ids(client, bucket)
        if not ids:
            return None, False
        indexed = indexed_record_id(client, bucket, asset_hash)
        if indexed in set(ids):
            try:
                return load_record(client, bucket, indexed), indexed == ids[-1]
            except RecordError as exc:
                log.warning("asset index: %s", exc.what)
    for record in history(client, bucket, limit=lookback):
        if record.asset_hash == asset_hash:
            return record, record.id == ids[-1]
    return None, False


def already_live(client: Any, bucket: str, record: DeployRecord) -> DeployResult | None:
    """A result for "nothing to do" when ``record`` is exactly what the bucket serves.

    Checked without the lock: the rollback of an update that failed on someone else's live
    lock (nothing was written) must not wait for that lock.  Read-only, so it cannot disturb
    the lock holder.
    """
    with aws_errors(bucket):
        if not record_matches_live(record, list_live(client, bucket)):
            return None
    return DeployResult(Plan((), (), tuple(sorted(record.files))), None, record.id)


def left_as_is(client: Any, bucket: str) -> DeployResult:
    """The result of a restore that wrote nothing: the latest record is the live id."""
    with aws_errors(bucket):
        ids = record_ids(client, bucket)
    return DeployResult(Plan((), (), ()), None, ids[-1] if ids else None)


def publish_new(client: Any, bucket: str, asset: LazyAsset, asset_hash: str, *,
                message: str, allow_mass_delete: bool, lock_options: LockOptions,
                progress: Callable[[int, int], None], invalidator: Any) -> DeployResult:
    """Publish an asset no record holds (guarded; any failure fails the request)."""
    result = publish(client, bucket, asset.path(), message=message, source=SOURCE,
                     allow_mass_delete=allow_mass_delete, progress=progress,
                     lock_options=lock_options, asset_hash=asset_hash, invalidator=invalidator)
    if result.live_id:
        note_asset(client, bucket, asset_hash, result.live_id)
    return result


def restore(client: Any, bucket: str, earlier: DeployRecord, is_latest: bool,
            asset: LazyAsset, asset_hash: str, warnings: list[str], *, message: str,
            lock_options: LockOptions, progress: Callable[[int, int], None],
            invalidator: Any) -> DeployResult:
    """Make the bucket ``earlier`` again; lock and missing-zip failures become warnings."""
    if is_latest:
        noop = already_live(client, bucket, earlier)
        if noop is not None:
            log.info("asset %s is deploy %s, live as recorded: nothing to do", asset_hash,
                     earlier.id)
            note_asset(client, bucket, asset_hash, earlier.id)
            return noop
    log.info("asset %s is deploy %s: restoring its versions", asset_hash, earlier.id)
    back = (f"`notes rollback --bucket {bucket} --to {earlier.id}` restores this stack's site "
            "once it is free")
    try:
        result, _target = rollback(
            client, bucket, earlier.id, source=SOURCE, message=f"{message}: restore {earlier.id}",
            progress=progress, lock_options=lock_options, asset_hash=asset_hash,
            refill=asset, skip_if_live=True, invalidator=invalidator)
    except LockHeld as exc:
        warnings.append(
            f"did not restore deploy {earlier.id}: {exc.what} for the whole wait "
            f"({int(lock_options.wait_seconds)} s), so the site was left as that deploy makes "
            f"it; `notes verify --bucket {bucket}` and `notes history --bucket {bucket}` show "
            f"what is live, and {back}")
        return left_as_is(client, bucket)
    except AssetUnavailable as exc:
        warnings.append(
            f"did not restore deploy {earlier.id}: versions the lifecycle rule expired had to "
            f"be uploaded again from the asset, but {exc.what}; the site was left as it was "
            f"(`notes verify --bucket {bucket}` shows it); `notes history --bucket {bucket}` "
            "lists the records that can still be restored")
        return left_as_is(client, bucket)
    if result.live_id:
        note_asset(client, bucket, asset_hash, result.live_id)
    log.info("restore of %s: %s (zip %s)", earlier.id, result.plan.summary(),
             "downloaded" if asset.fetched else "not needed")
    return result
