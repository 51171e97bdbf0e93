"""Deploy records: compressed storage (old plain records still read), validation of anything
found under ``_notes/deploys/``, deltas, and error hints by phase (writes and which keys are
records at all: ``test_deploy_recordstore.py``)."""

from __future__ import annotations

import bz2
import json
import logging

import pytest
from botocore.exceptions import ClientError
from test_deploy_publish import SITE_V1, site_v2, write_site

from site_builder.core.errors import DeployError
from site_builder.deploy import history, publish, rollback, verify
from site_builder.deploy.record import RECORD_PREFIX, DeployRecord, RecordError, parse_record
from site_builder.deploy.recordcodec import decode_table
from site_builder.deploy.recordstore import latest_record, load_record


def test_records_are_compressed_and_old_plain_records_still_read(s3, bucket, tmp_path):
    site = tmp_path / "s"
    first = publish(s3, bucket, write_site(site, SITE_V1)).record
    stored = s3.get_object(Bucket=bucket, Key=f"{RECORD_PREFIX}{first.id}.json.bz2")
    raw = stored["Body"].read()
    assert stored["ContentType"] == "application/x-bzip2"
    assert parse_record(first.key, raw).files.keys() == SITE_V1.keys()
    assert len(raw) < len(first.to_json()) / 2
    # a record written before compression: plain JSON at <id>.json
    plain = json.loads(first.to_json())
    s3.delete_object(Bucket=bucket, Key=f"{RECORD_PREFIX}{first.id}.json.bz2")
    s3.put_object(Bucket=bucket, Key=f"{RECORD_PREFIX}{first.id}.json",
                  Body=json.dumps(plain, indent=1).encode())
    assert load_record(s3, bucket, first.id) == first
    second = publish(s3, bucket, write_site(site, site_v2())).record
    assert second.parent == first.id
    assert [r.id for r in history(s3, bucket)] == [second.id, first.id]
    _, target = rollback(s3, bucket)
    assert target == first


BAD_RECORDS = {
    "truncated": (b'{"id": "x", "files": {', "not valid JSON"),
    "missing key": (None, "missing 'kind'"),
    "wrong type": (None, "files['index.html'].size is not a number"),
    "not an object": (b"[1, 2]", "not a JSON object"),
    "not gzip": (b"\x1f\x8bnope", "corrupt gzip data"),
    "not bz2": (b"BZh9nope", "corrupt bz2 data"),
}


def _bad_body(good: DeployRecord, case: str) -> bytes:
    body, _ = BAD_RECORDS[case]
    if body is not None:
        return body
    data = json.loads(good.to_json())
    if case == "missing key":
        del data["kind"]
    else:
        data["files"]["index.html"]["size"] = "big"
    return json.dumps(data).encode()


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_a_bad_record_is_skipped_by_history_and_named_by_verify_and_rollback(
        s3, bucket, tmp_path, caplog, case):
    site = tmp_path / "s"
    good = publish(s3, bucket, write_site(site, SITE_V1)).record
    bad_id = good.id[:-4] + "ffff"
    key = f"{RECORD_PREFIX}{bad_id}.json"
    data = _bad_body(good, case)
    if case not in ("not gzip", "not bz2"):
        data = data.replace(good.id.encode(), bad_id.encode())
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    why = BAD_RECORDS[case][1]
    with caplog.at_level(logging.WARNING, "site_builder.deploy"):
        assert [r.id for r in history(s3, bucket)] == [good.id]
    assert caplog.messages == [f"skipping invalid deploy record {key}: {why}"]
    message = (f"invalid deploy record {key}: {why} (move it out of _notes/deploys/ or restore "
               "an earlier version of it)")
    with pytest.raises(RecordError) as err:
        verify(s3, bucket)
    assert str(err.value) == message
    with pytest.raises(DeployError) as err:
        rollback(s3, bucket, to=good.id)
    assert str(err.value) == message
    # deploy only needs a good parent: it skips the bad record (with the warning)
    assert latest_record(s3, bucket, skip_invalid=True) == good
    assert publish(s3, bucket, write_site(site, site_v2())).record.parent == good.id


def test_id_that_does_not_match_its_key_is_invalid(s3, bucket, tmp_path):
    good = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    copy = f"{RECORD_PREFIX}{good.id[:-4]}ffff.json"
    s3.put_object(Bucket=bucket, Key=copy, Body=good.to_json())
    with pytest.raises(RecordError, match="does not match its key"):
        verify(s3, bucket)


class FailOn:
    """Raise a 500 from the first call of ``op`` (optionally only for keys with a prefix)."""

    def __init__(self, client, op: str, prefix: str = ""):
        self.client, self.op, self.prefix = client, op, prefix
        client.meta.events.register("before-parameter-build.s3", self._hook)

    def _hook(self, params, model, **_):
        if model.name == self.op and str(params.get("Key", "")).startswith(self.prefix):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}},
                              model.name)


@pytest.mark.parametrize(("op", "prefix", "hint"), [
    ("PutObject", "docker/", ("nothing was deleted and no record was written; run the command "
     "again (it only redoes what is missing)")),
    ("DeleteObjects", "", ("every upload is done and some deletions may be done, but no record "
     "was written; run the command again (it only redoes what is missing)")),
    ("PutObject", RECORD_PREFIX, ("the site is live but its deploy record may not have been "
     "written; run the command again to write it")),
])
def test_error_hint_says_what_the_failed_phase_left(s3, bucket, tmp_path, op, prefix, hint):
    site = tmp_path / "s"
    publish(s3, bucket, write_site(site, SITE_V1))
    FailOn(s3, op, prefix)
    with pytest.raises(DeployError) as err:
        publish(s3, bucket, write_site(site, site_v2()))
    assert str(err.value) == (f"S3 {op} failed on bucket 'notes-test-site': InternalError "
                              f"injected ({hint})")


def _stored(s3, bucket, record_id: str) -> dict:
    body = s3.get_object(Bucket=bucket, Key=f"{RECORD_PREFIX}{record_id}.json.bz2")["Body"]
    return json.loads(bz2.decompress(body.read()))


def test_small_changes_are_stored_as_deltas_up_to_a_chain_limit(s3, bucket, tmp_path,
                                                                monkeypatch):
    from site_builder.deploy import record as record_module
    from site_builder.deploy import recordstore

    monkeypatch.setattr(record_module, "MAX_CHAIN", 2)
    site = tmp_path / "s"
    records = [publish(s3, bucket, write_site(site, SITE_V1)).record]
    for n in range(4):
        files = dict(SITE_V1 if n % 2 else site_v2())
        files["robots.txt"] = f"User-agent: *\n# {n}\n"
        records.append(publish(s3, bucket, write_site(site, files)).record)
    shapes = []
    for r in records:
        data = _stored(s3, bucket, r.id)
        shapes.append((data.get("base"), data.get("chain", 0), "base" not in data))
    assert shapes == [(None, 0, True), (records[0].id, 1, False), (records[1].id, 2, False),
                      (None, 0, True), (records[3].id, 1, False)]
    delta = _stored(s3, bucket, records[1].id)
    assert delta["removed"] == ["docker/networking/index.html"]
    assert set(decode_table(delta["table"])) == {
        "docker/layers/index.html", "git/rebase/index.html", "index.html", "feed.xml",
        "robots.txt"}
    recordstore._CACHE.clear()  # read back from the bucket, not from memory
    assert [r.files for r in history(s3, bucket)] == [r.files for r in records[::-1]]
    assert rollback(s3, bucket, to=records[2].id)[1].files == records[2].files
    assert verify(s3, bucket).clean
