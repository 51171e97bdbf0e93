"""The bucket's side: which object version is live for every site key.

One paginated ListObjectVersions pass gives, per key, the live version's ETag, size and
VersionId (ListObjectsV2 gives the first two only).  The planner needs the ETag, the deploy
record needs the VersionId of every key a deploy leaves live, and ``verify`` compares VersionIds,
so one listing serves all three.  The same pass gives the ETag of every stored version, which
is its MD5 (single-part uploads and copies): stored records keep only a prefix of each MD5 and
``record.hydrate`` completes them from it.  Keys under ``_notes/`` (records, lock) are not
site objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from site_builder.deploy.local import PRIVATE_PREFIX


@dataclass(frozen=True)
class RemoteObject:
    """The live version of one key."""

    key: str
    etag: str  # without quotes; "<hex>-<parts>" for multipart uploads
    size: int
    version_id: str

    @property
    def is_multipart(self) -> bool:
        return "-" in self.etag

    @property
    def md5(self) -> str | None:
        """The MD5 when the ETag is one (single-part upload), else None."""
        return None if self.is_multipart or len(self.etag) != 32 else self.etag


def list_live(client: Any, bucket: str) -> dict[str, RemoteObject]:
    """Every live site object (latest version that is not a delete marker), by key."""
    return list_versions(client, bucket)[0]


def list_versions(client: Any, bucket: str
                  ) -> tuple[dict[str, RemoteObject], dict[tuple[str, str], str]]:
    """The live objects, and every (key, VersionId) pair that still exists in the bucket (what a
    rollback can copy back) with its ETag (for ``record.hydrate``), from one listing."""
    live: dict[str, RemoteObject] = {}
    existing: dict[tuple[str, str], str] = {}
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        for version in page.get("Versions", ()):
            key = version["Key"]
            if key.startswith(PRIVATE_PREFIX):
                continue
            version_id = version.get("VersionId") or "null"
            etag = version.get("ETag", "").strip('"')
            existing[(key, version_id)] = etag
            if version.get("IsLatest"):
                live[key] = RemoteObject(key=key, etag=etag,
                                         size=int(version.get("Size", 0)),
                                         version_id=version_id)
    return live, existing


@dataclass(frozen=True)
class Headers:
    """The headers S3 serves an object with (what a browser acts on)."""

    content_type: str
    cache_control: str
    content_encoding: str = ""

    def diff(self, wanted: Headers) -> str:
        """``Content-Type binary/octet-stream (should be text/html)``, for each that differs."""
        out = []
        for label, have, want in (
            ("Content-Type", self.content_type, wanted.content_type),
            ("Cache-Control", self.cache_control, wanted.cache_control),
            ("Content-Encoding", self.content_encoding, wanted.content_encoding),
        ):
            if have != want:
                out.append(f"{label} {have or '(none)'} (should be {want or '(none)'})")
        return ", ".join(out)


def head_live(client: Any, bucket: str, keys: Iterable[str],
              workers: int = 16) -> dict[str, tuple[RemoteObject, Headers]]:
    """The live version of each of ``keys`` and its headers: one HeadObject each, in
    parallel (what a listing without VersionIds cannot tell, see ``current``)."""

    def head(key: str) -> tuple[str, tuple[RemoteObject, Headers]]:
        r = client.head_object(Bucket=bucket, Key=key)
        obj = RemoteObject(key, str(r.get("ETag", "")).strip('"'),
                           int(r.get("ContentLength", 0)), r.get("VersionId") or "null")
        return key, (obj, Headers(r.get("ContentType", ""), r.get("CacheControl", ""),
                                  r.get("ContentEncoding", "")))

    keys = list(keys)
    if not keys:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(keys)))) as pool:
        return dict(pool.map(head, keys))


def head_headers(client: Any, bucket: str, keys: Iterable[str],
                 workers: int = 16) -> dict[str, Headers]:
    """The live headers of ``keys``: one HeadObject each, in parallel."""
    return {k: h for k, (_, h) in head_live(client, bucket, keys, workers).items()}
