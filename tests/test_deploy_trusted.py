"""Deploys planned from a trusted record (``current.read_state(trust=True)``): no listing,
conditional uploads, and every way the trust must end.

Within ``TRUST_SECONDS`` of a listing that showed the bucket as the latest record says, the
machine that saw it plans from the record alone.  These tests change the bucket behind its
back the ways users and failures do (a hand edit of a page the deploy touches, a hand upload
at a key the deploy adds, a hand delete, a deploy that failed half-way, a lost response) and
check that the deploy ends with the bucket exactly as asked and ``verify`` clean, and count
the listings to show which path ran.
"""

from __future__ import annotations

import logging
import time

import pytest
from test_deploy_publish import SITE_V1, Calls, expected, page, site_v2, snapshot, write_site

from site_builder.core.errors import DeployError
from site_builder.deploy import publish, verify
from site_builder.deploy.current import TRUST_SECONDS
from site_builder.deploy.lock_body import read_lock
from site_builder.deploy.plan import NEW
from site_builder.deploy.recordcache import FileRecordCache


@pytest.fixture
def trusted(s3, bucket, tmp_path):
    """SITE_V1 deployed; the returned cache (this machine's) trusts its record."""
    site = write_site(tmp_path / "site", SITE_V1)
    cache = FileRecordCache(tmp_path / "here", "moto", bucket)
    publish(s3, bucket, site, record_cache=cache)  # a first deploy lists every version
    assert cache.checked() is not None
    return site, cache


def live_bytes(s3, bucket) -> dict[str, bytes]:
    return {k: v[0] for k, v in snapshot(s3, bucket).items()}


def test_an_edit_uploads_conditionally_and_lists_nothing(s3, bucket, trusted):
    site, cache = trusted
    calls = Calls(s3)
    result = publish(s3, bucket, write_site(site, site_v2()), record_cache=cache)
    expects = {u.key: u.expect for u in result.plan.uploads}
    assert expects["git/rebase/index.html"] == NEW  # a new key: If-None-Match
    assert len(expects["index.html"]) == 32  # the recorded ETag: If-Match
    assert calls.count("ListObjectsV2", site_only=False) == 1  # the records, not the site
    assert live_bytes(s3, bucket) == expected(site_v2()) and verify(s3, bucket).clean


@pytest.mark.parametrize("by_hand", ["edit", "delete", "add"])
def test_drift_on_a_key_the_deploy_writes_fails_its_condition_then_is_repaired(
        s3, bucket, trusted, by_hand, caplog):
    site, cache = trusted
    key = {"edit": "index.html", "delete": "index.html", "add": "git/rebase/index.html"}[by_hand]
    if by_hand == "delete":
        s3.delete_object(Bucket=bucket, Key=key)
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=b"by hand", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="stray.html", Body=b"x")  # untouched: found by the listing
    calls = Calls(s3)
    with caplog.at_level(logging.WARNING, logger="site_builder.deploy"):
        result = publish(s3, bucket, write_site(site, site_v2()), record_cache=cache)
    assert f"{key} changed outside notes since deploy" in caplog.text
    assert calls.count("ListObjectsV2", site_only=False) > 2  # it listed the site
    assert "stray.html" in result.plan.deletes
    assert all(u.expect is None for u in result.plan.uploads)  # the listed plan
    assert live_bytes(s3, bucket) == expected(site_v2()) and verify(s3, bucket).clean
    assert cache.checked() is not None  # trusted again


def test_a_hand_edit_elsewhere_waits_for_the_next_listing(s3, bucket, trusted):
    site, cache = trusted
    s3.put_object(Bucket=bucket, Key="stray.html", Body=b"x")
    assert publish(s3, bucket, site, record_cache=cache).plan.is_noop  # trusted: not seen
    assert not verify(s3, bucket).clean
    assert publish(s3, bucket, site, record_cache=cache,
                   check_drift=True).plan.deletes == ("stray.html",)
    s3.put_object(Bucket=bucket, Key="stray.html", Body=b"x")
    cache.mark_checked(time.time() - TRUST_SECONDS - 1, cache.peek())  # an hour old
    assert publish(s3, bucket, site, record_cache=cache).plan.deletes == ("stray.html",)
    assert verify(s3, bucket).clean


@pytest.mark.parametrize("machine", ["same", "other"])
def test_a_deploy_that_failed_half_way_is_not_trusted_by_the_next(
        s3, bucket, tmp_path, trusted, machine):
    """Reverting to the old site after a failed deploy: planned against the record alone,
    the failed deploy's uploads would stay live (their local bytes equal the record's)."""
    site, here = trusted
    there = FileRecordCache(tmp_path / "there", "moto", bucket)
    publish(s3, bucket, site, record_cache=there, check_drift=True)
    calls = Calls(s3, fail_after=3)
    with pytest.raises(DeployError, match="InternalError injected"):
        publish(s3, bucket, write_site(tmp_path / "v2", site_v2()), record_cache=here,
                workers=1)
    assert here.checked() is None  # the local copy is dropped before the first write
    assert read_lock(s3, bucket).body.broke["reason"] == "did not finish"
    calls.fail_after = None
    record = publish(s3, bucket, site, record_cache=here if machine == "same" else there).record
    assert record is not None and record.broke_lock["reason"] == "did not finish"
    assert live_bytes(s3, bucket) == expected(SITE_V1) and verify(s3, bucket).clean


def test_a_lost_response_to_a_conditional_put_is_a_failed_condition(s3, bucket, trusted):
    """S3 applied the PUT, the response was lost and botocore sent it again: the retry's
    If-Match no longer holds (412).  The deploy lists, finds its own bytes, and records."""
    site, cache = trusted
    edited = dict(SITE_V1, **{"index.html": page("list", "home, edited")})
    sent: list[str] = []

    def lose_first(params, model, **_):
        if model.name == "PutObject" and params["Key"] == "index.html" and not sent:
            sent.append("x")
            s3.put_object(Bucket=bucket, Key="index.html", Body=params["Body"],
                          ContentType=params["ContentType"],
                          CacheControl=params["CacheControl"])

    s3.meta.events.register("before-parameter-build.s3.PutObject", lose_first)
    try:
        result = publish(s3, bucket, write_site(site, edited), record_cache=cache)
    finally:
        s3.meta.events.unregister("before-parameter-build.s3.PutObject", lose_first)
    assert sent and result.record is not None
    assert live_bytes(s3, bucket) == expected(edited) and verify(s3, bucket).clean
