"""CloudFormation custom resource (via ``custom_resources.Provider``): publish the site asset.

A thin adapter: all publishing logic is ``site_builder.deploy.publish``, the same engine as
``notes deploy``, so a ``cdk deploy`` uploads only what changed and writes the same deploy
records (with source "cloudformation").

* Create / Update: download the asset zip (the built site, zipped by the CDK CLI) to /tmp and
  publish it; the engine reads members lazily from the zip.  Because the asset hash is one of
  the resource's properties, CloudFormation's own rollback of a failed update sends an Update
  with the previous asset, which re-publishes the previous site.
* Delete: nothing.  The published site and its history belong to the bucket, which is retained
  (or emptied by the bucket's auto-delete when the stack is built with retain=false).
* Errors raise: the Provider framework reports the message to CloudFormation, which shows it
  and rolls back.

Lives in the Lambda beside ``site_builder/{__init__,errors}.py`` and ``site_builder/deploy/``
only (see infra/lambda_code.py); boto3 comes with the runtime.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from site_builder.errors import DeployError

SOURCE = "cloudformation"


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (handler ``index.on_event``)."""
    import boto3

    from site_builder.deploy.client import deploy_client

    return handle(event, deploy_client(boto3))


def handle(event: dict[str, Any], client: Any) -> dict[str, Any]:
    """Answer one Provider ``onEvent`` request with an injected S3 client."""
    request = event["RequestType"]
    props = event["ResourceProperties"]
    if request == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    if request not in ("Create", "Update"):
        raise DeployError(f"unknown CloudFormation request type {request!r}")
    bucket = props["SiteBucket"]
    result = _publish_asset(client, props, _message(event))
    return {"PhysicalResourceId": f"notes-site:{bucket}", "Data": _data(result)}


def _message(event: dict[str, Any]) -> str:
    props = event["ResourceProperties"]
    if props.get("Message"):
        return str(props["Message"])
    stack = str(event.get("StackId", "")).split("/")[1:2] or ["?"]
    return (
        f"cdk deploy: {event['RequestType']} of stack {stack[0]} (asset {props['AssetHash'][:12]})"
    )


def _publish_asset(client: Any, props: dict[str, Any], message: str) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    from site_builder.deploy import publish

    asset = f"s3://{props['AssetBucket']}/{props['AssetKey']}"
    with tempfile.TemporaryDirectory(prefix="notes-asset-") as tmp:
        zip_path = Path(tmp) / "site.zip"
        try:
            client.download_file(props["AssetBucket"], props["AssetKey"], str(zip_path))
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(
                f"cannot read the site asset {asset}: {exc}",
                "check that the CDK bootstrap bucket holds the asset (re-run cdk deploy)",
            ) from exc
        return publish(
            client,
            props["SiteBucket"],
            zip_path,
            message=message,
            source=SOURCE,
            allow_mass_delete=str(props.get("AllowMassDelete", "false")).lower() == "true",
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
