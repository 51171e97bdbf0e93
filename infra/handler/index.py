"""CloudFormation custom resource: publish the site asset (the stack's ``Publish`` resource).

CloudFormation invokes this function directly (it is the resource's service token) and
``handler`` answers with one PUT to the request's ``ResponseURL`` (``deploy.cfnresponse``):
the status, and a reason that carries warnings when a publish succeeded with one.  All
publishing logic is ``site_builder.deploy``, the engine of ``notes deploy``, so a ``cdk deploy``
uploads only what changed and writes the same deploy records (source "cloudformation").

* Create / Update of an asset never published: download the asset zip (the built site, zipped
  by the CDK CLI) and publish it, under the mass-delete guard.  Each record keeps the asset
  hash it published, and ``_notes/assets/<hash>`` (``deploy.cdkasset``) names the record the
  asset became.
* Update to an asset published before: CloudFormation's rollback of a failed update sends the
  previous properties, so this is how a rollback arrives (content edited back looks the same
  and is served the same way).  The record the index names is restored exactly, as
  ``notes rollback --to`` does: CopyObject from its VersionIds, no mass-delete guard (it was a
  complete, live site), and the zip is downloaded only if a version the lifecycle rule expired
  has to be uploaded again.  Such a restore never fails for a reason that would leave the stack
  in UPDATE_ROLLBACK_FAILED: a live lock of another deploy (a laptop's ``notes deploy``) is
  waited for ``LOCK_WAIT_SECONDS``, then the request succeeds with a reason saying the site was
  left as that deploy made it; a gone zip likewise.
* CloudFront (``DistributionId``, a stack built with ``https=true``): the publish invalidates
  what it changed, retried with ``INVALIDATION_DELAYS``; a failed invalidation is a warning in
  the reason, never a failure (the pages are ``no-cache``: edges refetch them within seconds).
* The lock is the engine's lease (``LOCK_*``): a killed publish cannot wedge the stack, and a
  live lock of someone else fails a forward publish within minutes, naming the holder and
  ``notes unlock --bucket ...``.
* Delete: nothing.  The published site and its history belong to the bucket, which is retained
  (or emptied by the bucket's auto-delete when the stack is built with retain=false).
* Errors answer FAILED with the engine's one line and the log group; CloudFormation shows it
  and rolls back.  A watchdog answers FAILED before the Lambda's own timeout.

Lives in the Lambda beside ``site_builder/deploy/``, the few ``site_builder.core`` modules it
imports, and the AWS SDK pinned in infra/lambda-sdk.txt (see infra/lambda_code.py).  Below
``MIN_BOTOCORE`` the handler refuses to start with one line instead of failing every lock
write with ``Unknown parameter in input: "IfNoneMatch"``.

Logging (CloudWatch, ``/aws/lambda/<function name>``): the request, the plan's size, progress
every ``PROGRESS_EVERY`` files, the deploy id and the response, so a publish can be watched live.
"""

from __future__ import annotations

import logging
import re
import time
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
# publish's lock always expires within the wait), then a publish fails naming the holder and a
# restore succeeds leaving that deploy's site.
LOCK_LEASE_SECONDS = 60.0
LOCK_WAIT_SECONDS = 150.0
# Records written before the asset index existed: an Update looks for its asset among the
# newest RESTORE_LOOKBACK records when the index has no entry.
RESTORE_LOOKBACK = 10
# Waits between CreateInvalidation attempts (TooManyInvalidationsInProgress clears in minutes;
# botocore's own retries cover throttling and 5xx): then the publish succeeds with a warning.
INVALIDATION_DELAYS = (5.0, 15.0, 30.0)
log = logging.getLogger("notes.publish")


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any] | None:
    """Lambda entry point (``index.handler``): handle the request, answer CloudFormation.

    A request without an http(s) ``ResponseURL`` comes from CDK's Provider framework (the
    ``PublishSite`` resource of a stack made before this Lambda answered CloudFormation
    itself, deleted by the first update after): the framework answers, so this returns the
    response (or raises) as a framework handler does, instead of PUTting to ``'...'``."""
    from site_builder.deploy.cfnresponse import Responder

    log.setLevel(logging.INFO)
    if not str(event.get("ResponseURL", "")).startswith(("https://", "http://")):
        return on_event(event, context)
    responder = Responder(event)
    logs = f" Logs: {context.log_group_name}" if getattr(context, "log_group_name", None) else ""
    responder.watch(context, "the publish did not finish within the Lambda's time limit; "
                    "the next publish or rollback waits out its lock and carries on" + logs)
    try:
        response = on_event(event, context)
    except Exception as exc:  # every failure must reach CloudFormation
        log.exception("%s failed", event.get("RequestType"))
        why = str(exc) if isinstance(exc, DeployError) else f"{type(exc).__name__}: {exc}"
        responder.send("FAILED", why + logs, physical=_physical_id(event))
    else:
        responder.send("SUCCESS", response.get("Reason", ""), response["PhysicalResourceId"],
                       response.get("Data"))
    finally:
        responder.stop()
    return None


def _physical_id(event: dict[str, Any]) -> str:
    """The resource's id; for a failed Create, the one a success would have given (the Delete
    CloudFormation then sends is a no-op either way)."""
    bucket = event.get("ResourceProperties", {}).get("SiteBucket", "")
    return event.get("PhysicalResourceId") or f"notes-site:{bucket}"


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """One request with the Lambda's own clients: the response without sending it."""
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
    """Retry throttling harder than botocore's default before the handler's own retries."""
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
    """Answer one request with injected S3 (and CloudFront) clients: ``PhysicalResourceId``,
    ``Data`` and, when the publish succeeded with warnings, ``Reason``."""
    request = event["RequestType"]
    props = event["ResourceProperties"]
    if request == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    if request not in ("Create", "Update"):
        raise DeployError(f"unknown CloudFormation request type {request!r}")
    bucket = props["SiteBucket"]
    log.info("%s: publish asset %s to bucket %s", request, props.get("AssetHash"), bucket)
    warnings: list[str] = []
    result = _publish_asset(client, props, _message(event),
                            _invalidator(cloudfront, props, warnings), warnings)
    log.info("done: %s; deploy id %s", result.plan.summary(), result.live_id or "(none)")
    data = _data(result)
    if props.get("DistributionId"):  # "" when nothing needed invalidating (or a no-op)
        invalidation = result.record.invalidation if result.record else None
        data["InvalidationId"] = invalidation.id if invalidation else ""
    response: dict[str, Any] = {"PhysicalResourceId": f"notes-site:{bucket}", "Data": data}
    if warnings:
        response["Reason"] = "Warning: " + " Warning: ".join(warnings)
        for warning in warnings:
            log.warning("%s", warning)
    return response


def _message(event: dict[str, Any]) -> str:
    props = event["ResourceProperties"]
    if props.get("Message"):
        return str(props["Message"])
    stack = str(event.get("StackId", "")).split("/")[1:2] or ["?"]
    return (
        f"cdk deploy: {event['RequestType']} of stack {stack[0]} (asset {props['AssetHash'][:12]})"
    )


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


def _lock_options() -> Any:
    from site_builder.deploy.lock import LockOptions

    return LockOptions(lease_seconds=LOCK_LEASE_SECONDS, wait_seconds=LOCK_WAIT_SECONDS)


def _invalidator(cloudfront: Any, props: dict[str, Any], warnings: list[str]) -> Any:
    """The engine's invalidation callback when the stack has a distribution, else None: best
    effort, retried after each of ``INVALIDATION_DELAYS``, then a warning (no invalidation in
    the record) instead of a failure."""
    from site_builder.deploy.invalidate import invalidator

    dist = props.get("DistributionId")
    if not dist or cloudfront is None:
        return None
    run = invalidator(cloudfront, dist)

    def best_effort(keys: frozenset[str], reference: str) -> Any:
        for delay in (*INVALIDATION_DELAYS, None):
            try:
                return run(keys, reference)  # same CallerReference: one invalidation at most
            except DeployError as exc:
                failure = exc.what
            if delay is None:
                break
            log.warning("%s; trying again in %g s", failure, delay)
            time.sleep(delay)
        warnings.append(
            f"{failure}, so edges may serve the old copies of the changed pages until they "
            "revalidate (pages are no-cache: seconds); the new files are live and recorded; "
            f"`aws cloudfront create-invalidation --distribution-id {dist} --paths '/*'` "
            "clears them now")
        return None

    return best_effort


def _publish_asset(client: Any, props: dict[str, Any], message: str, invalidate: Any,
                   warnings: list[str]) -> Any:
    """Publish the asset, or restore the record it became before (``deploy.stackpublish``)."""
    from site_builder.deploy.cdkasset import LazyAsset
    from site_builder.deploy.stackpublish import publish_new, record_for_asset, restore

    bucket, asset_hash = props["SiteBucket"], str(props["AssetHash"])
    asset = LazyAsset(client, props["AssetBucket"], props["AssetKey"])
    options = {"message": message, "lock_options": _lock_options(), "progress": ProgressLog(),
               "invalidator": invalidate}
    try:
        earlier, is_latest = record_for_asset(client, bucket, asset_hash, RESTORE_LOOKBACK)
        if earlier is None:
            mass = str(props.get("AllowMassDelete", "false")).lower() == "true"
            return publish_new(client, bucket, asset, asset_hash, allow_mass_delete=mass,
                               **options)
        return restore(client, bucket, earlier, is_latest, asset, asset_hash, warnings,
                       **options)
    finally:
        asset.close()
