"""The publish Lambda (infra/handler/index.py) driven with CloudFormation-shaped events.

The Provider framework calls ``on_event`` with RequestType, ResourceProperties,
OldResourceProperties (Update) and PhysicalResourceId (Update/Delete).  The site asset is a zip
in a moto "CDK assets" bucket; the site bucket is the versioned ``bucket`` fixture.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.handler import index
from infra.lambda_code import stage_lambda_code
from site_builder.deploy import history
from site_builder.errors import DeployError

ASSETS = "cdk-hnb659fds-assets-123456789012-us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/NotesSite/0b1c2d3e"
SITE_V1 = {
    "index.html": b"<h1>Home</h1>",
    "404.html": b"<h1>Not found</h1>",
    "docker/networking/index.html": b"<h1>Networking</h1>",
    "assets/style.3f2a9c1b.css": b"body{color:#222}",
}
SITE_V2 = {
    "index.html": b"<h1>Home, updated</h1>",
    "404.html": b"<h1>Not found</h1>",
    "docker/volumes/index.html": b"<h1>Volumes</h1>",
    "assets/style.3f2a9c1b.css": b"body{color:#222}",
}


def _put_asset(s3, name: str, files: dict[str, bytes]) -> dict[str, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, body in files.items():
            zf.writestr(key, body)
    key = f"{name}.zip"
    s3.put_object(Bucket=ASSETS, Key=key, Body=buf.getvalue())
    return {"AssetBucket": ASSETS, "AssetKey": key, "AssetHash": name}


def _props(bucket: str, asset: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent",
        "SiteBucket": bucket,
        "AllowMassDelete": "false",
        **asset,
        **extra,
    }


def _event(request: str, props: dict, old: dict | None = None, physical: str | None = None):
    event = {
        "RequestType": request,
        "ServiceToken": props["ServiceToken"],
        "ResponseURL": "https://example.invalid/response",
        "StackId": STACK_ID,
        "RequestId": "req-1",
        "LogicalResourceId": "PublishSite",
        "ResourceType": "Custom::NotesSitePublish",
        "ResourceProperties": props,
    }
    if old is not None:
        event["OldResourceProperties"] = old
    if physical is not None:
        event["PhysicalResourceId"] = physical
    return event


def _live(s3, bucket: str) -> dict[str, bytes]:
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        if not o["Key"].startswith("_notes/")
    ]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def _version_count(s3, bucket: str) -> int:
    """Versions of site objects (the lock under _notes/ makes versions on every run)."""
    versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    return sum(1 for v in versions if not v["Key"].startswith("_notes/"))


@pytest.fixture
def assets(s3) -> str:
    s3.create_bucket(Bucket=ASSETS)
    return ASSETS


@pytest.fixture
def created(s3, bucket: str, assets: str) -> tuple[dict, dict]:
    props = _props(bucket, _put_asset(s3, "a" * 64, SITE_V1))
    return props, index.handle(_event("Create", props), s3)


def test_create_publishes_the_asset(s3, bucket: str, created) -> None:
    _props, response = created
    assert _live(s3, bucket) == SITE_V1
    records = history(s3, bucket)
    assert len(records) == 1
    record = records[0]
    assert record.source == "cloudformation"
    assert record.message == f"cdk deploy: Create of stack NotesSite (asset {'a' * 12})"
    assert set(record.files) == set(SITE_V1)
    assert response == {
        "PhysicalResourceId": f"notes-site:{bucket}",
        "Data": {"DeployId": record.id, "Uploaded": 4, "Deleted": 0, "Unchanged": 0},
    }
    # Data must be JSON for the Provider framework.
    json.dumps(response)
    index_obj = s3.head_object(Bucket=bucket, Key="index.html")
    assert index_obj["ContentType"].startswith("text/html")


def test_update_with_changed_asset_uploads_only_changes(s3, bucket: str, created) -> None:
    old, first = created
    new = _props(bucket, _put_asset(s3, "b" * 64, SITE_V2))
    response = index.handle(
        _event("Update", new, old=old, physical=first["PhysicalResourceId"]), s3
    )
    assert _live(s3, bucket) == SITE_V2
    records = history(s3, bucket)
    assert len(records) == 2
    assert records[0].parent == first["Data"]["DeployId"]
    assert records[0].source == "cloudformation"
    assert response["PhysicalResourceId"] == first["PhysicalResourceId"]
    # index.html changed, docker/volumes added; docker/networking removed; 2 untouched.
    assert response["Data"] == {
        "DeployId": records[0].id,
        "Uploaded": 2,
        "Deleted": 1,
        "Unchanged": 2,
    }


def test_update_with_unchanged_asset_writes_nothing(s3, bucket: str, created) -> None:
    old, first = created
    versions = _version_count(s3, bucket)
    same = _props(bucket, _put_asset(s3, "a" * 64, SITE_V1), AllowMassDelete="true")
    response = index.handle(
        _event("Update", same, old=old, physical=first["PhysicalResourceId"]), s3
    )
    assert response["Data"] == {
        "DeployId": first["Data"]["DeployId"],
        "Uploaded": 0,
        "Deleted": 0,
        "Unchanged": 4,
    }
    assert _version_count(s3, bucket) == versions
    assert len(history(s3, bucket)) == 1


def test_cloudformation_rollback_republishes_previous_asset(s3, bucket: str, created) -> None:
    """A failed stack update makes CloudFormation send the old properties back."""
    v1, first = created
    v2 = _props(bucket, _put_asset(s3, "b" * 64, SITE_V2))
    physical = first["PhysicalResourceId"]
    index.handle(_event("Update", v2, old=v1, physical=physical), s3)
    back = index.handle(_event("Update", v1, old=v2, physical=physical), s3)
    assert _live(s3, bucket) == SITE_V1
    assert back["Data"]["Uploaded"] == 2 and back["Data"]["Deleted"] == 1
    assert back["Data"]["DeployId"] == history(s3, bucket)[0].id


def test_delete_leaves_the_site_alone(s3, bucket: str, created) -> None:
    props, first = created
    versions = _version_count(s3, bucket)
    response = index.handle(_event("Delete", props, physical=first["PhysicalResourceId"]), s3)
    assert response == {"PhysicalResourceId": first["PhysicalResourceId"]}
    assert _live(s3, bucket) == SITE_V1
    assert _version_count(s3, bucket) == versions
    assert len(history(s3, bucket)) == 1


def test_missing_asset_raises_one_line_error(s3, bucket: str, assets: str) -> None:
    props = _props(bucket, {"AssetBucket": ASSETS, "AssetKey": "gone.zip", "AssetHash": "gone"})
    with pytest.raises(DeployError) as err:
        index.handle(_event("Create", props), s3)
    message = str(err.value)
    assert message.startswith(f"cannot read the site asset s3://{ASSETS}/gone.zip: ")
    assert "\n" not in message
    assert _live(s3, bucket) == {}


def test_unversioned_bucket_fails_with_engine_error(s3, assets: str) -> None:
    s3.create_bucket(Bucket="plain-bucket")
    props = _props("plain-bucket", _put_asset(s3, "c" * 64, SITE_V1))
    with pytest.raises(DeployError):
        index.handle(_event("Create", props), s3)
    assert _live(s3, "plain-bucket") == {}


def test_unknown_request_type(s3, bucket: str) -> None:
    with pytest.raises(DeployError, match="unknown CloudFormation request type 'Replace'"):
        index.handle(_event("Replace", _props(bucket, {"AssetHash": "x"})), s3)


def test_explicit_message_property(s3, bucket: str, assets: str) -> None:
    props = _props(bucket, _put_asset(s3, "d" * 64, SITE_V1), Message="release 7")
    index.handle(_event("Create", props), s3)
    assert history(s3, bucket)[0].message == "release 7"


def test_on_event_entry_point_makes_its_own_client(s3, bucket: str, assets: str) -> None:
    props = _props(bucket, _put_asset(s3, "e" * 64, SITE_V1))
    response = index.on_event(_event("Create", props), context=None)
    assert response["Data"]["Uploaded"] == 4
    assert _live(s3, bucket) == SITE_V1


def test_staged_code_imports_without_the_builder(tmp_path: Path) -> None:
    """In the Lambda only the staged files exist: the handler must import from them alone."""
    code = stage_lambda_code(tmp_path / "lambda")
    probe = (
        "import sys, index, site_builder, site_builder.deploy\n"
        "assert site_builder.__file__.startswith(sys.argv[1]), site_builder.__file__\n"
        "bad = sorted(m for m in ('markdown', 'jinja2', 'yaml', 'pygments', 'aws_cdk')"
        " if m in sys.modules)\n"
        "assert not bad, bad\n"
        "print(index.on_event.__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(code)],
        check=False,
        cwd=code,
        env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "index"


def test_lambda_client_has_a_connection_per_worker_and_standard_retries(aws_credentials):
    from site_builder.deploy.apply import DEFAULT_WORKERS

    client = index.make_client()
    assert client.meta.config.max_pool_connections >= DEFAULT_WORKERS
    assert client.meta.config.retries["mode"] == "standard"
