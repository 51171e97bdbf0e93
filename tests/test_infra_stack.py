"""NotesSiteStack, synthesized in-process from a temporary site folder (no CLI, no AWS).

Two stacks are built once per module: the defaults (retain, 365 days) and the throwaway
variant (retain=false, noncurrentVersionDays=0).  Assertions read the synthesized template.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("aws_cdk")

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.lambda_code import stage_lambda_code
from infra.settings import StackSettings
from infra.stack import NotesSiteStack
from site_builder.core import bucket_config

pytestmark = pytest.mark.cdk

SITE = {
    "index.html": "<h1>Home</h1>",
    "404.html": "<h1>Not found</h1>",
    "docker/networking/index.html": "<h1>Networking</h1>",
    "assets/style.3f2a9c1b.css": "body{}",
}


def _write_site(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


class Synth:
    def __init__(self, tmp: Path) -> None:
        self.outdir = tmp / "cdk.out"
        self.app = cdk.App(outdir=str(self.outdir))
        code = stage_lambda_code(tmp / "lambda")
        site = _write_site(tmp / "site", SITE)
        same = _write_site(tmp / "site-copy", SITE)
        changed = _write_site(tmp / "site-changed", {**SITE, "index.html": "<h1>Home 2</h1>"})
        self.default = NotesSiteStack(self.app, "NotesSite", site_dir=site, lambda_code_dir=code)
        self.throwaway = NotesSiteStack(
            self.app,
            "Throwaway",
            site_dir=site,
            lambda_code_dir=code,
            settings=StackSettings(
                stack_name="Throwaway",
                noncurrent_version_days=0,
                retain=False,
                allow_mass_delete=True,
            ),
        )
        self.same = NotesSiteStack(self.app, "Same", site_dir=same, lambda_code_dir=code)
        self.changed = NotesSiteStack(self.app, "Changed", site_dir=changed, lambda_code_dir=code)
        self.nag = AwsSolutionsChecks(self.app).validate_scope(self.app)
        # The next content version of the default stack: same stack name, one page edited.
        edited_app = cdk.App(outdir=str(tmp / "cdk.out.edited"))
        self.edited = NotesSiteStack(edited_app, "NotesSite", site_dir=changed,
                                     lambda_code_dir=code)
        self.t = {
            name: Template.from_stack(getattr(self, name)).to_json()
            for name in ("default", "throwaway", "same", "changed", "edited")
        }


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return Synth(tmp_path_factory.mktemp("stack"))


def _of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _one(template: dict, type_: str) -> tuple[str, dict]:
    found = _of_type(template, type_)
    assert len(found) == 1, (type_, list(found))
    return next(iter(found.items()))


def _bucket_id(template: dict) -> str:
    return _one(template, "AWS::S3::Bucket")[0]


def _arn(bucket_id: str) -> dict:
    return {"Fn::GetAtt": [bucket_id, "Arn"]}


def _objects(bucket_id: str, suffix: str = "/*") -> dict:
    return {"Fn::Join": ["", [_arn(bucket_id), suffix]]}


def _publish_function(template: dict) -> tuple[str, dict]:
    fns = {
        k: v
        for k, v in _of_type(template, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "index.handler"
    }
    assert len(fns) == 1
    return next(iter(fns.items()))


# --- the bucket ------------------------------------------------------------------------------


def test_bucket_properties_exact(synth: Synth) -> None:
    _bid, bucket = _one(synth.t["default"], "AWS::S3::Bucket")
    assert bucket["Properties"] == {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "Id": "OldVersionsAndUploads",
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                    "ExpiredObjectDeleteMarker": True,
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
                    "Status": "Enabled",
                },
                {
                    "Id": "OldLockVersions",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                    "Prefix": "_notes/lock",
                    "Status": "Enabled",
                },
            ]
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": False,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": False,
        },
        "VersioningConfiguration": {"Status": "Enabled"},
        "WebsiteConfiguration": {"IndexDocument": "index.html", "ErrorDocument": "404.html"},
    }
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert not _of_type(synth.t["default"], "Custom::S3AutoDeleteObjects")


def test_throwaway_variant_destroys_and_keeps_versions_forever(synth: Synth) -> None:
    t = synth.t["throwaway"]
    _, bucket = _one(t, "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == "Delete"
    assert bucket["Properties"]["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "OldVersionsAndUploads",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "ExpiredObjectDeleteMarker": True,
            "Status": "Enabled",
        },
        {
            "Id": "OldLockVersions",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            "Prefix": "_notes/lock",
            "Status": "Enabled",
        },
    ]
    assert len(_of_type(t, "Custom::S3AutoDeleteObjects")) == 1
    _, res = _one(t, "Custom::NotesSitePublish")
    assert res["Properties"]["AllowMassDelete"] == "true"


def test_bucket_policy_is_exactly_bucket_config(synth: Synth) -> None:
    t = synth.t["default"]
    bid = _bucket_id(t)
    _, policy = _one(t, "AWS::S3::BucketPolicy")
    assert policy["Properties"]["Bucket"] == {"Ref": bid}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # Same statements as bucket_config, with the tokens CloudFormation resolves.
    expected = json.loads(json.dumps(bucket_config.public_read_statements("BUCKETARN", "ACCOUNT")))
    assert [s["Sid"] for s in statements] == [s["Sid"] for s in expected]
    public, private, tls = statements
    assert public == {
        "Sid": "PublicReadSiteObjects",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": _objects(bid),
    }
    assert private == {
        "Sid": "DenyPrivatePrefixOutsideAccount",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": _objects(bid, "/_notes/*"),
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}},
    }
    assert tls == {
        "Sid": "DenyInsecureSignedRequests",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [_arn(bid), _objects(bid)],
        "Condition": {
            "Bool": {"aws:SecureTransport": "false"},
            "Null": {"aws:PrincipalAccount": "false"},
        },
    }
    granted = json.dumps([s for s in statements if s["Effect"] == "Allow"])
    for never in ("s3:ListBucket", "s3:GetObjectVersion", "s3:PutObject", "s3:*"):
        assert never not in granted


def test_throwaway_policy_adds_only_cdk_auto_delete(synth: Synth) -> None:
    _, policy = _one(synth.t["throwaway"], "AWS::S3::BucketPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    extra = [s for s in statements if "Sid" not in s]
    assert len(extra) == 1 and extra[0]["Principal"]["AWS"]["Fn::GetAtt"][0].startswith(
        "CustomS3AutoDeleteObjects"
    )
    assert [s["Sid"] for s in statements if "Sid" in s] == [
        "PublicReadSiteObjects",
        "DenyPrivatePrefixOutsideAccount",
        "DenyInsecureSignedRequests",
    ]


# --- the publish Lambda, its IAM and the custom resource ----------------------------------


def test_publish_function(synth: Synth) -> None:
    _, fn = _publish_function(synth.t["default"])
    p = fn["Properties"]
    assert p["Runtime"] == "python3.12"
    assert p["Handler"] == "index.handler"
    assert p["Timeout"] == 13 * 60
    assert p["FunctionName"] == "NotesSite-Publish"
    assert p["MemorySize"] >= 1024
    assert p["EphemeralStorage"] == {"Size": 4096}
    assert "Environment" not in p  # nothing secret or mutable passed around


def test_publish_role_is_least_privilege(synth: Synth) -> None:
    t = synth.t["default"]
    bid = _bucket_id(t)
    _fid, fn = _publish_function(t)
    role_id = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    role = t["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    policies = [
        v
        for v in _of_type(t, "AWS::IAM::Policy").values()
        if v["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    log_group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert statements == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
        },
        {
            "Sid": "ReadTheSiteAsset",
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":s3:::",
                        {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
                        "/*",
                    ],
                ]
            },
        },
        {
            "Sid": "ListSiteBucket",
            "Effect": "Allow",
            "Resource": _arn(bid),
            "Action": ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketVersioning"],
        },
        {
            "Sid": "ReadWriteSiteObjects",
            "Effect": "Allow",
            "Resource": _objects(bid),
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"],
        },
        {
            "Sid": "ReleaseTheDeployLock",
            "Effect": "Allow",
            "Resource": _objects(bid, "/_notes/lock"),
            "Action": "s3:DeleteObjectVersion",
        },
    ]
    text = json.dumps(statements[:-1])
    assert "DeleteObjectVersion" not in text and "PutBucketPolicy" not in text
    # The asset's key (its content hash) appears nowhere in IAM: content edits are no IAM change.
    asset_hash = _one(t, "Custom::NotesSitePublish")[1]["Properties"]["AssetHash"]
    assert asset_hash not in text


def test_custom_resource_properties(synth: Synth) -> None:
    t = synth.t["default"]
    _rid, res = _one(t, "Custom::NotesSitePublish")
    p = res["Properties"]
    assert set(p) == {
        "ServiceToken",
        "ServiceTimeout",
        "SiteBucket",
        "AssetBucket",
        "AssetKey",
        "AssetHash",
        "AllowMassDelete",
    }
    assert p["SiteBucket"] == {"Ref": _bucket_id(t)}
    assert p["AssetBucket"] == {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
    assert re.fullmatch(r"[0-9a-f]{64}", p["AssetHash"])
    assert p["AssetKey"] == f"{p['AssetHash']}.zip"
    assert p["AllowMassDelete"] == "false"
    # The publish function is the service token itself (it answers CloudFormation, warnings
    # in the reason), and no Provider framework function exists.
    fid, _ = _publish_function(t)
    assert p["ServiceToken"] == {"Fn::GetAtt": [fid, "Arn"]}
    assert len(_of_type(t, "AWS::Lambda::Function")) == 1


def test_asset_hash_follows_site_content(synth: Synth) -> None:
    """Same content -> same properties (no update); changed content -> a new hash."""

    def props(name: str) -> dict:
        return _one(synth.t[name], "Custom::NotesSitePublish")[1]["Properties"]

    assert props("same")["AssetHash"] == props("default")["AssetHash"]
    assert props("same")["AssetKey"] == props("default")["AssetKey"]
    assert props("changed")["AssetHash"] != props("default")["AssetHash"]


def test_content_edit_changes_only_the_publish_properties(synth: Synth) -> None:
    """One edited page: no IAM (or any other) resource changes, only the custom resource's
    asset properties, so `cdk deploy` asks no approval and runs unattended in CI."""
    before, after = synth.t["default"], synth.t["edited"]
    assert set(before["Resources"]) == set(after["Resources"])
    changed = {
        rid for rid in before["Resources"] if before["Resources"][rid] != after["Resources"][rid]
    }
    rid, _ = _one(before, "Custom::NotesSitePublish")
    assert changed == {rid}
    old, new = before["Resources"][rid]["Properties"], after["Resources"][rid]["Properties"]
    assert {k for k in old if old[k] != new.get(k)} == {"AssetHash", "AssetKey"}
    assert set(old) == set(new)
    assert before["Outputs"] == after["Outputs"]
    for key in ("Parameters", "Conditions", "Rules"):
        assert before.get(key) == after.get(key)


def test_failures_surface_in_minutes(synth: Synth) -> None:
    """The Lambda's timeout (its watchdog answers 20 s before) below the resource's
    ServiceTimeout, no blind retries, and logs where the FAILED reason says they are."""
    from site_builder.deploy.cfnresponse import TIMEOUT_MARGIN_SECONDS

    t = synth.t["default"]
    fid, fn = _publish_function(t)
    _, res = _one(t, "Custom::NotesSitePublish")
    assert int(res["Properties"]["ServiceTimeout"]) == 900  # not CloudFormation's 3,600 s
    assert TIMEOUT_MARGIN_SECONDS < fn["Properties"]["Timeout"] < 900
    logs = _of_type(t, "AWS::Logs::LogGroup")
    assert fn["Properties"]["FunctionName"] == "NotesSite-Publish"
    group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert logs[group]["Properties"]["LogGroupName"] == "/aws/lambda/NotesSite-Publish"
    retries = {
        v["Properties"]["FunctionName"]["Ref"]: v["Properties"]["MaximumRetryAttempts"]
        for v in _of_type(t, "AWS::Lambda::EventInvokeConfig").values()
    }
    assert retries == {fid: 0}


def test_site_asset_holds_the_built_site(synth: Synth) -> None:
    h = _one(synth.t["default"], "Custom::NotesSitePublish")[1]["Properties"]["AssetHash"]
    staged = synth.outdir / f"asset.{h}"
    files = {
        p.relative_to(staged).as_posix(): p.read_text() for p in staged.rglob("*") if p.is_file()
    }
    assert files == SITE


def test_lambda_code_asset_contains_only_engine_handler_and_sdk(synth: Synth) -> None:
    _, fn = _publish_function(synth.t["default"])
    key = fn["Properties"]["Code"]["S3Key"]
    staged = synth.outdir / f"asset.{key.removesuffix('.zip')}"
    all_files = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())
    sdk_tops = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}
    tops = {f.split("/")[0] for f in all_files if not f.split("/")[0].endswith(".dist-info")}
    assert tops == sdk_tops | {"index.py", "site_builder"}
    files = [f for f in all_files if f.split("/")[0] in ("index.py", "site_builder")]
    assert "index.py" in files and "site_builder/core/errors.py" in files
    assert "site_builder/deploy/__init__.py" in files
    for f in files:
        assert f in ("index.py", "site_builder/__init__.py") or (
            f.startswith(("site_builder/deploy/", "site_builder/core/")) and f.endswith(".py")
        ), f
    for f in files:
        source = (staged / f).read_text()
        assert not re.search(
            r"^\s*(import|from)\s+(markdown|jinja2|yaml|pygments)\b", source, re.MULTILINE
        ), f


def test_outputs(synth: Synth) -> None:
    t = synth.t["default"]
    bid = _bucket_id(t)
    rid, _ = _one(t, "Custom::NotesSitePublish")
    outputs = {k: v["Value"] for k, v in t["Outputs"].items()}
    assert outputs == {
        "WebsiteURL": {"Fn::GetAtt": [bid, "WebsiteURL"]},
        "BucketName": {"Ref": bid},
        "LastDeployId": {"Fn::GetAtt": [rid, "DeployId"]},
    }


# --- cdk-nag -------------------------------------------------------------------------------


def test_cdk_nag_has_no_unacknowledged_findings(synth: Synth) -> None:
    found = [
        (v.rule_name, [r.construct_path for r in v.violating_resources])
        for v in synth.nag.violations
    ]
    assert found == []
    assert synth.nag.success


def test_cdk_nag_acknowledgments_carry_reasons(synth: Synth) -> None:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acks: dict[str, str] = {}
    for c in synth.default.node.find_all():
        for entry in c.node.metadata:
            if entry.type == key:
                acks.update(entry.data)
    ids = {k.split("::", 1)[-1] for k in acks}
    assert {"AwsSolutions-S1", "AwsSolutions-S2", "AwsSolutions-S5", "AwsSolutions-L1"} <= ids
    assert any(i.startswith("AwsSolutions-IAM5[") for i in ids)
    assert all(len(reason) > 40 for reason in acks.values())


def test_cdk_nag_pack_is_live(tmp_path: Path) -> None:
    """The same pack flags a plain bucket: an empty finding list above means something."""
    from aws_cdk import aws_s3 as s3

    app = cdk.App(outdir=str(tmp_path))
    s3.Bucket(cdk.Stack(app, "Plain"), "B")
    names = {v.rule_name for v in AwsSolutionsChecks(app).validate_scope(app).violations}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= names


def test_stage_is_repeatable(tmp_path: Path) -> None:
    first = stage_lambda_code(tmp_path / "a")
    (first / "stale.py").write_text("x")
    again = stage_lambda_code(first)
    assert not (again / "stale.py").exists()
    shutil.rmtree(again)
