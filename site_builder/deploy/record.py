"""Deploy records: the append-only history of what each deploy or rollback left live.

A record is a JSON object at ``_notes/deploys/<id>.json``.  Its ``files`` table maps every live
key to the exact S3 VersionId left live (plus size, MD5 and headers), which is all a rollback
needs: the versions themselves stay in the versioned bucket.  Ids are UTC timestamps with a
random suffix, so they sort by time as strings and S3 lists them in order.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

RECORD_PREFIX = "_notes/deploys/"
KINDS = ("deploy", "rollback")
_ID_FORMAT = "%Y%m%d-%H%M%S-%f"


@dataclass(frozen=True)
class FileEntry:
    """One live key as a record saw it."""

    size: int
    md5: str
    version_id: str
    content_type: str
    cache_control: str
    group: str = "lists"  # upload group, so a rollback uploads in the same safe order


@dataclass(frozen=True)
class Invalidation:
    """The CloudFront invalidation a deploy or rollback requested (see ``invalidate``)."""

    distribution_id: str
    id: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class DeployRecord:
    id: str
    created: str  # ISO 8601, UTC
    kind: str  # "deploy" | "rollback"
    source: str  # "cli" | "cloudformation" | ...
    message: str
    parent: str | None  # the record that was live before this one
    counts: dict[str, int]  # uploaded, deleted, unchanged, files
    files: dict[str, FileEntry] = field(default_factory=dict)
    target: str | None = None  # for rollbacks: the record restored
    invalidation: Invalidation | None = None  # CloudFront request, when a distribution is set

    @property
    def key(self) -> str:
        return record_key(self.id)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode("utf-8")

    def summary(self) -> dict[str, Any]:
        """The record without its per-file table (for ``notes history --json``)."""
        data = asdict(self)
        del data["files"]
        return data

    @classmethod
    def from_json(cls, raw: bytes | str) -> DeployRecord:
        data = json.loads(raw)
        files = {k: FileEntry(**v) for k, v in data.pop("files", {}).items()}
        inv = data.pop("invalidation", None)
        if inv:
            data["invalidation"] = Invalidation(inv["distribution_id"], inv["id"],
                                                tuple(inv["paths"]))
        return cls(files=files, **data)


def record_key(record_id: str) -> str:
    return f"{RECORD_PREFIX}{record_id}.json"


def new_id(now: datetime, after: str | None = None) -> tuple[str, datetime]:
    """A sortable id for ``now`` (microseconds, 4 random hex), strictly after ``after``.

    The bump matters when two operations run within one clock tick, or the clock steps back:
    history order is id order.
    """
    now = now.astimezone(UTC)
    if after:
        previous = datetime.strptime(after[:22], _ID_FORMAT).replace(tzinfo=UTC)
        if now <= previous:
            now = previous + timedelta(microseconds=1)
    return f"{now.strftime(_ID_FORMAT)}-{secrets.token_hex(2)}", now


def load_record(client: Any, bucket: str, record_id: str) -> DeployRecord:
    body = client.get_object(Bucket=bucket, Key=record_key(record_id))["Body"].read()
    return DeployRecord.from_json(body)


def record_ids(client: Any, bucket: str) -> list[str]:
    """All record ids, oldest first."""
    ids = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=RECORD_PREFIX
    ):
        for obj in page.get("Contents", ()):
            name = obj["Key"][len(RECORD_PREFIX):]
            if name.endswith(".json") and "/" not in name:
                ids.append(name[: -len(".json")])
    return sorted(ids)


def latest_record(client: Any, bucket: str) -> DeployRecord | None:
    ids = record_ids(client, bucket)
    return load_record(client, bucket, ids[-1]) if ids else None


def write_record(client: Any, bucket: str, record: DeployRecord) -> None:
    """Records are append-only: refuse to overwrite an existing id."""
    client.put_object(Bucket=bucket, Key=record.key, Body=record.to_json(),
                      ContentType="application/json", CacheControl="no-cache",
                      IfNoneMatch="*")
