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
import threading
import time
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from infra.handler import index
from infra.lambda_code import stage_lambda_code
from site_builder.core.errors import DeployError
from site_builder.deploy import history, lock, publish, verify

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
    latest, _v2, v1_record = history(s3, bucket)
    assert back["Data"]["DeployId"] == latest.id
    # An exact restore of the record that published asset v1, not a re-upload.
    assert (latest.kind, latest.source, latest.target) == ("rollback", "cloudformation",
                                                          v1_record.id)
    assert latest.asset_hash == v1_record.asset_hash == v1["AssetHash"]
    assert {k: e.version_id for k, e in latest.files.items()} == {
        k: e.version_id for k, e in v1_record.files.items()} | {
        k: latest.files[k].version_id for k in ("index.html", "docker/networking/index.html")}


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


_CLEAN_PROBE = """
import json, sys
code = sys.argv[1]
sys.path.insert(0, code)
import boto3, botocore, index, site_builder.deploy
for mod in (boto3, botocore, index, site_builder):
    assert mod.__file__.startswith(code), mod.__file__
bad = sorted(m for m in ('markdown', 'jinja2', 'yaml', 'pygments', 'aws_cdk', 'moto')
             if m in sys.modules)
assert not bad, bad
for service in ("s3", "cloudfront"):  # every client the handler makes has its model
    boto3.client(service, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="x")
if len(sys.argv) > 2:  # publish through moto's server with the bundled SDK
    endpoint, event = sys.argv[2], json.loads(sys.argv[3])
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    index.check_sdk(botocore.__version__)
    print(json.dumps(index.handle(event, client)["Data"]))
print(boto3.__version__, botocore.__version__)
"""


def _run_clean(code: Path, *args: str) -> subprocess.CompletedProcess:
    """Python isolated (-I: no PYTHONPATH, no user site) without site-packages (-S): only the
    standard library and the staged asset can be imported, as in the Lambda."""
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", _CLEAN_PROBE, str(code), *args],
        check=False,
        cwd=code,
        env={"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_staged_code_imports_alone_in_a_clean_interpreter(tmp_path: Path) -> None:
    """In the Lambda only the staged files exist: handler, engine and SDK import from them."""
    import boto3
    import botocore

    code = stage_lambda_code(tmp_path / "lambda")
    done = _run_clean(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [boto3.__version__, botocore.__version__]


def test_staged_code_publishes_through_moto_server(tmp_path: Path) -> None:
    """The staged asset alone (its bundled SDK) publishes a site: lock, uploads, record."""
    import boto3
    from moto.server import ThreadedMotoServer

    code = stage_lambda_code(tmp_path / "lambda")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="site")
        s3.put_bucket_versioning(Bucket="site", VersioningConfiguration={"Status": "Enabled"})
        s3.create_bucket(Bucket=ASSETS)
        event = _event("Create", _props("site", _put_asset(s3, "f" * 64, SITE_V1)))
        done = _run_clean(code, endpoint, json.dumps(event))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[0])["Uploaded"] == len(SITE_V1)
        assert _live(s3, "site") == SITE_V1
        assert [r.source for r in history(s3, "site")] == ["cloudformation"]
    finally:
        server.stop()


@pytest.mark.parametrize("old", ["1.34.162", "1.35.1", "1.35.68", "1.29.0"])
def test_old_botocore_refused_in_one_line(old: str) -> None:
    with pytest.raises(DeployError) as err:
        index.check_sdk(old)
    message = str(err.value)
    assert message.startswith(f"the publish Lambda runs botocore {old}, older than 1.35.69 ")
    assert "\n" not in message


@pytest.mark.parametrize("ok", ["1.35.69", "1.35.100", "1.44.8", "2.0.0"])
def test_recent_botocore_accepted(ok: str) -> None:
    index.check_sdk(ok)


def test_on_event_refuses_old_sdk_before_any_request(monkeypatch, s3, bucket, assets) -> None:
    import botocore

    monkeypatch.setattr(botocore, "__version__", "1.34.0")
    props = _props(bucket, _put_asset(s3, "e" * 64, SITE_V1))
    with pytest.raises(DeployError, match="runs botocore 1.34.0, older than 1.35.69"):
        index.on_event(_event("Create", props), context=None)
    assert _live(s3, bucket) == {}


def test_pyproject_boto3_floor_is_the_engines_minimum() -> None:
    """boto3 X.Y.Z requires botocore X.Y.Z: the declared floor is the real minimum."""
    import re as _re
    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    (boto3_dep,) = [d for d in deps if _re.match(r"boto3\b", d)]
    assert boto3_dep.replace(" ", "") == f"boto3>={index.MIN_BOTOCORE}"



# --- faults: a publish that fails or is killed half-way, a lock held by a laptop -------------


class FaultyClient:
    """The moto client, except that the PUT of site object number ``after + 1`` fails with an
    S3 error; with ``kill`` that PUT and every later call fail as if the process were gone
    (so the lock is neither renewed nor released)."""

    def __init__(self, inner, after: int, kill: bool = False):
        self._inner, self._left, self._kill = inner, after, kill
        self._mutex = threading.Lock()
        self.dead = False
        self.puts = 0

    def __getattr__(self, name: str):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self.dead:
                raise EndpointConnectionError(endpoint_url="https://killed.invalid")
            if name == "put_object" and not kwargs["Key"].startswith("_notes/"):
                with self._mutex:
                    self._left -= 1
                    fire = self._left < 0
                    self.dead = fire and self._kill
                if self.dead:
                    raise EndpointConnectionError(endpoint_url="https://killed.invalid")
                if fire:
                    raise ClientError({"Error": {"Code": "InternalError",
                                                 "Message": "injected"}}, "PutObject")
                self.puts += 1
            return attr(*args, **kwargs)

        return call


def _note(i: int, text: str = "") -> bytes:
    return (f'<html><head><meta name="notes:page" content="note"></head><body><h1>Note {i}'
            f'</h1>{text}<a href="/">home</a></body></html>').encode()


def _big_sites() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A: 150 files (141 pages); B: 20 of its notes edited and 120 notes added."""
    a = {f"notes/n{i:03d}/index.html": _note(i) for i in range(140)}
    a |= {f"assets/a{i}.css": f"a{i}{{}}".encode() for i in range(8)}
    a |= {"index.html": b"<h1>Home</h1>", "404.html": b"<h1>Not found</h1>"}
    b = dict(a) | {f"notes/n{i:03d}/index.html": _note(i, "edited") for i in range(20)}
    b |= {f"notes/n{i:03d}/index.html": _note(i, "new") for i in range(200, 320)}
    return a, b


def _bytes_of_record(s3, bucket: str, record) -> dict[str, bytes]:
    return {k: s3.get_object(Bucket=bucket, Key=k, VersionId=e.version_id)["Body"].read()
            for k, e in record.files.items()}


def test_rollback_update_after_failed_update_restores_a_exactly(s3, bucket, assets) -> None:
    """150+ files, default guard limits: A -> B fails after 100 uploads; CloudFormation's
    rollback Update back to A restores A's record byte for byte, although the publish path
    would have been refused by the mass-delete guard, and one of A's versions had expired."""
    site_a, site_b = _big_sites()
    a = _props(bucket, _put_asset(s3, "a" * 64, site_a))
    b = _props(bucket, _put_asset(s3, "b" * 64, site_b))
    created = index.handle(_event("Create", a), s3)
    (a_record,) = history(s3, bucket)
    assert a_record.asset_hash == "a" * 64 and len(a_record.files) == 150
    physical = created["PhysicalResourceId"]

    faulty = FaultyClient(s3, after=100)
    with pytest.raises(DeployError, match="InternalError"):
        index.handle(_event("Update", b, old=a, physical=physical), faulty)
    assert faulty.puts >= 100
    assert len(history(s3, bucket)) == 1  # no record for the failed update
    held = lock.read_lock(s3, bucket)  # released on the failure path, saying so
    assert held.body.released and held.body.broke["reason"] == "did not finish"
    half = _live(s3, bucket)
    added = set(half) - set(site_a)
    assert len(added) >= 60
    # Re-publishing A's files would be refused: the guard's default limit is in force.
    with pytest.raises(DeployError, match=f"would delete {len(added)} of"):
        publish(s3, bucket, _asset_zip(s3, a), dry_run=True)
    # The lifecycle rule expired A's (now non-current) version of an edited note.
    edited = "notes/n000/index.html"
    assert half[edited] == site_b[edited]
    s3.delete_object(Bucket=bucket, Key=edited, VersionId=a_record.files[edited].version_id)

    back = index.handle(_event("Update", a, old=b, physical=physical), s3)
    assert _live(s3, bucket) == site_a
    latest = history(s3, bucket)[0]
    assert back["Data"]["DeployId"] == latest.id
    assert (latest.kind, latest.source, latest.target, latest.asset_hash) == (
        "rollback", "cloudformation", a_record.id, "a" * 64)
    assert _bytes_of_record(s3, bucket, latest) == site_a
    for key, entry in latest.files.items():
        old = a_record.files[key]
        assert (entry.md5, entry.size, entry.content_type, entry.cache_control) == (
            old.md5, old.size, old.content_type, old.cache_control)
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head.get("CacheControl")) == (
            old.content_type, old.cache_control)
    assert latest.files[edited].version_id != a_record.files[edited].version_id
    assert back["Data"]["Deleted"] == len(added)
    assert verify(s3, bucket).clean


def _asset_zip(s3, props: dict[str, str]) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "asset.zip"
    s3.download_file(props["AssetBucket"], props["AssetKey"], str(path))
    return path


@pytest.fixture
def short_lease(monkeypatch) -> None:
    """Leases of seconds and a few more of waiting: the real values are minutes.  (A lease of
    one second could run out on a loaded machine before the test looked at it.)"""
    monkeypatch.setattr(index, "LOCK_LEASE_SECONDS", 3.0)
    monkeypatch.setattr(index, "LOCK_WAIT_SECONDS", 12.0)
    monkeypatch.setattr(lock, "POLL_SECONDS", 0.25)


def test_killed_publish_then_rollback_and_retry_need_no_human(s3, bucket, created,
                                                              short_lease) -> None:
    v1, first = created
    v2 = _props(bucket, _put_asset(s3, "b" * 64, SITE_V2))
    physical = first["PhysicalResourceId"]
    killed = FaultyClient(s3, after=1, kill=True)
    with pytest.raises(DeployError):
        index.handle(_event("Update", v2, old=v1, physical=physical), killed)
    left = lock.read_lock(s3, bucket)
    assert left is not None and not left.expired  # the dead publish's lock, lease running

    back = index.handle(_event("Update", v1, old=v2, physical=physical), s3)
    assert _live(s3, bucket) == SITE_V1
    rolled = history(s3, bucket)[0]
    assert back["Data"]["DeployId"] == rolled.id
    assert (rolled.kind, rolled.target) == ("rollback", first["Data"]["DeployId"])
    assert rolled.broke_lock and rolled.broke_lock["reason"] == "lease expired"
    assert lock.read_lock(s3, bucket) is None

    retry = index.handle(_event("Update", v2, old=v1, physical=physical), s3)
    assert _live(s3, bucket) == SITE_V2
    again = history(s3, bucket)[0]
    assert (retry["Data"]["DeployId"], again.kind, again.asset_hash) == (
        again.id, "deploy", "b" * 64)
    assert lock.read_lock(s3, bucket) is None


def test_killed_publish_then_the_same_update_again_succeeds(s3, bucket, created,
                                                           short_lease) -> None:
    """No rollback in between (e.g. Lambda re-invoked): the retry waits out the dead lease,
    breaks it and completes the half-done publish."""
    v1, first = created
    v2 = _props(bucket, _put_asset(s3, "b" * 64, SITE_V2))
    physical = first["PhysicalResourceId"]
    with pytest.raises(DeployError):
        index.handle(_event("Update", v2, old=v1, physical=physical),
                     FaultyClient(s3, after=1, kill=True))
    assert lock.read_lock(s3, bucket) is not None
    retry = index.handle(_event("Update", v2, old=v1, physical=physical), s3)
    assert _live(s3, bucket) == SITE_V2
    record = history(s3, bucket)[0]
    assert (retry["Data"]["DeployId"], record.kind, record.parent) == (
        record.id, "deploy", first["Data"]["DeployId"])
    assert record.broke_lock["reason"] == "lease expired"
    assert retry["Data"]["Uploaded"] == 1  # the killed run had uploaded the other change
    assert lock.read_lock(s3, bucket) is None


def test_live_laptop_lock_fails_update_naming_holder_then_succeeds(s3, bucket, created,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(index, "LOCK_WAIT_SECONDS", 0.5)
    v1, first = created
    v2 = _props(bucket, _put_asset(s3, "b" * 64, SITE_V2))
    physical = first["PhysicalResourceId"]
    laptop = lock.acquire(s3, bucket, "deploy", lease_seconds=30)
    laptop.start_heartbeat()
    try:
        with pytest.raises(DeployError) as err:
            index.handle(_event("Update", v2, old=v1, physical=physical), s3)
        # CloudFormation's rollback of that update: v1 is live as recorded, so it succeeds
        # without the lock (no UPDATE_ROLLBACK_FAILED while the laptop works).
        back = index.handle(_event("Update", v1, old=v2, physical=physical), s3)
        assert back["Data"] == {"DeployId": first["Data"]["DeployId"], "Uploaded": 0,
                                "Deleted": 0, "Unchanged": len(SITE_V1)}
        assert lock.read_lock(s3, bucket).body.token == laptop.token
    finally:
        laptop.release()
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"bucket {bucket!r} is locked by {laptop.body.owner.describe()}")
    assert f"`notes unlock --bucket {bucket}`" in message
    assert _live(s3, bucket) == SITE_V1 and len(history(s3, bucket)) == 1

    done = index.handle(_event("Update", v2, old=v1, physical=physical), s3)
    assert _live(s3, bucket) == SITE_V2
    assert done["Data"]["DeployId"] == history(s3, bucket)[0].id


def test_handler_lease_is_far_below_the_lambda_timeout() -> None:
    """A killed publish's lock expires, and is waited out, well within one Lambda run."""
    from infra.stack import PUBLISH_TIMEOUT

    timeout = PUBLISH_TIMEOUT.to_seconds()
    assert index.LOCK_LEASE_SECONDS < index.LOCK_WAIT_SECONDS < timeout / 4


def test_handler_logs_plan_progress_and_deploy_id(s3, bucket, assets, caplog,
                                                  monkeypatch) -> None:
    """What CloudWatch shows for a publish: the asset, the upload count, progress every
    PROGRESS_EVERY files (2 here) and the final summary with the deploy id."""
    monkeypatch.setattr(index, "PROGRESS_EVERY", 2)
    props = _props(bucket, _put_asset(s3, "a" * 64, SITE_V1))
    with caplog.at_level("INFO", logger="notes.publish"):
        response = index.handle(_event("Create", props), s3)
    lines = [r.getMessage() for r in caplog.records if r.name == "notes.publish"]
    assert lines == [
        f"Create: publish asset {'a' * 64} to bucket {bucket}",
        "uploading 4 files",
        "uploaded 2 of 4 files",
        "uploaded 4 of 4 files",
        "done: 4 to upload, 0 to delete, 0 unchanged; deploy id "
        + response["Data"]["DeployId"],
    ]


def test_lambda_client_has_a_connection_per_worker_and_standard_retries(aws_credentials):
    from site_builder.deploy.apply import DEFAULT_WORKERS

    client = index.make_client()
    assert client.meta.config.max_pool_connections >= DEFAULT_WORKERS
    assert client.meta.config.retries["mode"] == "standard"


# --- answering CloudFormation (deploy.cfnresponse) -------------------------------------------


class _Context:
    log_group_name = "/aws/lambda/NotesSite-Publish"

    def __init__(self, remaining_ms: int = 780_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def _answers(monkeypatch) -> list[dict]:
    """What the handler PUTs to ResponseURL, captured instead of sent."""
    import urllib.request

    sent: list[dict] = []

    class _Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b""

    def fake_urlopen(request, timeout=None):
        assert request.get_method() == "PUT" and request.full_url == (
            "https://example.invalid/response")
        sent.append(json.loads(request.data))
        return _Answer()

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return sent


def test_handler_answers_success_and_failure_once(s3, bucket, assets, monkeypatch) -> None:
    sent = _answers(monkeypatch)
    props = _props(bucket, _put_asset(s3, "a" * 64, SITE_V1))
    index.handler(_event("Create", props), _Context())
    gone = _props(bucket, {"AssetBucket": ASSETS, "AssetKey": "gone.zip", "AssetHash": "b" * 64})
    index.handler(_event("Update", gone, old=props, physical=f"notes-site:{bucket}"),
                  _Context())
    ok, failed = sent
    assert (ok["Status"], ok["Reason"], ok["PhysicalResourceId"]) == (
        "SUCCESS", "SUCCESS", f"notes-site:{bucket}")
    assert ok["Data"]["DeployId"] == history(s3, bucket)[0].id
    assert (ok["RequestId"], ok["LogicalResourceId"], ok["StackId"]) == (
        "req-1", "PublishSite", STACK_ID)
    assert failed["Status"] == "FAILED"
    assert failed["Reason"].startswith(f"cannot read the site asset s3://{ASSETS}/gone.zip: ")
    assert failed["Reason"].endswith(" Logs: /aws/lambda/NotesSite-Publish")


def test_a_provider_framework_request_is_answered_by_returning(s3, bucket, created,
                                                                monkeypatch) -> None:
    """An old stack's PublishSite sat behind CDK's Provider framework, which calls the
    function with ResponseURL '...' and answers CloudFormation itself: its cleanup Delete
    must return, not PUT (a ValueError that would log DELETE_FAILED)."""
    sent = _answers(monkeypatch)
    props, first = created
    monkeypatch.setattr(index, "make_client", lambda: s3)
    event = {**_event("Delete", props, physical=first["PhysicalResourceId"]),
             "ResponseURL": "..."}
    versions = _version_count(s3, bucket)
    assert index.handler(event, _Context()) == {
        "PhysicalResourceId": first["PhysicalResourceId"]}
    assert sent == [] and _version_count(s3, bucket) == versions


def test_watchdog_answers_failed_before_the_lambda_timeout(monkeypatch) -> None:
    from site_builder.deploy import cfnresponse

    sent = _answers(monkeypatch)
    monkeypatch.setattr(cfnresponse, "TIMEOUT_MARGIN_SECONDS", 0.0)
    responder = cfnresponse.Responder(_event("Update", _props("b", {"AssetHash": "x"})))
    responder.watch(_Context(remaining_ms=50), "out of time")
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(s["Status"], s["Reason"]) for s in sent] == [("FAILED", "out of time")]
    assert responder.send("SUCCESS") is False  # the publish finishing later changes nothing
    assert len(sent) == 1
