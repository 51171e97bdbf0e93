"""Records in the bucket (``site_builder/deploy/recordstore.py``): a write is append-only
and a retried one recognised, only well-formed ids are records (far-future ones ignored with a
warning), and a delta whose base is gone is an invalid record named in one line."""

from __future__ import annotations

import logging

import pytest
from test_deploy_publish import SITE_V1, site_v2, write_site

from site_builder.core.errors import DeployError
from site_builder.deploy import publish, recordstore, rollback, verify
from site_builder.deploy.record import RECORD_PREFIX, DeployRecord, RecordError
from site_builder.deploy.recordstore import record_ids, write_record


def test_record_write_is_idempotent_and_refuses_other_content(s3, bucket, tmp_path):
    record = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    write_record(s3, bucket, record)  # a retry of the same PUT: 412, read back, ours
    other = DeployRecord(**{**record.__dict__, "message": "someone else"})
    with pytest.raises(DeployError, match=f"deploy record {RECORD_PREFIX}{record.id}.json.bz2 "
                       "already exists with other content"):
        write_record(s3, bucket, other)


def test_foreign_keys_and_far_future_ids_are_not_records(s3, bucket, tmp_path, caplog):
    good = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    for name in ("zz-backup.json", "notes.txt", "sub/20260101-000000-000000-abcd.json",
                 "20260101-000000-000000-ABCD.json", "2026-bad.json.gz"):
        s3.put_object(Bucket=bucket, Key=RECORD_PREFIX + name, Body=b"{")
    future = f"{RECORD_PREFIX}29991231-235959-000000-abcd.json.gz"
    s3.put_object(Bucket=bucket, Key=future, Body=b"{")
    with caplog.at_level(logging.WARNING, "site_builder.deploy"):
        assert record_ids(s3, bucket) == [good.id]
    assert caplog.messages == [
        f"ignoring deploy record {future}: its id is more than a day in the future"]
    assert verify(s3, bucket).clean
    assert rollback(s3, bucket, to=good.id)[1] == good


def test_a_delta_whose_base_is_gone_is_an_invalid_record(s3, bucket, tmp_path):
    site = tmp_path / "s"
    first = publish(s3, bucket, write_site(site, SITE_V1)).record
    second = publish(s3, bucket, write_site(site, site_v2())).record
    s3.delete_object(Bucket=bucket, Key=f"{RECORD_PREFIX}{first.id}.json.bz2")
    recordstore._CACHE.clear()
    with pytest.raises(RecordError, match=(
            f"invalid deploy record {RECORD_PREFIX}{second.id}.json.bz2: its base record "
            f"{first.id} cannot be read")):
        verify(s3, bucket)


class _LostRecordPut:
    """A client whose record PUT loses every answer (botocore's retries ran out): with
    ``applied`` the bucket took the write anyway, as a lost response leaves it."""

    def __init__(self, client, applied: bool):
        self._client, self.applied = client, applied

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_object(self, **kwargs):
        from botocore.exceptions import ConnectionClosedError

        if kwargs["Key"].startswith(RECORD_PREFIX):
            if self.applied:
                self._client.put_object(**kwargs)
            raise ConnectionClosedError(endpoint_url="https://s3.example")
        return self._client.put_object(**kwargs)


def test_a_record_put_whose_answers_are_all_lost_is_read_back(s3, bucket, tmp_path):
    from botocore.exceptions import ConnectionClosedError

    record = publish(s3, bucket, write_site(tmp_path / "s", SITE_V1)).record
    later = DeployRecord(**{**record.__dict__, "id": "29990101-000000-000000-abcd",
                            "parent": record.id, "message": "later"})
    write_record(_LostRecordPut(s3, applied=True), bucket, later)  # read back: ours, success
    assert recordstore.load_record(s3, bucket, later.id).message == "later"
    missing = DeployRecord(**{**later.__dict__, "id": "29990101-000000-000000-beef"})
    with pytest.raises(ConnectionClosedError):
        write_record(_LostRecordPut(s3, applied=False), bucket, missing)
