"""Carrying out a plan: the only code that writes site objects and records to S3.

Order is what keeps the live site consistent for readers at every moment: the plan's upload
waves one after another (a page goes up only once the new pages and assets it links to are
live; see ``plan.order_waves``), each wave in parallel on a thread pool, in the plan's order
(so the members of a link cycle are submitted back to back); deletions only once every upload
succeeded; then ``make_record`` (which for a site behind CloudFront first requests the
invalidation, see ``invalidate.with_invalidation``), and the deploy record last, so a record
exists only for a deploy that completed.  A failure stops the pool (pending uploads are
cancelled), skips deletions and the record, and propagates.

Uploads are PUTs of the site's bytes or, for a rollback, CopyObject from a recorded version
(``Upload.copy_version``); a rollback whose versions expired refills them from ``source``.

Writes go through a ``Store``.  ``S3Store`` talks to the bucket; ``DryRunStore`` accepts the
same calls and writes nothing, so a dry run exercises the same code path as a real deploy.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from botocore.exceptions import ClientError

from site_builder.core.errors import DeployError
from site_builder.deploy.errors import client_error_code
from site_builder.deploy.local import SiteSource
from site_builder.deploy.plan import NEW, Plan, Upload
from site_builder.deploy.record import DeployRecord
from site_builder.deploy.recordstore import write_record

Progress = Callable[[int, int], None]
DEFAULT_WORKERS = 16
_DELETE_BATCH = 1000  # DeleteObjects limit
# What S3 answers a conditional PUT whose condition failed: another ETag (412), no object for
# If-Match (404), or a racing conditional write (409).
_DRIFT_CODES = frozenset({"PreconditionFailed", "412", "NoSuchKey", "404",
                          "ConditionalRequestConflict", "409"})


class Drifted(DeployError):
    """A conditional upload found another object than the record names (``Upload.expect``):
    the bucket changed outside this deploy (or a retried PUT had already been applied).  The
    deploy lists the bucket and plans again (``publish``); users never see this."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"{key} is not the object the last deploy record names",
                         "run `notes deploy --check-drift`")


class Store(Protocol):
    def put(self, upload: Upload, body: bytes) -> str: ...  # -> VersionId left live

    def copy(self, upload: Upload) -> str: ...

    def delete(self, keys: Sequence[str]) -> None: ...

    def write_record(self, record: DeployRecord) -> None: ...


class S3Store:
    """Writes to a bucket through an injected boto3 S3 client (thread-safe)."""

    def __init__(self, client: Any, bucket: str):
        self.client, self.bucket = client, bucket
        self.written: tuple[DeployRecord, str] | None = None  # record as stored, its ETag

    def put(self, upload: Upload, body: bytes) -> str:
        md5_b64 = base64.b64encode(binascii.unhexlify(upload.md5)).decode()
        condition = ({} if upload.expect is None else {"IfNoneMatch": "*"}
                     if upload.expect == NEW else {"IfMatch": f'"{upload.expect}"'})
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=upload.key, Body=body, ContentMD5=md5_b64,
                ContentType=upload.content_type, CacheControl=upload.cache_control,
                **condition)
        except ClientError as exc:
            if condition and client_error_code(exc) in _DRIFT_CODES:
                raise Drifted(upload.key) from exc
            raise
        return response.get("VersionId") or "null"

    def copy(self, upload: Upload) -> str:
        """Restore an old version as the new live one; its stored headers come along."""
        response = self.client.copy_object(
            Bucket=self.bucket, Key=upload.key, MetadataDirective="COPY",
            CopySource={"Bucket": self.bucket, "Key": upload.key,
                        "VersionId": upload.copy_version},
        )
        return response.get("VersionId") or "null"

    def delete(self, keys: Sequence[str]) -> None:
        """Versioned bucket: each deletion is a delete marker; no version is destroyed."""
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": k} for k in keys[start:start + _DELETE_BATCH]]
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise DeployError(f"could not delete {first.get('Key')!r} from {self.bucket!r}: "
                                  f"{first.get('Code')} ({len(errors)} failed)",
                                  "check the credentials' s3:DeleteObject permission")

    def write_record(self, record: DeployRecord) -> None:
        self.written = write_record(self.client, self.bucket, record)


class DryRunStore:
    """Accepts every write and performs none; remembers what it was asked to do."""

    def __init__(self) -> None:
        self.puts: list[str] = []
        self.copies: list[str] = []
        self.deleted: list[str] = []
        self.records: list[DeployRecord] = []

    def put(self, upload: Upload, body: bytes) -> str:
        self.puts.append(upload.key)
        return "(dry run)"

    def copy(self, upload: Upload) -> str:
        self.copies.append(upload.key)
        return "(dry run)"

    def delete(self, keys: Sequence[str]) -> None:
        self.deleted.extend(keys)

    def write_record(self, record: DeployRecord) -> None:
        self.records.append(record)


def _write_one(store: Store, source: SiteSource | None, upload: Upload) -> str:
    if upload.copy_version is not None:
        return store.copy(upload)
    assert source is not None, "a PUT needs the site's bytes"
    return store.put(upload, source.read(upload.key))


def _upload_group(pool: ThreadPoolExecutor, store: Store, source: SiteSource | None,
                  uploads: Sequence[Upload], versions: dict[str, str],
                  tick: Callable[[], None]) -> None:
    futures: dict[Future[str], Upload] = {
        pool.submit(_write_one, store, source, u): u for u in uploads}
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_EXCEPTION)
        for future in done:
            if future.exception() is not None:
                for other in pending:
                    other.cancel()
                raise future.exception()  # type: ignore[misc]
            versions[futures[future].key] = future.result()
            tick()


def apply_plan(plan: Plan, store: Store, source: SiteSource | None,
               make_record: Callable[[dict[str, str]], DeployRecord], *,
               workers: int = DEFAULT_WORKERS, progress: Progress | None = None
               ) -> DeployRecord:
    """Upload, delete, then write the record built from the VersionIds the uploads returned
    (``make_record`` may invalidate CloudFront first: it runs after every write but the
    record's)."""
    versions: dict[str, str] = {}
    total, done = len(plan.uploads), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="notes-up") as pool:
        for wave in plan.waves or ((plan.uploads,) if plan.uploads else ()):
            _upload_group(pool, store, source, wave, versions, tick)
    if plan.deletes:
        store.delete(plan.deletes)
    record = make_record(versions)
    store.write_record(record)
    return record
