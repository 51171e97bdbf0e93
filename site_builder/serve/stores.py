"""Where the website server reads objects from: a built folder or an S3 bucket.

Both stores answer the same two questions (``get`` and ``exists``) with the same values, so the
website server has one code path and the folder behaves exactly like the deployed bucket:
the same ``Content-Type``/``Cache-Control`` (from the deploy engine's header rules when they are
available) and the same ETag (the quoted MD5 that S3 gives single-part uploads).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class StoredObject:
    """One object's metadata, plus its bytes unless the caller asked for none (HEAD) or the
    object was not modified (``not_modified``: the If-None-Match tag matched)."""

    key: str
    etag: str  # quoted, exactly as S3 returns it
    content_type: str
    cache_control: str | None
    content_length: int
    body: bytes | None = None
    not_modified: bool = False


class Store(Protocol):
    """What the website server needs from a place that holds a site."""

    def get(
        self, key: str, *, if_none_match: str | None = None, body: bool = True
    ) -> StoredObject | None:
        """The object at ``key`` (None when missing).  ``if_none_match`` is the raw header."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is an object (used for the ``/dir`` -> ``/dir/`` redirect)."""


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match header against one ETag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def headers_for_key(key: str) -> tuple[str, str]:
    """``(Content-Type, Cache-Control)`` the deploy engine stores for ``key``.

    Reusing the deploy engine's rules (rather than a second table) is what makes
    ``notes serve`` show the same headers the bucket will carry.
    """
    from site_builder.deploy import headers

    return headers.content_type(key), headers.cache_control(key)


class FolderStore:
    """A built site folder.  Keys map to files below ``root`` and can never escape it."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path | None:
        """The file for ``key``, or None if the key is not a plain relative path inside root."""
        if not key or "\\" in key or "\x00" in key or key.startswith("/"):
            return None
        parts = key.split("/")
        if any(part in {"", ".", ".."} for part in parts):
            return None
        root = self.root.resolve()
        path = root.joinpath(*parts)
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(root) or not resolved.is_file():
            return None
        return resolved

    def exists(self, key: str) -> bool:
        return self._path(key) is not None

    def get(
        self, key: str, *, if_none_match: str | None = None, body: bool = True
    ) -> StoredObject | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:  # removed between the check and the read (a rebuild swapped it)
            return None
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        content_type, cache_control = headers_for_key(key)
        not_modified = etag_matches(if_none_match, etag)
        return StoredObject(
            key=key,
            etag=etag,
            content_type=content_type,
            cache_control=cache_control,
            content_length=len(data),
            body=data if body and not not_modified else None,
            not_modified=not_modified,
        )


class BucketStore:
    """An S3 bucket read through an injected boto3 client (moto's server for ``notes up``)."""

    def __init__(self, client: Any, bucket: str):
        self.client = client
        self.bucket = bucket

    def exists(self, key: str) -> bool:
        return self._call("head_object", key, None) is not None

    def get(
        self, key: str, *, if_none_match: str | None = None, body: bool = True
    ) -> StoredObject | None:
        response = self._call("get_object" if body else "head_object", key, if_none_match)
        if response is None:
            return None
        if response == "not-modified":
            head = self._call("head_object", key, None)
            if head is None or head == "not-modified":
                return None
            return self._object(key, head, None, not_modified=True)
        data = response["Body"].read() if body else None
        return self._object(key, response, data, not_modified=False)

    @staticmethod
    def _object(
        key: str, response: dict, data: bytes | None, *, not_modified: bool
    ) -> StoredObject:
        return StoredObject(
            key=key,
            etag=response["ETag"],
            content_type=response.get("ContentType") or DEFAULT_CONTENT_TYPE,
            cache_control=response.get("CacheControl"),
            content_length=int(response.get("ContentLength", len(data or b""))),
            body=data,
            not_modified=not_modified,
        )

    def _call(self, operation: str, key: str, if_none_match: str | None) -> Any:
        """Run get/head_object; None for a missing key, "not-modified" for a 304."""
        from botocore.exceptions import ClientError

        kwargs = {"Bucket": self.bucket, "Key": key}
        if if_none_match:
            kwargs["IfNoneMatch"] = if_none_match
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in {"304", "NotModified"} or status == 304:
                return "not-modified"
            if code in {"404", "NoSuchKey", "NotFound"} or status == 404:
                return None
            raise
