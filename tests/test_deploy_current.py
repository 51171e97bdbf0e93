"""The cheap current-state check (``deploy.current``): key ranges that cover every key outside
``_notes/`` exactly once, the listing in those ranges against moto (with drift the record did
not expect), the trust rule, and the fast ListObjectsV2 parse giving what botocore gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.deploy.client import with_fast_listing
from site_builder.deploy.current import UNKNOWN, Listed, key_ranges, list_current, trusted_live
from site_builder.deploy.record import DeployRecord, FileEntry

KEYS = st.text(alphabet="aZ09_/.-é", min_size=1, max_size=8)
T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def _in(key: str, after: str | None, upto: str | None) -> bool:
    return (after is None or key > after) and (upto is None or key <= upto)


@settings(max_examples=300, deadline=None)
@given(st.lists(KEYS, unique=True), st.lists(KEYS), st.integers(1, 5))
def test_ranges_cover_every_site_key_once(expected, probes, page):
    expected = sorted(expected)
    ranges = key_ranges(expected, page)
    for key in set(expected) | set(probes) | {"_notes/deploys/x", "_notes0", "_notes/"}:
        holders = [r for r in ranges if _in(key, r[0], r[1])]
        # a private key is dropped by the listing, and only "_notes/" itself is in a range
        assert len(holders) == (key == "_notes/" if key.startswith("_notes/") else 1), key
    for after, upto, first in ranges:  # a bucket that holds what was expected: a page each
        assert sum(_in(k, after, upto) for k in expected if not k.startswith("_notes/")) <= page
        assert 1 <= first <= page


def _put(s3, bucket, keys):
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())


def test_listing_in_ranges_finds_drift_between_the_boundaries(s3, bucket):
    client = with_fast_listing(s3)
    expected = sorted(["404.html", *(f"n/{i:04d}" for i in range(2500))])
    _put(s3, bucket, ["_notes/deploys/a.json", "_notes/lock", *expected])
    extra = ["A.html", "n/0500x", "zz"]  # before _notes/, inside the first range, at the end
    _put(s3, bucket, extra)
    s3.delete_object(Bucket=bucket, Key="n/1500")
    calls = []
    client.meta.events.register("before-call.s3.ListObjectsV2", lambda **kw: calls.append(1))
    listed = list_current(client, bucket, expected, workers=4)
    assert set(listed) == (set(expected) | set(extra)) - {"n/1500"}
    # a page per range (one before _notes/, three after), and one more for each range that
    # holds more than expected (A.html, n/0500x); a key missing costs nothing
    assert len(calls) == 4 + 2
    assert listed["n/0001"].etag == s3.head_object(Bucket=bucket, Key="n/0001")["ETag"].strip('"')


def _record(files: dict[str, tuple[str, int]]) -> DeployRecord:
    return DeployRecord("r", T0.isoformat(), "deploy", "cli", "", None, {}, {
        k: FileEntry(size, md5, f"v-{k}", "text/html", "no-cache") for k, (md5, size) in
        files.items()})


MD5 = st.sampled_from(["a" * 32, "b" * 32, "a" * 30 + "-2"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, st.tuples(MD5, st.integers(0, 3))),
       st.dictionaries(KEYS, st.tuples(MD5, st.integers(0, 3), st.integers(-2, 2))))
def test_only_the_recorded_bytes_written_no_later_than_the_record_are_trusted(recorded, live):
    record = _record(recorded)
    listed = {k: Listed(k, md5, size, T0 + timedelta(seconds=dt)) for k, (md5, size, dt)
              in live.items()}
    out = trusted_live(listed, record, T0)
    assert set(out) == set(listed)
    for key, obj in out.items():
        ok = (key in recorded and recorded[key] == (listed[key].etag, listed[key].size)
              and "-" not in listed[key].etag and listed[key].modified <= T0)
        assert obj.version_id == (f"v-{key}" if ok else UNKNOWN)
        assert (obj.etag, obj.size) == (listed[key].etag, listed[key].size)


def test_fast_listing_gives_what_botocore_gives(s3, bucket):
    import boto3

    fast = with_fast_listing(boto3.client("s3", region_name="us-east-1"))
    _put(s3, bucket, ["a&b <c>.html", "sec/c++/index.html", "é/ü.html", "sp ace/%41.html",
                      "tab\there", "q'\"x", *(f"n/{i}" for i in range(1200))])
    for kwargs in ({}, {"StartAfter": "n/5"}, {"MaxKeys": 3}, {"Prefix": "nothing/"}):
        slow, quick = (c.list_objects_v2(Bucket=bucket, **kwargs) for c in (s3, fast))
        for page in (slow, quick):
            page.pop("ResponseMetadata")
        assert quick == slow, kwargs
