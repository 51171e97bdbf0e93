"""Truthful state (issue 12, items 4, 5, 7): header drift found and repaired, rollbacks checked
before their first write, history marking records that can no longer be restored, the default
rollback target after a failed deploy, and ``--to ""``.  Against moto, through the engine and
the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from test_deploy_publish import (
    SITE_V1,
    Calls,
    dated_earlier,
    expected,
    site_v2,
    snapshot,
    write_site,
)

from site_builder.cli import main
from site_builder.core.errors import DeployError
from site_builder.deploy import history, publish, rollback, verify
from site_builder.deploy.errors import translate
from site_builder.deploy.history import restorable
from site_builder.deploy.remote import list_live
from site_builder.deploy.rollback import check_versions

HTML = "text/html; charset=utf-8"


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_header_drift_is_reported_repaired_and_never_recorded(s3, bucket, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    with dated_earlier():  # the hand edits below come in a later second (deploy.current)
        publish(s3, bucket, site)
    body = expected(SITE_V1)["index.html"]
    s3.put_object(Bucket=bucket, Key="index.html", Body=body)  # by hand: binary/octet-stream
    s3.put_object(Bucket=bucket, Key="robots.txt", Body=expected(SITE_V1)["robots.txt"],
                  ContentType="text/plain; charset=utf-8", CacheControl="no-cache",
                  ContentEncoding="gzip")
    live = list_live(s3, bucket)
    changed = verify(s3, bucket).changed
    assert [(k, why.split(": live")[0], why.split("; headers differ: ")[1])
            for k, why in changed] == [
        ("index.html", "same bytes, new version",
         (f"Content-Type binary/octet-stream (should be {HTML}), "
         "Cache-Control (none) (should be no-cache)")),
        ("robots.txt", "same bytes, new version", "Content-Encoding gzip (should be (none))")]

    calls = Calls(s3)
    result = publish(s3, bucket, site)
    # only the two versions no record knows were HEADed, and both were uploaded again
    assert sorted(k for name, k in calls.ops if name == "HeadObject") == ["index.html",
                                                                          "robots.txt"]
    assert sorted((u.key, u.reason.split(":")[0]) for u in result.plan.uploads) == [
        ("index.html", "headers differ"), ("robots.txt", "headers differ")]
    head = s3.head_object(Bucket=bucket, Key="index.html")
    assert (head["ContentType"], head["CacheControl"]) == (HTML, "no-cache")
    assert "ContentEncoding" not in s3.head_object(Bucket=bucket, Key="robots.txt")
    record = result.record
    assert record.files["index.html"].version_id != live["index.html"].version_id
    assert verify(s3, bucket).clean
    assert snapshot(s3, bucket)["index.html"] == (body, HTML, "no-cache")

    calls = Calls(s3)
    assert publish(s3, bucket, site).record is None  # clean: nothing HEADed, nothing written
    assert calls.count("HeadObject") == 0 and calls.count("PutObject") == 0


def test_same_bytes_and_headers_by_hand_are_adopted_after_a_head(s3, bucket, tmp_path):
    site = write_site(tmp_path / "s", SITE_V1)
    with dated_earlier():
        publish(s3, bucket, site)
    s3.put_object(Bucket=bucket, Key="feed.xml", Body=expected(SITE_V1)["feed.xml"],
                  ContentType="application/atom+xml; charset=utf-8", CacheControl="no-cache")
    calls = Calls(s3)
    result = publish(s3, bucket, site)
    assert calls.keys("HeadObject") == {"feed.xml"} and calls.count("PutObject") == 0
    assert result.record.files["feed.xml"].version_id == list_live(s3, bucket)[
        "feed.xml"].version_id
    assert verify(s3, bucket).clean


def _two_deploys(s3, bucket, tmp_path):
    site = tmp_path / "s"
    r1 = publish(s3, bucket, write_site(site, SITE_V1), message="v1").record
    r2 = publish(s3, bucket, write_site(site, site_v2()), message="v2").record
    return site, r1, r2


def test_rollback_to_gone_versions_is_refused_before_any_write(s3, bucket, tmp_path, capsys):
    _, r1, r2 = _two_deploys(s3, bucket, tmp_path)
    before = snapshot(s3, bucket)
    for key in ("docker/networking/index.html", "index.html", "feed.xml",
                "docker/layers/index.html"):  # four versions only r1 has
        s3.delete_object(Bucket=bucket, Key=key, VersionId=r1.files[key].version_id)
    message = (f"cannot restore {r1.id}: 4 of the object versions it needs are gone "
               "(docker/layers/index.html, docker/networking/index.html, feed.xml and 1 more): "
               "deleted from the bucket, or the record names a version id that never existed "
               "(nothing was changed; pick a record `notes history` shows as restorable)")
    for dry_run in (True, False):
        calls = Calls(s3)
        with pytest.raises(DeployError) as err:
            rollback(s3, bucket, to=r1.id, dry_run=dry_run)
        assert str(err.value) == message
        assert calls.count("CopyObject") == calls.count("DeleteObjects") == 0
    assert snapshot(s3, bucket) == before

    code, out, err = run(capsys, "rollback", "--bucket", bucket, "--to", r1.id[:-2], "--dry-run")
    assert (code, out, err) == (1, [], f"Error: {message}\n")

    assert restorable(s3, bucket, history(s3, bucket)) == {r2.id: True, r1.id: False}
    code, out, _ = run(capsys, "history", "--bucket", bucket)
    assert code == 0 and "(not restorable) v1" in out[2] and "not restorable" not in out[1]
    assert out[-1].startswith("(not restorable): some object versions the record lists are gone")
    code, out, _ = run(capsys, "history", "--bucket", bucket, "--json")
    assert [(d["id"], d["restorable"]) for d in json.loads("\n".join(out))] == [
        (r2.id, True), (r1.id, False)]


def test_expired_and_wrong_versions_are_told_apart(s3, bucket, tmp_path):
    _, r1, _ = _two_deploys(s3, bucket, tmp_path)
    s3.delete_object(Bucket=bucket, Key="index.html", VersionId=r1.files["index.html"].version_id)
    from site_builder.deploy.plan import make_restore_plan

    plan = make_restore_plan(r1, list_live(s3, bucket))
    existing = {(k, o.version_id) for k, o in list_live(s3, bucket).items()}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
        "ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    created = datetime.fromisoformat(r1.created)
    with pytest.raises(DeployError, match=r"expired under the lifecycle rule: non-current "
                       r"versions are kept 30 days and the record is 40 days old"):
        check_versions(s3, bucket, r1, plan, existing, created + timedelta(days=40))
    with pytest.raises(DeployError, match=r"never existed; the lifecycle rule keeps non-current "
                       r"versions 30 days and the record is 2 days old"):
        check_versions(s3, bucket, r1, plan, existing, created + timedelta(days=2))
    assert datetime.now(UTC) - created < timedelta(minutes=5)


def test_no_such_version_hint_covers_both_causes():
    from botocore.exceptions import ClientError

    exc = ClientError({"Error": {"Code": "NoSuchVersion", "Message": "x"}}, "CopyObject")
    assert str(translate(exc, "b")).endswith(
        "(it expired under the lifecycle rule or the version id is wrong; pick a record "
        "`notes history` shows as restorable)")


def test_default_rollback_after_a_failed_deploy_restores_the_last_live_record(
        s3, bucket, tmp_path, capsys):
    site, r1, r2 = _two_deploys(s3, bucket, tmp_path)
    v2 = snapshot(s3, bucket)
    broken = dict(site_v2(), **{f"n/{i}/index.html": "<p>new</p>" for i in range(6)},
                  **{"index.html": "<p>home v3</p>"})
    Calls(s3, fail_after=3)
    with pytest.raises(DeployError):
        publish(s3, bucket, write_site(site, broken), workers=1)
    assert snapshot(s3, bucket) != v2  # half applied

    code, out, _ = run(capsys, "rollback", "--bucket", bucket, "--dry-run")
    assert code == 0 and out[:2] == [
        f"Rolling back to {r2.id} (deploy of {r2.created[:19].replace('T', ' ')}: v2)",
        (f"Default target: the bucket does not match the latest record {r2.id} (a deploy failed "
        "or objects were changed by hand); it is the last record that was fully live.")]
    _result, target = rollback(s3, bucket)
    assert target.id == r2.id and snapshot(s3, bucket) == v2 and verify(s3, bucket).clean
    # now live matches the latest record again: the default steps back as before
    assert rollback(s3, bucket, dry_run=True)[1].id == r1.id


def test_empty_to_is_an_error(s3, bucket, tmp_path, capsys):
    _two_deploys(s3, bucket, tmp_path)
    code, out, err = run(capsys, "rollback", "--bucket", bucket, "--to", "")
    assert (code, out) == (1, [])
    assert err == ("Error: --to is empty (give a record id or a unique prefix of one (see "
                   "`notes history`), or leave --to out for the default target)\n")


def test_headers_a_record_has_wrong_are_found_by_verify_and_fixed_by_check_headers(
        s3, bucket, tmp_path, capsys):
    """A record written before deploys HEADed (issue 12, item 4) may list a hand-uploaded
    version with headers nobody saw; verify's HEADs find it, --check-headers repairs it."""
    import dataclasses

    from site_builder.deploy.record import new_id
    from site_builder.deploy.recordstore import latest_record, write_record

    site = write_site(tmp_path / "s", SITE_V1)
    old = publish(s3, bucket, site).record
    s3.put_object(Bucket=bucket, Key="index.html", Body=expected(SITE_V1)["index.html"])
    hand = list_live(s3, bucket)["index.html"].version_id
    files = dict(old.files, **{"index.html": dataclasses.replace(old.files["index.html"],
                                                                 version_id=hand)})
    lying = dataclasses.replace(old, id=new_id(datetime.now(UTC), old.id)[0], files=files,
                                parent=old.id)
    write_record(s3, bucket, lying)  # what the old engine wrote: text/html, never seen

    report = verify(s3, bucket)
    assert report.misrecorded == ("index.html",)
    assert report.changed == (("index.html", ("headers differ: Content-Type binary/octet-stream "
                               f"(should be {HTML}), Cache-Control (none) (should be no-cache)")),)
    code, out, _ = run(capsys, "verify", "--bucket", bucket)
    assert (code, out[-1]) == (1, (f"Drift: 1 difference from deploy {lying.id}; "
                                  "`notes deploy --check-headers` repairs them."))

    assert publish(s3, bucket, site).record is None  # trusts the record: nothing to do
    calls = Calls(s3)
    result = publish(s3, bucket, site, check_headers=True)
    assert calls.count("HeadObject") == len(SITE_V1)
    assert [(u.key, u.reason.split(":")[0]) for u in result.plan.uploads] == [
        ("index.html", "headers differ")]
    assert latest_record(s3, bucket).id == result.record.id and verify(s3, bucket).clean
