"""NotesSiteStack: the versioned website bucket, and a custom resource that publishes the site.

The bucket's policy and website settings come from ``site_builder.bucket_config`` (shared with
the local ``notes up``).  The built site is an ``aws_s3_assets.Asset``; a custom resource hands
the asset's location and hash to a small Lambda (infra/handler/index.py) that runs the deploy
engine, so ``cdk deploy`` publishes exactly like ``notes deploy`` and records its deploys.

Every cdk-nag AwsSolutions finding is either fixed here or suppressed next to the code it is
about, with the reason.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnOutput,
    CustomResource,
    Duration,
    RemovalPolicy,
    Size,
    Stack,
    Validations,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from infra.cdn import TEMPLATES, SiteCdn
from infra.ci_role import GitHubDeployRole
from infra.lambda_code import HANDLER_ENTRY
from infra.settings import StackSettings
from site_builder.core import bucket_config
from site_builder.deploy.lock import LOCK_KEY
from site_builder.deploy.manifest import OUTPUT_MARKER

# Sizing for a 10,000-note site: a first publish is ~10k+ PUTs (pages, tags, Pagefind index),
# done by the engine's thread pool; later publishes upload only what changed.
# Timeouts: the publish Lambda runs 13 min at most (lock wait included) and answers FAILED
# 20 s before that (deploy.cfnresponse's watchdog); CloudFormation's ServiceTimeout for the
# custom resource (15 min, instead of the default hour) covers a Lambda that died without
# answering (out of memory).
PUBLISH_TIMEOUT = Duration.minutes(13)
SERVICE_TIMEOUT = Duration.minutes(15)
PUBLISH_MEMORY_MB = 2048  # Lambda CPU scales with memory: md5 of every file + parallel uploads
# /tmp holds the downloaded asset zip (read member by member, never extracted): a 10,000-note
# site zips to a few hundred MB, so 4 GiB leaves ample room (512 MB is Lambda's default).
PUBLISH_EPHEMERAL = Size.mebibytes(4096)
MULTIPART_CLEANUP = Duration.days(7)
RESOURCE_TYPE = "Custom::NotesSitePublish"
_ASSET_OBJECTS = (
    "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*"
)


class NotesSiteStack(Stack):
    """One public, versioned website bucket plus the publish-on-deploy custom resource."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site_dir: Path,
        lambda_code_dir: Path,
        settings: StackSettings | None = None,
        project_dir: Path | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings or StackSettings(stack_name=construct_id)
        self.bucket = self._site_bucket()
        # The build's marker of its own files (store.outfolder) is not part of the site.
        self.site_asset = s3_assets.Asset(self, "SiteAsset", path=str(site_dir),
                                          exclude=[OUTPUT_MARKER])
        self.publish_function = self._publish_function(lambda_code_dir)
        # -c https=true: CloudFront in front of the website (infra/cdn.py); off adds nothing.
        # its CSP lists the built pages' inline scripts from the project's templates/ (its
        # overrides) and the package's
        templates = ((project_dir / "templates",) if project_dir else ()) + (TEMPLATES,)
        self.cdn = (SiteCdn(self, "Cdn", bucket=self.bucket, settings=self.settings,
                            site_dir=site_dir, template_dirs=templates)
                    if self.settings.https else None)
        if self.cdn:
            self.cdn.grant_invalidation(self.publish_function)
        self.publish = self._publish_resource()
        CfnOutput(
            self,
            "WebsiteURL",
            value=self.bucket.bucket_website_url,
            description="Read the notes here (HTTP website endpoint)",
        )
        if self.cdn:
            self.cdn.add_outputs(self)
        CfnOutput(
            self,
            "BucketName",
            value=self.bucket.bucket_name,
            description="For notes history/rollback/verify --bucket",
        )
        # -c githubRepo=owner/repo: the role `notes init`'s workflow deploys with (infra/ci_role.py)
        if self.settings.github_repo:
            GitHubDeployRole(self, "CiDeploy", repo=self.settings.github_repo,
                             provider_arn=self.settings.github_oidc_provider_arn)
        CfnOutput(
            self,
            "LastDeployId",
            value=self.publish.get_att_string("DeployId"),
            description="Deploy record written by the last cdk deploy",
        )

    # --- the bucket ---------------------------------------------------------------------

    def _site_bucket(self) -> s3.Bucket:
        days = self.settings.noncurrent_version_days
        rule = s3.LifecycleRule(
            id="OldVersionsAndUploads",
            abort_incomplete_multipart_upload_after=MULTIPART_CLEANUP,
            noncurrent_version_expiration=Duration.days(days) if days > 0 else None,
            # a delete marker with no version left behind it only slows every listing
            expired_object_delete_marker=True,
        )
        # the lock's old versions (a crashed holder's, a broken one's) matter for a day at most
        lock_rule = s3.LifecycleRule(
            id="OldLockVersions",
            prefix=LOCK_KEY,
            noncurrent_version_expiration=Duration.days(1),
        )
        retain = self.settings.retain
        pab = bucket_config.public_access_block()
        bucket = s3.Bucket(
            self,
            "SiteBucket",
            versioned=True,
            website_index_document=bucket_config.INDEX_DOCUMENT,
            website_error_document=bucket_config.ERROR_DOCUMENT,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            block_public_access=s3.BlockPublicAccess(
                block_public_acls=pab["BlockPublicAcls"],
                ignore_public_acls=pab["IgnorePublicAcls"],
                block_public_policy=pab["BlockPublicPolicy"],
                restrict_public_buckets=pab["RestrictPublicBuckets"],
            ),
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[rule, lock_rule],
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            auto_delete_objects=not retain,
        )
        for statement in bucket_config.public_read_statements(bucket.bucket_arn, Aws.ACCOUNT_ID):
            bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement))
        _acknowledge(
            bucket,
            {
                "AwsSolutions-S1": "Server access logs are off: the site is public, read-only static "
                "content; every write goes through the deploy engine, whose deploy records "
                "in _notes/deploys/ (plus S3 versioning) are the audit trail. A log bucket "
                "would add cost and a second bucket to manage.",
                "AwsSolutions-S2": "This is a public website bucket: the bucket policy must be allowed "
                "to grant anonymous s3:GetObject. ACLs stay blocked (BlockPublicAcls, "
                "IgnorePublicAcls, BucketOwnerEnforced).",
                "AwsSolutions-S5": "Served by the S3 website endpoint (pretty URLs, 404.html), not "
                "CloudFront, so there is no OAI/OAC; the open read is deliberate and limited "
                "to s3:GetObject, with _notes/ denied outside the account.",
            },
        )
        return bucket

    # --- the publish Lambda and custom resource -----------------------------------------------

    def _publish_function(self, code_dir: Path) -> lambda_.Function:
        # A fixed function name, so that its log group (named in every FAILED reason the
        # handler sends: "Logs: /aws/lambda/<function name>") is known before it exists.
        name = publish_function_name(self.stack_name)
        log_group = logs.LogGroup(
            self,
            "PublishLogs",
            log_group_name=f"/aws/lambda/{name}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = self._publish_role(log_group)
        fn = lambda_.Function(
            self,
            "PublishFunction",
            description="notes-publisher: publish the site asset with site_builder.deploy",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER_ENTRY,
            code=lambda_.Code.from_asset(str(code_dir)),
            role=role,
            function_name=name,
            timeout=PUBLISH_TIMEOUT,
            memory_size=PUBLISH_MEMORY_MB,
            ephemeral_storage_size=PUBLISH_EPHEMERAL,
            log_group=log_group,
            # Never re-run a half-done publish blindly: a failure goes to CloudFormation.
            retry_attempts=0,
        )
        _acknowledge(
            fn,
            {
                "AwsSolutions-L1": "Pinned to python3.12 on purpose: the runtime the deploy "
                "engine is tested for; a runtime bump is a deliberate, tested change.",
            },
        )
        return fn

    def _publish_role(self, log_group: logs.LogGroup) -> iam.Role:
        """The publish Lambda's role: read the site asset, publish to the one site bucket.

        An explicit role instead of the default one, which would carry the
        AWSLambdaBasicExecutionRole managed policy (logs:* on every log group)."""
        role = iam.Role(
            self,
            "PublishRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="notes-publisher: read the site asset, publish it to the site bucket",
        )
        log_group.grant_write(role)
        # Any object of the bootstrap asset bucket, as BucketDeployment grants it: naming the
        # asset's key (its content hash) would make every content edit an IAM change.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTheSiteAsset",
                actions=["s3:GetObject"],
                resources=[self.site_asset.bucket.arn_for_objects("*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListSiteBucket",
                actions=["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketVersioning"],
                resources=[self.bucket.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadWriteSiteObjects",
                # Copy = GetObject(Version) on the source + PutObject; DeleteObject only makes
                # delete markers (no DeleteObjectVersion: deploys never purge history).
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReleaseTheDeployLock",
                # the lease lock is released by deleting exactly the versions it wrote (no
                # delete markers): the only key a deploy ever deletes a version of
                actions=["s3:DeleteObjectVersion"],
                resources=[self.bucket.arn_for_objects(LOCK_KEY)],
            )
        )
        _acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::<{self._logical_id(self.bucket)}.Arn>/*]": (
                    "Publishing reads and writes any key of this one site bucket: the keys are "
                    "the site's pages, known only at run time."
                ),
                f"AwsSolutions-IAM5[Resource::{_ASSET_OBJECTS}]": (
                    "s3:GetObject (only) on the CDK bootstrap asset bucket's objects, as "
                    "BucketDeployment grants it: the site asset's key is its content hash, so "
                    "naming it would turn every content edit into an IAM change."
                ),
            },
        )
        return role

    def _publish_resource(self) -> CustomResource:
        """The custom resource, answered by the publish function itself (no Provider
        framework, whose answer to a success is always the reason "SUCCESS": a publish that
        succeeds with a warning says so in the stack event).  CloudFormation invokes the
        function asynchronously; ``retry_attempts=0`` keeps Lambda from re-running a
        half-done publish into its own lock.

        Its logical id is ``Publish`` (the Provider-backed resource was ``PublishSite``):
        CloudFormation cannot change a custom resource's service token in place, so a stack
        made before gets a new resource (a Create that finds its asset already live) and
        the old one's Delete, which never touches the site."""
        return CustomResource(
            self,
            "Publish",
            service_token=self.publish_function.function_arn,
            resource_type=RESOURCE_TYPE,
            service_timeout=SERVICE_TIMEOUT,
            properties={
                "SiteBucket": self.bucket.bucket_name,
                "AssetBucket": self.site_asset.s3_bucket_name,
                "AssetKey": self.site_asset.s3_object_key,
                # Changes exactly when the site's content changes: no change, no publish;
                # CloudFormation rollback sends the previous hash, restoring that site.
                "AssetHash": self.site_asset.asset_hash,
                "AllowMassDelete": "true" if self.settings.allow_mass_delete else "false",
                # Only with https: the handler invalidates what the publish changed.
                **({"DistributionId": self.cdn.distribution.distribution_id} if self.cdn
                   else {}),
            },
        )

    def _logical_id(self, construct: Construct) -> str:
        """The CloudFormation logical id of a construct's main resource (for nag finding ids)."""
        return self.resolve(self.get_logical_id(construct.node.default_child))


def publish_function_name(stack_name: str) -> str:
    """The publish Lambda's name (and so its log group's): fixed per stack, at most 64 chars."""
    return f"{stack_name}-Publish"[:56]


def _acknowledge(construct: Construct, reasons: dict[str, str]) -> None:
    """Acknowledge cdk-nag findings on ``construct`` and its children, each with its reason."""
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=why) for rule, why in reasons.items())
    )
