"""The publish Lambda as AWS runs it: the code asset of a real `cdk synth`, for every settings
combination, in a clean interpreter against moto's server (see tests/lambda_asset.py).

Each combination goes through CloudFormation's four requests: Create, Update (new content),
the Update CloudFormation sends when it rolls that update back, and Delete; with ``https`` the
CloudFront client of the asset invalidates on moto's distribution.  Then the ways a rollback
used to wedge the stack (UPDATE_ROLLBACK_FAILED), each through the staged asset: a refused
invalidation, a laptop's live lock, more than ten deploys since, a killed publish, a gone zip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cdkapp import REPO, SETTINGS
from lambda_asset import ASSETS, LOG_GROUP, lambda_runner, read_zip, zip_files, zip_folder
from test_cli_invalidate import create_distribution

from infra.sdk_pins import PINS_FILE
from site_builder.deploy import history, lock, publish, verify
from site_builder.deploy.cdkasset import asset_key

pytestmark = pytest.mark.cdk
SITE_BUCKET = "notessite-sitebucket397a1860-1x2y3z"
FAST = {"LOCK_LEASE_SECONDS": 3.0, "LOCK_WAIT_SECONDS": 12.0, "INVALIDATION_DELAYS": [0.05, 0.05]}


@pytest.fixture
def aws(moto_endpoint: str):
    """boto3 clients on moto's server (reset for each test)."""
    import boto3
    import requests

    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    kw = {"endpoint_url": moto_endpoint, "region_name": "us-east-1",
          "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3, cloudfront = boto3.client("s3", **kw), boto3.client("cloudfront", **kw)
    s3.create_bucket(Bucket=SITE_BUCKET)
    s3.put_bucket_versioning(Bucket=SITE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket=ASSETS)
    return s3, cloudfront


class Stack:
    """The synthesized stack's publish resource, its properties resolved against moto."""

    def __init__(self, synthesized, s3, cloudfront):
        self.s3 = s3
        self.site = read_zip(zip_folder(synthesized.site_asset()))
        raw = synthesized.publish_properties()
        self.props = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:"
                      "NotesSite-Publish", "ServiceTimeout": str(raw["ServiceTimeout"]),
                      "SiteBucket": SITE_BUCKET, "AllowMassDelete": raw["AllowMassDelete"]}
        self.distribution = None
        if "DistributionId" in raw:
            self.distribution = create_distribution(cloudfront)["Id"]
            self.props["DistributionId"] = self.distribution
        self.a = self.asset(self.site, raw["AssetHash"])

    def asset(self, files: dict[str, bytes], asset_hash: str | None = None) -> dict[str, str]:
        """Upload a site zip as CDK would; the custom resource's properties for it."""
        body = zip_files(files)
        asset_hash = asset_hash or hashlib.sha256(body).hexdigest()
        self.s3.put_object(Bucket=ASSETS, Key=f"{asset_hash}.zip", Body=body)
        return {**self.props, "AssetBucket": ASSETS, "AssetKey": f"{asset_hash}.zip",
                "AssetHash": asset_hash}

    def live(self) -> dict[str, bytes]:
        keys = [o["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=SITE_BUCKET) for o in page.get("Contents", ())
            if not o["Key"].startswith("_notes/")]
        return {k: self.s3.get_object(Bucket=SITE_BUCKET, Key=k)["Body"].read() for k in keys}


def _edited(site: dict[str, bytes], tag: str = "edited") -> dict[str, bytes]:
    """The site with its home page changed, one note page added and one removed."""
    pages = sorted(k for k in site if k.endswith("/index.html") and "/" in k[:-11])
    out = {k: v for k, v in site.items() if k != pages[0]}
    out["index.html"] = site["index.html"].replace(b"</body>", f"<p>{tag}</p></body>".encode())
    out[f"{tag}/index.html"] = f"<html><body><h1>{tag}</h1></body></html>".encode()
    return out


@pytest.fixture
def plain(cdk_synth, aws):
    synthesized = cdk_synth()
    assert synthesized.done.returncode == 0, synthesized.done.stderr
    stack = Stack(synthesized, *aws)
    with lambda_runner(synthesized.lambda_asset(), aws[0].meta.endpoint_url) as runner:
        yield stack, runner


@pytest.mark.parametrize("settings", sorted(SETTINGS))
def test_create_update_rollback_delete_from_the_staged_asset(settings, cdk_synth, aws) -> None:
    synthesized = cdk_synth(*SETTINGS[settings])
    assert synthesized.done.returncode == 0, synthesized.done.stderr
    s3, cloudfront = aws
    stack = Stack(synthesized, s3, cloudfront)
    b = stack.asset(_edited(stack.site))
    with lambda_runner(synthesized.lambda_asset(), s3.meta.endpoint_url) as lam:
        physical = f"notes-site:{SITE_BUCKET}"
        responses = lam.run(lam.event("Create", stack.a),
                            lam.event("Update", b, old=stack.a, physical=physical),
                            lam.event("Update", stack.a, old=b, physical=physical),
                            lam.event("Delete", stack.a, physical=physical), **FAST)
    assert [(r["Status"], r["Reason"], r["PhysicalResourceId"]) for r in responses] == [
        ("SUCCESS", "SUCCESS", physical)] * 4
    assert stack.live() == stack.site  # rolled back to A, and Delete left it alone
    rollback, update, create = history(s3, SITE_BUCKET)
    assert [r.kind for r in (create, update, rollback)] == ["deploy", "deploy", "rollback"]
    assert rollback.target == create.id and rollback.source == "cloudformation"
    assert set(update.files) == set(_edited(stack.site))
    assert [r["Data"].get("DeployId") for r in responses] == [create.id, update.id,
                                                              rollback.id, None]
    assert responses[2]["Data"]["Deleted"] == 1 and responses[3]["Data"] == {}
    if stack.distribution is None:
        assert "InvalidationId" not in responses[0]["Data"]
        return
    made = cloudfront.list_invalidations(DistributionId=stack.distribution)[
        "InvalidationList"]["Items"]
    assert sorted(i["Id"] for i in made) == sorted(
        r["Data"]["InvalidationId"] for r in responses[:3])
    assert [r.invalidation.id for r in (create, update, rollback)] == [
        r["Data"]["InvalidationId"] for r in responses[:3]]


def test_a_refused_invalidation_is_retried_then_a_warning(cdk_synth, aws) -> None:
    synthesized = cdk_synth("https=true")
    s3, cloudfront = aws
    stack = Stack(synthesized, s3, cloudfront)
    b = stack.asset(_edited(stack.site))
    physical = f"notes-site:{SITE_BUCKET}"
    with lambda_runner(synthesized.lambda_asset(), s3.meta.endpoint_url) as lam:
        (created,) = lam.run(lam.event("Create", stack.a), **FAST)
        (updated,) = lam.run(lam.event("Update", b, old=stack.a, physical=physical),
                             refuse_invalidations=2, **FAST)
        assert lam.cloudfront.attempts == 3  # refused twice, then made
        (back,) = lam.run(lam.event("Update", stack.a, old=b, physical=physical),
                          refuse_invalidations=99, **FAST)
        assert lam.cloudfront.attempts == 3  # the first try and one per delay
    assert (updated["Status"], updated["Reason"]) == ("SUCCESS", "SUCCESS")
    assert updated["Data"]["InvalidationId"]
    assert back["Status"] == "SUCCESS"
    assert back["Reason"].startswith(
        f"Warning: invalidating CloudFront distribution '{stack.distribution}' failed: "
        "TooManyInvalidationsInProgress ")
    assert f"--distribution-id {stack.distribution} --paths '/*'" in back["Reason"]
    assert stack.live() == stack.site
    latest = history(s3, SITE_BUCKET)[0]
    assert (latest.kind, latest.invalidation, back["Data"]["InvalidationId"]) == (
        "rollback", None, "")
    assert created["Data"]["InvalidationId"]


def test_rollback_finds_its_record_after_many_laptop_deploys_without_guard_or_zip(
        plain, tmp_path) -> None:
    """Eleven `notes deploy`s after the stack's Create, then a cdk deploy that failed half-way
    (new pages up, no record): the rollback restores the stack's site exactly, although a
    republish would trip the mass-delete guard, and although the zip is gone (every version
    it needs is still in the bucket)."""
    stack, lam = plain
    (created,) = lam.run(lam.event("Create", stack.a))
    for i in range(11):
        folder = tmp_path / f"laptop{i}"
        for key, body in _edited(stack.site, f"laptop{i}").items():
            (folder / key).parent.mkdir(parents=True, exist_ok=True)
            (folder / key).write_bytes(body)
        publish(stack.s3, SITE_BUCKET, folder, message=f"laptop {i}")
    for i in range(30):  # what the failed update had uploaded
        stack.s3.put_object(Bucket=SITE_BUCKET, Key=f"new/n{i}/index.html", Body=b"<p>new</p>")
    with pytest.raises(Exception, match=f"would delete 31 of {len(stack.site) + 30} live objects"):
        publish(stack.s3, SITE_BUCKET, lam_zip(tmp_path, stack.site), dry_run=True)
    stack.s3.delete_object(Bucket=ASSETS, Key=stack.a["AssetKey"])
    b = stack.asset(_edited(stack.site, "b"))
    (back,) = lam.run(lam.event("Update", stack.a, old=b, physical=created["PhysicalResourceId"]))
    assert (back["Status"], back["Reason"]) == ("SUCCESS", "SUCCESS")
    assert stack.live() == stack.site
    records = history(stack.s3, SITE_BUCKET)
    assert len(records) == 13 and records[0].kind == "rollback"
    assert records[0].target == created["Data"]["DeployId"]
    assert verify(stack.s3, SITE_BUCKET).clean


def lam_zip(tmp_path, files: dict[str, bytes]):
    path = tmp_path / "site.zip"
    path.write_bytes(zip_files(files))
    return path


def test_a_live_laptop_lock_fails_the_update_and_the_rollback_leaves_its_site(plain,
                                                                             tmp_path) -> None:
    stack, lam = plain
    (created,) = lam.run(lam.event("Create", stack.a))
    physical = created["PhysicalResourceId"]
    b = stack.asset(_edited(stack.site))
    laptop = lock.acquire(stack.s3, SITE_BUCKET, "deploy", lease_seconds=30)
    laptop.start_heartbeat()
    try:
        (failed,) = lam.run(lam.event("Update", b, old=stack.a, physical=physical),
                            LOCK_WAIT_SECONDS=1.0)
        # the laptop's deploy has written one page when CloudFormation rolls back
        stack.s3.put_object(Bucket=SITE_BUCKET, Key="index.html", Body=b"<h1>laptop</h1>")
        (back,) = lam.run(lam.event("Update", stack.a, old=b, physical=physical),
                          LOCK_WAIT_SECONDS=1.0)
    finally:
        laptop.release()
    holder = laptop.body.owner.describe()
    assert failed["Status"] == "FAILED"
    assert failed["Reason"].startswith(f"bucket '{SITE_BUCKET}' is locked by {holder} since ")
    assert failed["Reason"].endswith(f" Logs: {LOG_GROUP}")
    assert back["Status"] == "SUCCESS"
    assert back["Reason"].startswith(
        f"Warning: did not restore deploy {created['Data']['DeployId']}: bucket "
        f"'{SITE_BUCKET}' is locked by {holder} since ")
    assert "so the site was left as that deploy makes it" in back["Reason"]
    assert f"`notes rollback --bucket {SITE_BUCKET} --to {created['Data']['DeployId']}`" in (
        back["Reason"])
    assert stack.live()["index.html"] == b"<h1>laptop</h1>"  # not reverted
    assert not verify(stack.s3, SITE_BUCKET).clean  # `notes verify` shows it
    # The laptop's deploy finishes: its site is live and recorded, nothing was undone.
    laptop_site = _edited(stack.site, "laptop")
    publish(stack.s3, SITE_BUCKET, lam_zip(tmp_path, laptop_site))
    assert stack.live() == laptop_site and verify(stack.s3, SITE_BUCKET).clean


def test_a_killed_publish_is_waited_out_and_rolled_back(plain) -> None:
    stack, lam = plain
    (created,) = lam.run(lam.event("Create", stack.a))
    b = stack.asset(_edited(stack.site))
    # What a publish killed half-way leaves: its lock (lease running, never renewed again)
    # and some of its uploads, no record.
    lock.acquire(stack.s3, SITE_BUCKET, "publish", lease_seconds=2.0)
    stack.s3.put_object(Bucket=SITE_BUCKET, Key="edited/index.html", Body=b"<h1>half</h1>")
    (back,) = lam.run(lam.event("Update", stack.a, old=b,
                                physical=created["PhysicalResourceId"]), **FAST)
    assert (back["Status"], back["Reason"]) == ("SUCCESS", "SUCCESS")
    assert stack.live() == stack.site
    latest = history(stack.s3, SITE_BUCKET)[0]
    assert latest.kind == "rollback" and latest.broke_lock["reason"] == "lease expired"
    assert lock.read_lock(stack.s3, SITE_BUCKET) is None


def test_gone_versions_come_from_the_zip_and_without_it_the_site_is_left(plain) -> None:
    stack, lam = plain
    (created,) = lam.run(lam.event("Create", stack.a))
    physical = created["PhysicalResourceId"]
    b = stack.asset(_edited(stack.site))
    a_record = history(stack.s3, SITE_BUCKET)[0]
    version = a_record.files["index.html"].version_id

    def forward_then_expire() -> None:
        lam.run(lam.event("Update", b, old=stack.a, physical=physical))
        stack.s3.delete_object(Bucket=SITE_BUCKET, Key="index.html", VersionId=version)

    forward_then_expire()
    (back,) = lam.run(lam.event("Update", stack.a, old=b, physical=physical))
    assert (back["Status"], back["Reason"]) == ("SUCCESS", "SUCCESS")
    assert stack.live() == stack.site  # index.html uploaded again from the zip
    version = stack.s3.head_object(Bucket=SITE_BUCKET, Key="index.html")["VersionId"]
    assert stack.s3.get_object(Bucket=SITE_BUCKET, Key=asset_key(stack.a["AssetHash"]))

    forward_then_expire()
    stack.s3.delete_object(Bucket=ASSETS, Key=stack.a["AssetKey"])
    records = len(history(stack.s3, SITE_BUCKET))
    (again,) = lam.run(lam.event("Update", stack.a, old=b, physical=physical))
    assert again["Status"] == "SUCCESS"
    assert again["Reason"].startswith("Warning: did not restore deploy ")
    assert f"cannot read the site asset s3://{ASSETS}/{stack.a['AssetKey']}" in again["Reason"]
    assert stack.live() == _edited(stack.site)  # left as it was
    assert len(history(stack.s3, SITE_BUCKET)) == records


def _fresh_stage(python: str, root: Path) -> Path:
    """A new venv of ``python`` with only the pinned SDK installed by pip, staging the Lambda
    code from it (the synth's step that copies the SDK)."""
    venv, out = root / "venv", root / "lambda"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                          "install", "-q", "--no-deps", "-r", str(PINS_FILE)],
                         capture_output=True, text=True, timeout=300, check=False)
    if pip.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(pip.stderr)
        pytest.skip(f"pip could not install the pins here: {pip.stderr[-300:]}")
    stage = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
             "from infra.lambda_code import stage_lambda_code; "
             "stage_lambda_code(Path(sys.argv[2]))")
    subprocess.run([str(venv / "bin" / "python"), "-I", "-c", stage, str(REPO), str(out)],
                   check=True, timeout=120)
    return out


def _python312() -> str | None:
    """The Lambda runtime's Python, if this machine has one that runs (pyenv's shim on PATH
    may not, so its versions are looked at too)."""
    found = [shutil.which("python3.12"),
             *sorted(map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")))]
    for python in filter(None, found):
        if subprocess.run([python, "-c", "pass"], capture_output=True, check=False,
                          timeout=30).returncode == 0:
            return python
    return None


def test_two_fresh_environments_stage_the_synthesized_asset_hash(cdk_synth, tmp_path) -> None:
    """Two new environments (this Python and, where installed, the Lambda's 3.12) with the
    pins installed fresh stage byte-identical code, whose CDK fingerprint is the hash of the
    publish function's asset in the synthesized template."""
    import aws_cdk

    synthesized = cdk_synth()
    expected = synthesized.lambda_asset().name.removeprefix("asset.")
    other = _python312() or sys.executable
    hashes = {aws_cdk.FileSystem.fingerprint(str(_fresh_stage(python, tmp_path / name)))
              for name, python in (("a", sys.executable), ("b", other))}
    assert hashes == {expected}
