"""The deploy engine: publish a built site to a versioned S3 bucket, with history and rollback.

Used by the ``notes deploy/history/rollback/verify`` commands and by the CDK stack's Lambda, so
it depends on boto3/botocore and the standard library only (plus ``site_builder.core``: errors, process liveness).

Modules: ``local`` (scan a folder or zip), ``headers`` (Content-Type/Cache-Control),
``remote`` (live listing), ``plan`` (pure decisions), ``apply`` (the only writer),
``record`` (deploy records), ``lock``, ``publish``, ``history``, ``rollback``, ``verify``,
``stack`` (bucket from a CloudFormation stack), ``errors`` (AWS errors as one line),
``invalidate`` (CloudFront: invalidate exactly what a deploy or rollback changed).
"""

from site_builder.deploy.history import history
from site_builder.deploy.local import LocalFile, open_site
from site_builder.deploy.plan import Plan, Upload, make_plan, make_restore_plan
from site_builder.deploy.publish import DeployResult, publish
from site_builder.deploy.record import DeployRecord, FileEntry
from site_builder.deploy.rollback import rollback
from site_builder.deploy.stack import bucket_from_stack
from site_builder.deploy.verify import DriftReport, verify

__all__ = [
    "DeployRecord", "DeployResult", "DriftReport", "FileEntry", "LocalFile", "Plan", "Upload",
    "bucket_from_stack", "history", "make_plan", "make_restore_plan", "open_site", "publish",
    "rollback", "verify",
]
