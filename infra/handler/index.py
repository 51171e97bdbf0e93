"""CloudFormation custom resource (via ``custom_resources.Provider``): publish the site asset.

A thin adapter: all publishing logic is ``site_builder.deploy.publish``, the same engine as
``notes deploy``, so a ``cdk deploy`` uploads only what changed and writes the same deploy
records (with source "cloudformation").

* Create / Update: download the asset zip (the built site, zipped by the CDK CLI) to /tmp and
  publish it; the engine reads members lazily from the zip.  Each record keeps the asset hash
  it published.  Because the hash is one of the resource's properties, CloudFormation's own
  rollback of a failed update sends an Update with the previous asset: when a recent record
  published that asset, its versions are restored exactly (``rollback``: CopyObject from
  VersionIds, no mass-delete guard, since that site was live and complete before; versions the
  lifecycle rule expired are uploaded again from the asset, the same bytes).
* The lock is the engine's lease (see ``LOCK_*`` below): a killed publish cannot wedge the
  stack, and a live lock of someone else fails the update in minutes, naming the holder and
  ``notes unlock --bucket ...``.
* Delete: nothing.  The published site and its history belong to the bucket, which is retained
  (or emptied by the bucket's auto-delete when the stack is built with retain=false).
* With ``DistributionId`` (stack built with ``https=true``), the engine invalidates on that
  CloudFront distribution exactly what the publish changed, before writing its record.
* Errors raise: the Provider framework reports the message to CloudFormation, which shows it
  and rolls back.

Lives in the Lambda beside ``site_builder/deploy/``, the few ``site_builder.core`` modules it
imports, and the AWS SDK it was tested with (see infra/lambda_code.py).  The runtime's own SDK
is not relied on: below ``MIN_BOTOCORE`` the handler refuses to start with one line instead of
failing every lock write with ``Unknown parameter in input: "IfNoneMatch"``.

Logging (CloudWatch, ``/aws/lambda/<function name>``): the request, the plan's size, progress
every ``PROGRESS_EVERY`` files and the deploy id, so a slow publish can be watched live.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from site_builder.core.errors import DeployError

SOURCE = "cloudformation"
# Conditional writes: PutObject IfNoneMatch (lock, records) came in botocore 1.35.2, PutObject
# IfMatch (the lock's renewal and stale-lock break) in 1.35.69.
MIN_BOTOCORE = "1.35.69"
PROGRESS_EVERY = 1000
# The lock (site_builder/deploy/lock.py): a lease renewed every third of LOCK_LEASE_SECONDS, far
# below the Lambda's 13 minutes, so a killed publish's lock expires within a minute; a live lock
# held by someone else is waited for up to LOCK_WAIT_SECONDS (longer than one lease: a killed
# publish's lock always expires within the wait), then the update fails naming the holder.
LOCK_LEASE_SECONDS = 60.0
LOCK_WAIT_SECONDS = 150.0
# How far back an Update looks for a record of the same asset (CloudFormation's rollback goes
# back one update; older content is published afresh).
RESTORE_LOOKBACK = 10
log = logging.getLogger("notes.publish")


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (handler ``index.on_event``)."""
    import botocore

    log.setLevel(logging.INFO)
    check_sdk(botocore.__version__)
    cdn = event.get("ResourceProperties", {}).get("DistributionId")
    return handle(event, make_client(), make_cloudfront_client() if cdn else None)


def make_client() -> Any:
    """The S3 client: the deploy engine's settings (a connection per upload worker, see
    ``deploy.client``) and standard retries (throttling, 5xx, lost responses), which the
    engine's conditional writes are safe under."""
    import boto3

    from site_builder.deploy.client import deploy_client

    return deploy_client(boto3, config_extra={"retries": {"mode": "standard",
                                                          "max_attempts": 5}})


def make_cloudfront_client() -> Any:
    """A failed invalidation fails the publish (and so the stack update): retry throttling
    harder than botocore's default before giving up."""
    import boto3
    from botocore.config import Config

    return boto3.client("cloudfront",
                        config=Config(retries={"mode": "standard", "max_attempts": 8}))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def check_sdk(botocore_version: str) -> None:
    """Refuse an SDK the engine cannot work with, naming both versions."""
    if _version(botocore_version) < _version(MIN_BOTOCORE):
        raise DeployError(
            f"the publish Lambda runs botocore {botocore_version}, older than {MIN_BOTOCORE} "
            "which the deploy engine needs (conditional writes)",
            "its code asset should bundle the SDK (infra/lambda_code.py): run `npx cdk deploy` "
            "from an environment with `make install-cdk` done",
        )


class ProgressLog:
    """The engine's progress callback: one log line at the start, every N files and the end."""

    def __init__(self, every: int | None = None):
        self.every = every or PROGRESS_EVERY

    def __call__(self, done: int, total: int) -> None:
        if done == 1:
            log.info("uploading %d files", total)
        if done % self.every == 0 or done == total:
            log.info("uploaded %d of %d files", done, total)


def handle(event: dict[str, Any], client: Any, cloudfront: Any = None) -> dict[str, Any]:
    """Answer one Provider ``onEvent`` request with injected S3 (and CloudFront) clients."""
    request = event["RequestType"]
    props = event["ResourceProperties"]
    if request == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    if request not in ("Create", "Update"):
        raise DeployError(f"unknown CloudFormation request type {request!r}")
    bucket = props["SiteBucket"]
    log.info("%s: publish asset %s to bucket %s", request, props.get("AssetHash"), bucket)
    result = _publish_asset(client, props, _message(event), _invalidator(cloudfront, props))
    log.info("done: %s; deploy id %s", result.plan.summary(), result.live_id or "(none)")
    data = _data(result)
    if props.get("DistributionId"):  # "" when nothing needed invalidating (or a no-op)
        invalidation = result.record.invalidation if result.record else None
        data["InvalidationId"] = invalidation.id if invalidation else ""
    return {"PhysicalResourceId": f"notes-site:{bucket}", "Data": data}


def _message(event: dict[str, Any]) -> str:
    props = event["ResourceProperties"]
    if props.get("Message"):
        return str(props["Message"])
    stack = str(event.get("StackId", "")).split("/")[1:2] or ["?"]
    return (
        f"cdk deploy: {event['RequestType']} of stack {stack[0]} (asset {props['AssetHash'][:12]})"
    )


def _lock_options() -> Any:
    from site_builder.deploy.lock import LockOptions

    return LockOptions(lease_seconds=LOCK_LEASE_SECONDS, wait_seconds=LOCK_WAIT_SECONDS)


def _record_for_asset(client: Any, bucket: str, asset_hash: str) -> tuple[Any, bool]:
    """The newest of the last ``RESTORE_LOOKBACK`` records that published this asset (or
    None), and whether it is the latest record."""
    from site_builder.deploy import history

    records = history(client, bucket, limit=RESTORE_LOOKBACK)
    for record in records:
        if record.asset_hash == asset_hash:
            return record, record.id == records[0].id
    return None, False


def _already_live(client: Any, bucket: str, record: Any) -> Any:
    """A result for "nothing to do" when ``record`` is exactly what the bucket serves.

    Checked without the lock: the rollback of an update that failed on someone else's live
    lock (nothing was written) must not fail on that lock too, which would leave the stack in
    UPDATE_ROLLBACK_FAILED.  Read-only, so it cannot disturb the lock holder.
    """
    from site_builder.deploy import DeployResult, Plan
    from site_builder.deploy.errors import aws_errors
    from site_builder.deploy.publish import record_matches_live
    from site_builder.deploy.remote import list_live

    with aws_errors(bucket):
        if not record_matches_live(record, list_live(client, bucket)):
            return None
    return DeployResult(Plan((), (), tuple(sorted(record.files))), None, record.id)


def _invalidator(cloudfront: Any, props: dict[str, Any]) -> Any:
    """The engine's invalidation callback when the stack has a distribution, else None."""
    from site_builder.deploy.invalidate import invalidator

    dist = props.get("DistributionId")
    return invalidator(cloudfront, dist) if dist and cloudfront is not None else None


def _publish_asset(client: Any, props: dict[str, Any], message: str,
                   invalidate: Any = None) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    from site_builder.deploy import publish, rollback
    from site_builder.deploy.local import open_site

    asset = f"s3://{props['AssetBucket']}/{props['AssetKey']}"
    bucket, asset_hash = props["SiteBucket"], str(props["AssetHash"])
    with tempfile.TemporaryDirectory(prefix="notes-asset-") as tmp:
        zip_path = Path(tmp) / "site.zip"
        try:
            client.download_file(props["AssetBucket"], props["AssetKey"], str(zip_path))
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(
                f"cannot read the site asset {asset}: {exc}",
                "check that the CDK bootstrap bucket holds the asset (re-run cdk deploy)",
            ) from exc
        earlier, is_latest = _record_for_asset(client, bucket, asset_hash)
        noop = _already_live(client, bucket, earlier) if is_latest else None
        if noop is not None:
            log.info("asset %s is deploy %s, live as recorded: nothing to do", asset_hash,
                     earlier.id)
            return noop
        if earlier is None:
            return publish(
                client, bucket, zip_path, message=message, source=SOURCE,
                allow_mass_delete=str(props.get("AllowMassDelete", "false")).lower() == "true",
                progress=ProgressLog(), lock_options=_lock_options(), asset_hash=asset_hash,
                invalidator=invalidate,
            )
        # This asset was published before (CloudFormation's rollback, or content edited
        # back): restore that record's versions exactly, as `notes rollback --to` does.
        log.info("asset %s is deploy %s: restoring its versions", asset_hash, earlier.id)
        source = open_site(zip_path)
        try:
            result, _target = rollback(
                client, bucket, earlier.id, source=SOURCE,
                message=f"{message}: restore {earlier.id}", progress=ProgressLog(),
                lock_options=_lock_options(), asset_hash=asset_hash, refill=source,
                skip_if_live=True, invalidator=invalidate,
            )
        finally:
            source.close()
        return result


def _data(result: Any) -> dict[str, Any]:
    """Attributes for Fn::GetAtt: the live deploy id and what this publish did.

    A publish that changes nothing writes no record; ``live_id`` is then the record that
    already describes the live site, so ``LastDeployId`` stays truthful.
    """
    plan = result.plan
    return {
        "DeployId": result.live_id or "",
        "Uploaded": len(plan.uploads),
        "Deleted": len(plan.deletes),
        "Unchanged": len(plan.unchanged),
    }
