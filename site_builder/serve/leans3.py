"""moto's ListObjectVersions without copying every version's body: ``notes up`` stays lean.

moto 5.2 answers each ListObjectVersions page by deep-copying *every* version in the bucket,
bodies included (``copy.deepcopy`` of each ``FakeKey``, whose ``__getstate__`` reads the whole
body), then sorting them all.  The deploy engine lists versions for verify, rollback and the
first deploy, so a long-running ``notes up`` grew by the size of its whole history per listing:
5.4 GB after about 15 deploys of a 500-note site, 2.1 s per listing, until the kernel killed
it.  (The copies were garbage only for the cyclic collector, which a build pauses.)

``lean_version_listing`` replaces that one backend method with one that reads the versions in
place: keys sorted once per page, each key's versions newest first (the order they were
written, as S3 keeps them), pagination by key and version markers exactly as S3 defines them,
and each listed version wrapped in a two-slot view that carries its ``IsLatest`` (the shared
objects are never modified, so concurrent listings cannot disturb each other).  The embedded
S3 of ``notes up`` and the suite's in-process mock both run with it, so every deploy,
rollback and verify test checks it against the same S3 semantics.
"""

from __future__ import annotations

import bisect
from typing import Any
from xml.sax.saxutils import escape

_LEAN = "_notes_lean"


class ListedVersion:
    """A version (or delete marker) as one listing sees it: the object, and whether it is
    the key's newest.  Everything else is read from the object itself."""

    __slots__ = ("is_latest", "version")

    def __init__(self, version: Any, is_latest: bool):
        self.version = version
        self.is_latest = is_latest

    def __getattr__(self, name: str) -> Any:
        return getattr(self.version, name)


def parse_timestamp(value: str) -> Any:
    """A response timestamp, ISO 8601 ones (every listing's LastModified) without dateutil:
    botocore's parser took about 1 ms each, a second per 1,000-version listing."""
    import datetime as dt

    from botocore.utils import parse_timestamp as slow

    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return slow(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def fast_timestamp_session() -> Any:
    """A boto3 session whose clients parse timestamps with ``parse_timestamp``."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp)
    return boto3.session.Session(botocore_session=core)


def lean_version_listing() -> None:
    """Patch moto's S3 backend (idempotent); see the module's docstring."""
    from moto.s3.models import S3Backend

    if getattr(S3Backend.list_object_versions, _LEAN, False):
        return

    def list_object_versions(self: Any, bucket_name: str, delimiter: str | None = None,
                             key_marker: str | None = None, max_keys: int | None = 1000,
                             prefix: str = "", version_id_marker: str | None = None) -> Any:
        bucket = self.get_bucket(bucket_name)
        return list_versions(bucket.keys, prefix or "", delimiter, key_marker,
                             version_id_marker, max_keys)

    setattr(list_object_versions, _LEAN, True)
    S3Backend.list_object_versions = list_object_versions  # type: ignore[method-assign]
    _fast_response()


def _fast_response() -> None:
    """The ListObjectVersions response written as XML directly: moto's generic serializer
    took about 1 ms per version (a 1,000-version page: a second)."""
    from moto.s3.responses import S3Response

    def list_object_versions(self: Any) -> Any:
        query = self.querystring
        arg = lambda name, default=None: query.get(name, [default])[0]
        prefix = self._get_querystring(self.request, self.uri).get("prefix", [""])[0]
        max_keys = int(arg("max-keys", 1000))
        page = self.backend.list_object_versions(
            self.bucket_name, delimiter=arg("delimiter"), key_marker=arg("key-marker"),
            max_keys=max_keys, prefix=prefix, version_id_marker=arg("version-id-marker"))
        body = versions_xml(self.bucket_name, prefix, arg("delimiter"), arg("key-marker"),
                            arg("version-id-marker"), max_keys, page)
        headers = dict(self.response_headers)
        headers["content-type"] = "application/xml"
        return 200, headers, body

    S3Response.list_object_versions = list_object_versions  # type: ignore[method-assign]


_OWNER = ("<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
          "<DisplayName>webfile</DisplayName></Owner>")


def versions_xml(bucket: str, prefix: str, delimiter: str | None, key_marker: str | None,
                 version_id_marker: str | None, max_keys: int, page: tuple) -> str:
    """S3's ListVersionsResult for one page of ``list_versions``."""
    versions, prefixes, markers, next_key, next_version = page
    head = [f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>",
            f"<Delimiter>{escape(delimiter)}</Delimiter>" if delimiter else "",
            f"<KeyMarker>{escape(key_marker or '')}</KeyMarker>",
            f"<VersionIdMarker>{escape(version_id_marker or '')}</VersionIdMarker>",
            f"<MaxKeys>{max_keys}</MaxKeys>",
            f"<IsTruncated>{'true' if next_key is not None else 'false'}</IsTruncated>"]
    if next_key is not None:
        head.append(f"<NextKeyMarker>{escape(next_key)}</NextKeyMarker>")
        if next_version is not None:
            head.append(f"<NextVersionIdMarker>{escape(next_version)}</NextVersionIdMarker>")
    rows = [f"<Version><Key>{escape(v.name)}</Key><VersionId>{escape(_vid(v))}</VersionId>"
            f"<IsLatest>{'true' if v.is_latest else 'false'}</IsLatest>"
            f"<LastModified>{v.last_modified_ISO8601}</LastModified>"
            f"<ETag>{escape(v.etag, {chr(34): '&quot;'})}</ETag><Size>{v.size}</Size>"
            f"<StorageClass>{escape(v.storage_class or 'STANDARD')}</StorageClass>"
            f"{_OWNER}</Version>" for v in versions]
    rows += [f"<DeleteMarker><Key>{escape(m.name)}</Key><VersionId>{escape(_vid(m))}"
             f"</VersionId><IsLatest>{'true' if m.is_latest else 'false'}</IsLatest>"
             f"<LastModified>{m.last_modified_ISO8601}</LastModified>{_OWNER}</DeleteMarker>"
             for m in markers]
    rows += [f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult '
            'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            + "".join(head) + "".join(rows) + "</ListVersionsResult>")


def _vid(version: Any) -> str:
    return "null" if version.version_id is None else str(version.version_id)


def _newest_first(versions: list[Any]) -> list[Any]:
    """A key's versions, newest first: S3 keeps them in the order written (moto appends),
    and moto's own listing orders by LastModified; ties (one millisecond) keep write order."""
    written = list(enumerate(versions))
    written.sort(key=lambda item: (-item[1].last_modified.timestamp(), -item[0]))
    return [version for _, version in written]


def list_versions(store: Any, prefix: str, delimiter: str | None, key_marker: str | None,
                  version_id_marker: str | None, max_keys: int | None) -> tuple:
    """One page, as moto's method returns it: (versions, common prefixes, delete markers,
    next key marker, next version id marker)."""
    from moto.s3.models import FakeKey

    names = sorted(name for name in list(dict.keys(store)) if name.startswith(prefix))
    start = bisect.bisect_left(names, key_marker) if key_marker else 0
    versions: list[Any] = []
    markers: list[Any] = []
    prefixes: list[str] = []
    limit = 1000 if max_keys is None else max_keys
    last: tuple[str, str | None] | None = None
    for name in names[start:]:
        rolled = _rolled_up(name, prefix, delimiter)
        if rolled is not None:
            if rolled == key_marker or (prefixes and prefixes[-1] == rolled):
                continue
            if len(versions) + len(markers) + len(prefixes) >= limit:
                return versions, prefixes, markers, *_next(last)
            prefixes.append(rolled)
            last = (rolled, None)
            continue
        ordered = _newest_first(store.getlist(name, []))
        skip = _skipped(name, ordered, key_marker, version_id_marker)
        for index, version in enumerate(ordered[skip:], start=skip):
            if len(versions) + len(markers) + len(prefixes) >= limit:
                return versions, prefixes, markers, *_next(last)
            view = ListedVersion(version, index == 0)
            (versions if isinstance(version, FakeKey) else markers).append(view)
            last = (name, version.version_id)
    return versions, prefixes, markers, None, None


def _next(last: tuple[str, str | None] | None) -> tuple[str | None, str | None]:
    """NextKeyMarker / NextVersionIdMarker: the last item returned (S3's definition)."""
    return (last[0], last[1]) if last else (None, None)


def _rolled_up(name: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix ``name`` rolls up into, if a delimiter follows the prefix."""
    if not delimiter or delimiter not in name[len(prefix):]:
        return None
    end = len(prefix) + name[len(prefix):].index(delimiter) + len(delimiter)
    return name[:end]


def _skipped(name: str, ordered: list[Any], key_marker: str | None,
             version_id_marker: str | None) -> int:
    """How many of ``name``'s versions a page starting at the markers leaves out: all of
    the marker key's with a key marker alone, those up to the marked version with both."""
    if name != key_marker:
        return 0
    if not version_id_marker:
        return len(ordered)
    ids = [v.version_id for v in ordered]
    return ids.index(version_id_marker) + 1 if version_id_marker in ids else len(ordered)
