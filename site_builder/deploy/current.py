"""What the bucket serves now, cheaply: the last deploy record checked against ListObjectsV2.

A deploy must plan against what is live, not only against what the last record says (a
deploy killed half-way, a hand edit in the console), but listing every *version* ever written
(``remote.list_versions``) costs what the bucket's history costs: pages of ListObjectVersions
that grow with every deploy.  ListObjectsV2 lists only the live objects, with their ETag, size
and LastModified, but no VersionId.  This module joins the two: a live object whose ETag is the
MD5 the latest record holds for its key, and which was written no later than that record
(``LastModified``, by S3's clock, against the record object's own), is the version the record
names; anything else is drift, and its version is ``UNKNOWN`` (the planner uploads it again,
deletes it, or HEADs it when the bytes already match: ``plan.needs_head``).

What this cannot see: a new version with the very same bytes written in the same second as the
record (S3 gives LastModified to the second), or before it while that deploy ran.  Only a full
version listing tells those apart: ``notes verify`` reports them ("same bytes, new version"),
and rollback plans from the full listing anyway.

Within ``TRUST_SECONDS`` of a listing that showed the bucket as the latest record says, the
machine that saw it (``RecordCache.checked``) need not list again: the record itself is the
state (``record_live``, ``BucketState.trusted``), and the deploy's uploads are conditional on
it (``plan.conditional``), so drift on any key it writes is still caught; drift elsewhere waits
for the next listing (``notes deploy --check-drift`` asks for one).

The listing is split into key ranges of about a page each, listed in parallel: the latest
record says which keys to expect, so range boundaries fall on its keys and a bucket that matches
it costs one page per 1,000 objects, all in one round trip.  The private area ``_notes/``
(records, lock) lies between the ranges and is never listed here.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from site_builder.deploy.local import PRIVATE_PREFIX
from site_builder.deploy.record import DeployRecord, md5_match
from site_builder.deploy.recordstore import RecordCache, latest_stored
from site_builder.deploy.remote import RemoteObject, list_live

PAGE = 1000  # ListObjectsV2's largest page
TRUST_SECONDS = 3600.0  # a listing confirms the record for this long (on that machine)
UNKNOWN = "(not listed)"  # the version of a live object the cheap check cannot name
_PRIVATE_END = PRIVATE_PREFIX + "\U0010ffff"  # sorts after every key under _notes/
Range = tuple[str | None, str | None, int]  # (list after this key, up to this key, first page)


@dataclass(frozen=True)
class Listed:
    """One live object as ListObjectsV2 shows it."""

    key: str
    etag: str  # without quotes
    size: int
    modified: datetime  # LastModified, S3's clock, whole seconds


def key_ranges(expected: Sequence[str], page: int = PAGE) -> list[Range]:
    """Ranges covering every key outside ``_notes/``: keys (after, upto], ``None`` meaning
    open.  ``expected`` (sorted) puts a boundary every ``page`` keys on each side of
    ``_notes/``, so each range is one page when the bucket holds what was expected.  The last
    range before ``_notes/`` ends there; its first page asks for the keys expected in it, plus
    one (which is under ``_notes/``: the range is done)."""
    split = bisect_right(expected, PRIVATE_PREFIX)
    before = list(expected[:split])
    rest = [k for k in expected[split:] if not k.startswith(PRIVATE_PREFIX)]
    ranges: list[Range] = []
    after: str | None = None
    for start in range(page, len(before) + 1, page):
        ranges.append((after, before[start - 1], page))
        after = before[start - 1]
    ranges.append((after, PRIVATE_PREFIX, min(page, len(before) % page + 1)))
    after = _PRIVATE_END
    for start in range(page, len(rest), page):
        ranges.append((after, rest[start - 1], page))
        after = rest[start - 1]
    ranges.append((after, None, page))
    return ranges


def _list_range(client: Any, bucket: str, after: str | None, upto: str | None,
                first: int) -> list[Listed]:
    """The live objects in (after, upto]: pages until one reaches past ``upto``."""
    found: list[Listed] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": first}
    if after is not None:
        kwargs["StartAfter"] = after
    while True:
        page = client.list_objects_v2(**kwargs)
        contents = page.get("Contents", ())
        for obj in contents:
            key = obj["Key"]
            if upto is not None and key > upto:
                return found
            if not key.startswith(PRIVATE_PREFIX):
                found.append(Listed(key, obj.get("ETag", "").strip('"'),
                                    int(obj.get("Size", 0)), obj["LastModified"]))
        token = page.get("NextContinuationToken")
        if (not page.get("IsTruncated") or not token or not contents
                or (upto is not None and contents[-1]["Key"] >= upto)):
            return found
        kwargs = {"Bucket": bucket, "MaxKeys": PAGE, "ContinuationToken": token}


def list_current(client: Any, bucket: str, expected: Sequence[str],
                 workers: int = 16) -> dict[str, Listed]:
    """Every live site object (outside ``_notes/``), listed in parallel key ranges whose
    boundaries come from ``expected`` (sorted keys: usually the latest record's)."""
    ranges = key_ranges(expected)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ranges))),
                            thread_name_prefix="notes-list") as pool:
        parts = list(pool.map(lambda r: _list_range(client, bucket, *r), ranges))
    return {obj.key: obj for part in parts for obj in part}


def trusted_live(listed: Mapping[str, Listed], record: DeployRecord,
                 sealed: datetime) -> dict[str, RemoteObject]:
    """The live objects with the version ``record`` names where the listing shows that very
    version (same MD5 and size, written no later than the record, ``sealed``), ``UNKNOWN``
    elsewhere."""
    live = {}
    for key, obj in listed.items():
        entry = record.files.get(key)
        remote = RemoteObject(key, obj.etag, obj.size, UNKNOWN)
        if (entry is not None and obj.modified <= sealed and obj.size == entry.size
                and md5_match(remote.md5, entry.md5)):  # an MD5: not a multipart ETag
            remote = RemoteObject(key, obj.etag, obj.size, entry.version_id)
        live[key] = remote
    return live


@dataclass(frozen=True)
class BucketState:
    """What a deploy plans against."""

    parent: DeployRecord | None  # the latest valid record
    live: dict[str, RemoteObject]  # every live site object; UNKNOWN versions are drift
    full: bool  # from a full version listing (every version id exact)
    trusted: bool = False  # ``live`` is the record itself, unlisted: upload conditionally
    checked: float | None = None  # when a listing last showed the bucket (time.time())


def record_live(record: DeployRecord) -> dict[str, RemoteObject]:
    """The live objects as ``record`` left them (single-part uploads: ETag = MD5)."""
    return {key: RemoteObject(key, e.md5, e.size, e.version_id)
            for key, e in record.files.items()}


def _trusted_since(cache: RecordCache | None, now: float) -> float | None:
    """When this machine last saw the cached record's bucket listed, if that is recent enough
    to plan from the record alone (``TRUST_SECONDS``) and the record has full MD5s."""
    record = cache.peek() if cache is not None else None
    checked = cache.checked() if cache is not None else None
    if record is None or checked is None or not 0 <= now - checked < TRUST_SECONDS:
        return None
    return checked if all(len(e.md5) == 32 for e in record.files.values()) else None


def read_state(client: Any, bucket: str, cache: RecordCache | None = None, *,
               full: bool = False, workers: int = 16, trust: bool = False,
               clock: Callable[[], float] = time.time) -> BucketState:
    """The latest record and the live objects: the cheap check (``trusted_live``) when there
    is a record, a full version listing for a first deploy or when ``full`` is asked for.
    With a ``cache``, the record listing and the object listing run side by side (the cached
    record's keys place the ranges; they partition the key space whatever the bucket holds).

    ``trust`` (the caller holds a lock that nobody left unfinished): when the cache holds the
    latest stored record itself and a listing confirmed it less than ``TRUST_SECONDS`` ago, the
    bucket is not listed at all; the deploy then writes conditionally (``plan.conditional``)."""
    now = clock()
    since = _trusted_since(cache, now) if trust and not full else None
    guess = cache.peek() if cache is not None and not full and since is None else None
    if guess is None:
        found = latest_stored(client, bucket, cache)
        listed = None
    else:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="notes-list") as pool:
            listing = pool.submit(list_current, client, bucket, sorted(guess.files), workers)
            found = latest_stored(client, bucket, cache)
            listed = listing.result()
    if found is None or full:
        return BucketState(found[0] if found else None, list_live(client, bucket), True,
                           checked=now)
    parent, stored = found
    if since is not None and cache is not None and cache.checked(stored) == since:
        return BucketState(parent, record_live(parent), False, trusted=True, checked=since)
    if listed is None:
        now = clock()
        listed = list_current(client, bucket, sorted(parent.files), workers)
    return BucketState(parent, trusted_live(listed, parent, stored.modified), False,
                       checked=now)
