"""The stored record format 3 (``recordcodec``): round trips of random tables, full and as
deltas; MD5 prefixes completed from a version listing (``hydrate``); records in the earlier
formats (gzip'd JSON, plain JSON, gzip'd deltas) still read, alone and as the base of a new
delta; malformed format-3 objects named in one line."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import os
from dataclasses import asdict, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_deploy_publish import SITE_V1, site_v2, write_site

from site_builder.deploy import history, publish, recordstore, rollback, verify
from site_builder.deploy.local import LocalFile
from site_builder.deploy.plan import make_restore_plan, refill_expired
from site_builder.deploy.record import (
    RECORD_PREFIX,
    DeployRecord,
    FileEntry,
    Invalidation,
    RecordError,
    hydrate,
    md5_match,
    parse_record,
)
from site_builder.deploy.recordcodec import MD5_PREFIX
from site_builder.deploy.recordstore import load_record
from site_builder.deploy.remote import RemoteObject, list_versions

EXAMPLES = 400 if os.environ.get("NOTES_DEEP_TESTS") else 40
TYPES = [("text/html; charset=utf-8", "no-cache", "notes"),
         ("text/css", "public, max-age=31536000, immutable", "assets"),
         ("application/xml", "no-cache", "lists")]

md5s = st.binary(min_size=16, max_size=16).map(bytes.hex)
entries = st.builds(lambda size, md5, version, kind: FileEntry(size, md5, version, *kind),
                    st.integers(0, 2**40), md5s,
                    st.text(min_size=1, max_size=40) | st.just("null"),
                    st.sampled_from(TYPES))
tables = st.dictionaries(st.text(min_size=1, max_size=30), entries, max_size=40)


def make(files: dict[str, FileEntry], rid: str = "20261130-120000-000000-abcd",
         parent: str | None = None, **extra) -> DeployRecord:
    return DeployRecord(rid, "2026-11-30T12:00:00+00:00", "deploy", "cli", "msg ✓", parent,
                        {"files": len(files)}, files, **extra)


def prefixes(record: DeployRecord) -> dict[str, str]:
    return {k: e.md5 for k, e in record.files.items()}


@settings(max_examples=EXAMPLES, deadline=None)
@given(tables, st.booleans())
def test_full_table_round_trip(files, extras):
    extra = {"target": "20261129-000000-000000-beef", "asset_hash": "a" * 64,
             "broke_lock": {"owner": "ana"},
             "invalidation": Invalidation("E1", "I2", ("/*",))} if extras else {}
    record = make(files, **extra)
    stored = record.to_stored()
    assert stored[:3] == b"BZh" and record.to_stored() == stored  # deterministic
    back = parse_record(record.key, stored)
    assert back == record and back.summary() == record.summary()
    assert back.chain == 0
    assert prefixes(back) == {k: e.md5[:MD5_PREFIX] for k, e in files.items()}
    assert json.loads(bz2.decompress(stored))["format"] == 3


edits = st.tuples(st.sets(st.integers(0, 39)), st.sets(st.integers(0, 39)), tables)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tables, edits, st.booleans())
def test_delta_round_trip(files, edit, base_read_back):
    """Whatever changes (edited, removed, added keys), the next record reads back equal,
    whether its base is the record as written (full MD5s) or as read back (prefixes)."""
    changed_at, removed_at, added = edit
    base = make(files)
    keys = sorted(files)
    nxt_files = {k: e for i, (k, e) in enumerate(files.items()) if i not in removed_at}
    for i in changed_at:
        if i < len(keys) and keys[i] in nxt_files:
            e = nxt_files[keys[i]]
            nxt_files[keys[i]] = replace(e, md5=hashlib.md5(e.md5.encode()).hexdigest())
    nxt_files.update(added)
    nxt = make(nxt_files, "20261130-120001-000000-abcd", parent=base.id)
    stored_base = base.to_stored()
    if base_read_back:
        base = parse_record(base.key, stored_base)
    stored = nxt.to_stored(base=base)
    data = json.loads(bz2.decompress(stored))
    old = {k: e.md5[:MD5_PREFIX] for k, e in base.files.items()}
    differ = sum(1 for k, e in nxt_files.items() if old.get(k) != e.md5[:MD5_PREFIX]
                 or base.files[k].version_id != e.version_id or base.files[k].size != e.size)
    differ += len(set(base.files) - set(nxt_files))
    assert ("base" in data) == (differ <= len(nxt_files) // 2)
    back = parse_record(nxt.key, stored, lambda rid: parse_record(base.key, stored_base))
    assert back == nxt
    assert prefixes(back) == {k: e.md5[:MD5_PREFIX] for k, e in nxt_files.items()}


def test_md5_match():
    full = "0123456789abcdef0123456789abcdef"
    assert md5_match(full, full) and md5_match(full, full[:MD5_PREFIX])
    assert md5_match(full[:MD5_PREFIX], full) and md5_match(full[:14], full[:MD5_PREFIX])
    assert not md5_match(full, full[:MD5_PREFIX - 1])  # too short to stand for an MD5
    assert not md5_match(full, "f" + full[1:]) and not md5_match(full, "f" + full[1:12])
    assert not md5_match(None, full) and not md5_match("", "")
    assert md5_match("m-a", "m-a") and not md5_match("m-a", "m-b")


def test_hydrate_takes_only_etags_that_continue_the_prefix():
    a, b, c = (hashlib.md5(x).hexdigest() for x in (b"a", b"b", b"c"))
    files = {"a": FileEntry(1, a[:MD5_PREFIX], "va", *TYPES[0]),
             "b": FileEntry(1, b[:MD5_PREFIX], "vb", *TYPES[0]),
             "c": FileEntry(1, c[:MD5_PREFIX], "vc", *TYPES[0]),
             "d": FileEntry(1, a[:MD5_PREFIX], "vd", *TYPES[0]),
             "e": FileEntry(1, b, "ve", *TYPES[0])}
    etags = {("a", "va"): a,  # the version's ETag: its MD5
             ("b", "vb"): c,  # not this content's (SSE-KMS): not taken
             ("c", "vc"): c[:MD5_PREFIX] + "-2",  # multipart: not an MD5
             ("d", "other"): a,  # another version of d
             ("e", "ve"): a}  # already full: kept
    out = hydrate(make(files), etags)
    assert prefixes(out) == {"a": a, "b": b[:MD5_PREFIX], "c": c[:MD5_PREFIX],
                             "d": a[:MD5_PREFIX], "e": b}


def _v2_bytes(record: DeployRecord, base: DeployRecord | None = None) -> bytes:
    """A record as the engine stored it before format 3 (gzip'd compact JSON, full MD5s,
    deltas as ``changed`` objects)."""
    data = asdict(record)
    if base is not None:
        del data["files"]
        data.update(base=base.id, chain=base.chain + 1, removed=sorted(
            set(base.files) - set(record.files)), changed={
            k: asdict(e) for k, e in record.files.items() if base.files.get(k) != e})
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return gzip.compress(raw, compresslevel=9, mtime=0)


def test_earlier_formats_still_read_and_serve_as_bases():
    md5 = [hashlib.md5(str(n).encode()).hexdigest() for n in range(4)]
    first = make({f"k{n}": FileEntry(n, md5[n], f"v{n}", *TYPES[n % 3]) for n in range(4)})
    second = make({**first.files, "k0": FileEntry(9, md5[3], "v9", *TYPES[0])},
                  "20261130-120001-000000-abcd", parent=first.id)
    for body in (first.to_json(), _v2_bytes(first)):
        back = parse_record(first.key, body)
        assert back == first and prefixes(back) == md5s_of(first)  # full MD5s kept
    old_delta = parse_record(second.key, _v2_bytes(second, first), lambda _: first)
    assert old_delta == second and prefixes(old_delta) == md5s_of(second)
    third = make({**second.files, "k1": FileEntry(5, md5[0], "v10", *TYPES[1])},
                 "20261130-120002-000000-abcd", parent=second.id)
    new_delta = third.to_stored(base=old_delta)  # a format-3 delta on a gzip'd base
    assert "base" in json.loads(bz2.decompress(new_delta))
    assert parse_record(third.key, new_delta, lambda _: old_delta) == third


def md5s_of(record: DeployRecord) -> dict[str, str]:
    return {k: e.md5 for k, e in record.files.items()}


def _format3(**change) -> bytes:
    record = make({"a/index.html": FileEntry(1, "0" * 32, "v", *TYPES[0]),
                   "b/index.html": FileEntry(2, "1" * 32, "w", *TYPES[0])})
    data = json.loads(bz2.decompress(record.to_stored()))
    for path, value in change.items():
        where = data["table"] if path != "format" else data
        where[path] = value
    return bz2.compress(json.dumps(data).encode())


@pytest.mark.parametrize(("body", "why"), [
    (b"BZh91AY&SYnope", "corrupt bz2 data"),
    (b"BZh9" + bytes(20), "corrupt bz2 data"),
    (_format3(format=4), "unknown record format 4 (written by a newer notes? upgrade it)"),
    (_format3(size=[1]), "table columns differ in length"),
    (_format3(version="v"), "table.version is not a list"),
    (_format3(type=[0, 7]), "table: bad type index for 'b/index.html'"),
    (_format3(shared=[0, 99]), "table: bad key after 'a/index.html'"),
    (_format3(size=[1, "big"]), "files['b/index.html'].size is not a number"),
    (_format3(types=[["text/html", "no-cache"]]),
     "table.types is not a list of [content type, cache control, group]"),
])
def test_malformed_format3_is_one_line_error(body, why):
    key = f"{RECORD_PREFIX}20261130-120000-000000-abcd.json.bz2"
    with pytest.raises(RecordError) as err:
        parse_record(key, body)
    assert err.value.what == f"invalid deploy record {key}: {why}"


def test_refill_accepts_a_stored_prefix_and_uploads_with_the_full_md5():
    """CloudFormation's restore of an expired version: the record (read back) has only the
    MD5 prefix; the asset's file must continue it and have the recorded size."""
    full = hashlib.md5(b"page").hexdigest()
    entries = {k: FileEntry(4, full[:MD5_PREFIX], f"v-{k}", *TYPES[0]) for k in "abc"}
    plan = make_restore_plan(make(entries), {})
    local = {"a": LocalFile("a", 4, full, *TYPES[0]),
             "b": LocalFile("b", 5, full, *TYPES[0]),  # other size
             "c": LocalFile("c", 4, hashlib.md5(b"other").hexdigest(), *TYPES[0])}
    out = {u.key: u for u in refill_expired(plan, set(), local).uploads}
    assert (out["a"].copy_version, out["a"].md5) == (None, full)  # a valid Content-MD5
    assert out["b"].copy_version == "v-b" and out["c"].copy_version == "v-c"


def test_restore_sees_same_bytes_through_a_prefix():
    """A target version gone from the bucket (prefix only) whose bytes and headers the live
    version has already: nothing to copy."""
    full = hashlib.md5(b"page").hexdigest()
    target = make({"a": FileEntry(4, full[:MD5_PREFIX], "gone", *TYPES[0])})
    live = {"a": RemoteObject("a", full, 4, "now")}
    known = {("a", "now"): FileEntry(4, full, "now", *TYPES[0])}
    assert make_restore_plan(target, live, known).unchanged == ("a",)
    other = {"a": RemoteObject("a", hashlib.md5(b"x").hexdigest(), 4, "now")}
    assert [u.key for u in make_restore_plan(target, other, known).uploads] == ["a"]


def _as_v2(s3, bucket, record: DeployRecord, base: DeployRecord | None = None) -> None:
    """Replace a record in the bucket by the same record in the format before 3."""
    s3.delete_object(Bucket=bucket, Key=record.key)
    s3.put_object(Bucket=bucket, Key=f"{RECORD_PREFIX}{record.id}.json.gz",
                  Body=_v2_bytes(record, base))


def test_a_bucket_with_old_records_keeps_working(s3, bucket, tmp_path):
    """History written by the previous version (gzip'd full table and delta) stays readable:
    history, verify, rollback, and a new deploy's delta against an old record."""
    site = tmp_path / "s"
    first = publish(s3, bucket, write_site(site, SITE_V1)).record
    second = publish(s3, bucket, write_site(site, site_v2())).record
    _as_v2(s3, bucket, first)
    _as_v2(s3, bucket, second, first)
    recordstore._CACHE.clear()
    assert [r.id for r in history(s3, bucket)] == [second.id, first.id]
    assert load_record(s3, bucket, second.id) == second
    assert prefixes(load_record(s3, bucket, first.id)) == md5s_of(first)  # full, as stored
    assert verify(s3, bucket).clean
    third = publish(s3, bucket, write_site(site, {**site_v2(), "robots.txt": "x"})).record
    body = s3.get_object(Bucket=bucket, Key=third.key)["Body"].read()
    assert third.key.endswith(".json.bz2") and json.loads(bz2.decompress(body))["base"] == \
        second.id
    recordstore._CACHE.clear()
    assert load_record(s3, bucket, third.id) == third
    target = rollback(s3, bucket, to=first.id)[1]
    assert target == first and verify(s3, bucket).clean


def test_md5s_come_back_from_the_version_listing(s3, bucket, tmp_path):
    site = tmp_path / "s"
    first = publish(s3, bucket, write_site(site, SITE_V1)).record
    recordstore._CACHE.clear()
    stored = load_record(s3, bucket, first.id)
    assert prefixes(stored) == {k: e.md5[:MD5_PREFIX] for k, e in first.files.items()}
    full = hydrate(stored, list_versions(s3, bucket)[1])
    assert prefixes(full) == md5s_of(first)
    gone = "docker/layers/index.html"
    publish(s3, bucket, write_site(site, site_v2()))  # a new version of it goes live
    s3.delete_object(Bucket=bucket, Key=gone, VersionId=first.files[gone].version_id)
    partial = hydrate(stored, list_versions(s3, bucket)[1])
    assert partial.files[gone].md5 == first.files[gone].md5[:MD5_PREFIX]
    assert {k: e.md5 for k, e in partial.files.items() if k != gone} == {
        k: e.md5 for k, e in first.files.items() if k != gone}
