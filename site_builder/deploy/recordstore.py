"""Deploy records in the bucket: which keys under ``_notes/deploys/`` are records, reading
one (a delta completed from its base, each record read once per process) and writing one
(append-only).  Split from ``record``, which says what a record *is* (its values, stored
bytes and validation, all pure), because this is the part that talks to S3: every function
takes the injected client and the bucket.

Anyone with write access can put anything under ``_notes/deploys/``, so only keys whose name
is a well-formed id are records (a ``zz-backup.json`` is not), and an id more than a day in
the future is ignored with a warning (it would shadow every real deploy as "latest").
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from site_builder.core.errors import DeployError
from site_builder.deploy.bounded import RECORD_LIMIT, TooLarge, read_capped
from site_builder.deploy.record import (
    ID_FORMAT,
    ID_PATTERN,
    RECORD_PREFIX,
    SUFFIXES,
    DeployRecord,
    RecordError,
    parse_record,
)

FUTURE_SLACK = timedelta(days=1)
_CACHE: dict[tuple[str, str], DeployRecord] = {}
_CACHE_SIZE = 64
log = logging.getLogger("site_builder.deploy")


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "404")


@dataclass(frozen=True)
class StoredRecord:
    """A record's object in the bucket, as ListObjectsV2 shows it."""

    id: str
    etag: str  # without quotes
    modified: datetime  # LastModified: S3's clock, when the record was written


class RecordCache(Protocol):
    """A copy of the latest record kept where the deploy runs (``recordcache``)."""

    def last_id(self) -> str | None: ...

    def peek(self) -> DeployRecord | None: ...

    def get(self, stored: StoredRecord) -> DeployRecord | None: ...

    def put(self, record: DeployRecord, etag: str, checked: float | None = None) -> None: ...

    def checked(self, stored: StoredRecord | None = None) -> float | None: ...

    def mark_checked(self, at: float, record: DeployRecord) -> None: ...

    def forget(self) -> None: ...


def load_record(client: Any, bucket: str, record_id: str) -> DeployRecord:
    """The record ``record_id`` (compressed or, for old records, plain JSON; a delta is
    completed from its base).  Records never change (append-only), so they are cached."""
    cached = _CACHE.get((bucket, record_id))
    if cached is not None:
        return cached
    record = _load(client, bucket, record_id)
    remember(bucket, record)
    return record


def remember(bucket: str, record: DeployRecord) -> None:
    """Keep ``record`` for this process's next ``load_record`` of it."""
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[(bucket, record.id)] = record


def _load(client: Any, bucket: str, record_id: str) -> DeployRecord:
    def resolve(base_id: str) -> DeployRecord:
        try:
            return load_record(client, bucket, base_id)
        except (ClientError, RecordError) as exc:
            raise ValueError(f"its base record {base_id} cannot be read ({exc})") from None

    for suffix in SUFFIXES:
        key = f"{RECORD_PREFIX}{record_id}{suffix}"
        try:
            body = read_capped(client.get_object(Bucket=bucket, Key=key)["Body"], RECORD_LIMIT)
        except ClientError as exc:
            if _missing(exc) and suffix != SUFFIXES[-1]:
                continue
            raise
        except TooLarge as exc:
            raise RecordError(key, f"it is {exc}: not a deploy record") from None
        return parse_record(key, body, resolve)
    raise AssertionError("unreachable")


def _id_of(name: str) -> tuple[str, int] | None:
    """(id, rank of its suffix: the order ``load_record`` tries them in)."""
    for rank, suffix in enumerate(SUFFIXES):
        if name.endswith(suffix) and ID_PATTERN.match(name[: -len(suffix)]):
            return name[: -len(suffix)], rank
    return None


def list_records(client: Any, bucket: str, now: datetime | None = None,
                 start_after: str | None = None) -> list[StoredRecord]:
    """Every record object, oldest first (``start_after``: only that id and newer ones):
    keys that are not ids are not records, an id stored under several suffixes is the object
    ``load_record`` reads, and an id more than a day ahead of ``now`` is left out with a
    warning."""
    limit = ((now or datetime.now(UTC)) + FUTURE_SLACK).strftime(ID_FORMAT)
    found: dict[str, tuple[int, StoredRecord]] = {}
    kwargs = {"Bucket": bucket, "Prefix": RECORD_PREFIX}
    if start_after:  # the id's own keys sort after the bare id
        kwargs["StartAfter"] = RECORD_PREFIX + start_after
    for page in client.get_paginator("list_objects_v2").paginate(**kwargs):
        for obj in page.get("Contents", ()):
            parsed = _id_of(obj["Key"][len(RECORD_PREFIX):])
            if parsed is None:
                continue
            record_id, rank = parsed
            if record_id[:22] > limit:
                log.warning("ignoring deploy record %s: its id is more than a day in the future",
                            obj["Key"])
                continue
            if record_id not in found or rank < found[record_id][0]:
                found[record_id] = (rank, StoredRecord(record_id, obj.get("ETag", "").strip('"'),
                                                       obj["LastModified"]))
    return [found[k][1] for k in sorted(found)]


def record_ids(client: Any, bucket: str, now: datetime | None = None) -> list[str]:
    """All record ids, oldest first (see ``list_records``)."""
    return [r.id for r in list_records(client, bucket, now)]


def _newest_valid(client: Any, bucket: str, listed: Sequence[StoredRecord],
                  cache: RecordCache | None) -> tuple[DeployRecord, StoredRecord] | None:
    for stored in reversed(listed):
        record = cache.get(stored) if cache is not None else None
        if record is not None:
            remember(bucket, record)
            return record, stored
        try:
            record = load_record(client, bucket, stored.id)
        except RecordError as exc:
            log.warning("skipping %s", exc.what)
            continue
        if cache is not None:
            cache.put(record, stored.etag)
        return record, stored
    return None


def latest_stored(client: Any, bucket: str, cache: RecordCache | None = None
                  ) -> tuple[DeployRecord, StoredRecord] | None:
    """The newest valid record (invalid newer ones skipped with a warning) and its object.

    With a ``cache`` of the latest record seen here, only that id and newer ones are listed
    (one page, however long the history), and the record is read from the cache when the
    bucket still holds the very object it was copied from (same ETag); else one GetObject
    (plus its delta chain's bases), and the cache is refreshed."""
    after = cache.last_id() if cache is not None else None
    found = _newest_valid(client, bucket, list_records(client, bucket, start_after=after), cache)
    if found is None and after is not None:  # the cached record and every newer one are gone
        older = [r for r in list_records(client, bucket) if r.id < after]
        found = _newest_valid(client, bucket, older, cache)
    return found


def latest_record(client: Any, bucket: str, *, skip_invalid: bool = False
                  ) -> DeployRecord | None:
    """The newest record.  ``skip_invalid``: the newest *valid* one, warning about the others
    (for callers that only need a good parent); otherwise an invalid newest record raises."""
    for record_id in reversed(record_ids(client, bucket)):
        try:
            return load_record(client, bucket, record_id)
        except RecordError as exc:
            if not skip_invalid:
                raise
            log.warning("skipping %s", exc.what)
    return None


def _base_for(client: Any, bucket: str, record: DeployRecord) -> DeployRecord | None:
    """The parent, when it can be read (usually from the cache: the deploy just read it)."""
    if record.parent is None:
        return None
    try:
        return load_record(client, bucket, record.parent)
    except (ClientError, RecordError):
        return None


def write_record(client: Any, bucket: str, record: DeployRecord) -> tuple[DeployRecord, str]:
    """Records are append-only: refuse to overwrite an existing id.  Returns the record as
    stored (its ``chain``) and the ETag of its object, for ``RecordCache.put``.

    A 412 is read back: when botocore retried a PUT whose response was lost, the record at
    our key is our own and the write succeeded; anything else is a real conflict.
    """
    body, chain = record.stored(_base_for(client, bucket, record))
    try:
        response = client.put_object(Bucket=bucket, Key=record.key, Body=body,
                                     ContentType="application/x-bzip2", CacheControl="no-cache",
                                     IfNoneMatch="*")
        etag = str(response.get("ETag", "")).strip('"')
    except BotoCoreError:
        # Every retry's answer was lost (connection errors): the PUT may well have been
        # applied, and one GET tells.  Only a missing or other record is still an error.
        if _stored(client, bucket, record.key, len(body)) != body:
            raise
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) not in (
                "PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
            raise
        stored = client.get_object(Bucket=bucket, Key=record.key)["Body"]
        try:
            stored = read_capped(stored, len(body))
        except TooLarge:
            stored = b""
        if stored != body:
            raise DeployError(f"deploy record {record.key} already exists with other content",
                              "run the command again (a new record id is chosen)") from exc
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    written = replace(record, chain=chain)
    remember(bucket, written)
    return written, etag


def _stored(client: Any, bucket: str, key: str, size: int) -> bytes | None:
    """The bytes at ``key`` if they are at most ``size`` long; None if there are none, they
    are longer, or they cannot be read now."""
    try:
        return read_capped(client.get_object(Bucket=bucket, Key=key)["Body"], size)
    except (ClientError, BotoCoreError, TooLarge):
        return None
