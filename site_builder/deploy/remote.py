"""The bucket's side: which object version is live for every site key.

One paginated ListObjectVersions pass gives, per key, the live version's ETag, size and
VersionId (ListObjectsV2 gives the first two only).  The planner needs the ETag, the deploy
record needs the VersionId of every key a deploy leaves live, and ``verify`` compares VersionIds,
so one listing serves all three.  Keys under ``_notes/`` (records, lock) are not site objects.
"""

from __future__ import annotations

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
    live: dict[str, RemoteObject] = {}
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        for version in page.get("Versions", ()):
            key = version["Key"]
            if not version.get("IsLatest") or key.startswith(PRIVATE_PREFIX):
                continue
            live[key] = RemoteObject(
                key=key,
                etag=version.get("ETag", "").strip('"'),
                size=int(version.get("Size", 0)),
                version_id=version.get("VersionId") or "null",
            )
    return live


def stored_versions(client: Any, bucket: str) -> set[tuple[str, str]]:
    """Every (key, VersionId) the bucket still holds (delete markers are not versions)."""
    out: set[tuple[str, str]] = set()
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", ()):
            if not version["Key"].startswith(PRIVATE_PREFIX):
                out.add((version["Key"], version.get("VersionId") or "null"))
    return out
