"""The CDK site asset as the publish Lambda (infra/handler) sees it: a zip in the bootstrap
bucket, fetched only when its bytes are needed, and which deploy record holds that asset.

**Fetched lazily.**  CloudFormation's rollback sends the previous asset back, and its record's
versions are usually all still in the site bucket: restoring them is CopyObject only, so the
zip is not needed at all.  ``LazyAsset`` downloads it on the first ``scan``/``read`` (a version
the lifecycle rule expired is refilled from it), so a rollback does not fail because the
bootstrap bucket no longer holds an old zip when nothing needed it.

**The asset index.**  ``_notes/assets/<asset hash>`` names the record that describes the site
the asset was published as (a deploy, a restore, or the live record when the publish had
nothing to do).  A rollback finds the previous site by this one read, however many laptop
deploys came since; looking through recent records instead ("the last ten") turned a rollback
after eleven deploys into a fresh publish under the mass-delete guard.  The index is a hint:
anything wrong with it (missing, unreadable, naming a gone record) means "not indexed".
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from site_builder.core.errors import DeployError
from site_builder.deploy.local import LocalFile, SiteSource, open_site
from site_builder.deploy.record import ID_PATTERN

ASSET_PREFIX = "_notes/assets/"
_HASH = re.compile(r"^[0-9a-zA-Z]{8,128}$")
log = logging.getLogger("site_builder.deploy")


class AssetUnavailable(DeployError):
    """The asset zip cannot be read (gone from the bootstrap bucket, or no access)."""


class LazyAsset:
    """A ``SiteSource`` over the asset zip that downloads it on first use."""

    def __init__(self, client: Any, bucket: str, key: str):
        self.client, self.bucket, self.key = client, bucket, key
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._source: SiteSource | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def fetched(self) -> bool:
        return self._source is not None

    def path(self) -> Path:
        """The downloaded zip (downloading it now if needed)."""
        self._open()
        assert self._tmp is not None
        return Path(self._tmp.name) / "site.zip"

    def _open(self) -> SiteSource:
        if self._source is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="notes-asset-")
            zip_path = Path(self._tmp.name) / "site.zip"
            try:
                self.client.download_file(self.bucket, self.key, str(zip_path))
            except (ClientError, BotoCoreError) as exc:
                raise AssetUnavailable(
                    f"cannot read the site asset {self.url}: {exc}",
                    "check that the CDK bootstrap bucket holds the asset (re-run cdk deploy)",
                ) from exc
            self._source = open_site(zip_path)
        return self._source

    def scan(self) -> list[LocalFile]:
        return self._open().scan()

    def read(self, key: str) -> bytes:
        return self._open().read(key)

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        if self._tmp is not None:
            self._tmp.cleanup()
        self._source = self._tmp = None


def asset_key(asset_hash: str) -> str | None:
    """The index key of ``asset_hash`` (None for a hash that is not a plain token)."""
    return f"{ASSET_PREFIX}{asset_hash}" if _HASH.match(asset_hash) else None


def note_asset(client: Any, bucket: str, asset_hash: str, record_id: str) -> None:
    """Remember that ``record_id`` is the site ``asset_hash`` was published as (best effort:
    a missing entry only makes a later rollback look through recent records instead)."""
    key = asset_key(asset_hash)
    if key is None or not ID_PATTERN.match(record_id):
        return
    body = json.dumps({"record": record_id, "asset_hash": asset_hash}).encode()
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json",
                          CacheControl="no-cache")
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not index asset %s as deploy %s: %s", asset_hash, record_id, exc)


def indexed_record_id(client: Any, bucket: str, asset_hash: str) -> str | None:
    """The record id the index names for ``asset_hash``, or None."""
    key = asset_key(asset_hash)
    if key is None:
        return None
    try:
        raw = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        return None  # not indexed (NoSuchKey), or not readable: look elsewhere
    try:
        record_id = json.loads(raw)["record"]
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring %s: not an asset index entry", key)
        return None
    return record_id if isinstance(record_id, str) and ID_PATTERN.match(record_id) else None
