"""A copy of the latest deploy record on the machine that deploys, so a deploy reads none.

Every deploy plans from the latest record.  A record is stored as a delta of its parent (up to
``record.MAX_CHAIN`` in a row), so reading it in a fresh process costs one GetObject per link of
the chain: up to 17 round trips before planning can start.  The deploy that wrote the record
(or the last one that read it) keeps it here, beside the site (``build/.site.deploys/``, as the
build's manifest is ``build/.site.files``), one file per endpoint and bucket.  It is used only
while the bucket still holds the very object it was copied from: the record listing gives that
object's ETag, which must match.  Records never change once written, so that check is enough.

Plain values in ``marshal`` format (10,000 entries load in milliseconds; loading never runs
code), full MD5s included.  A missing, unreadable or foreign file is ignored, and one that cannot
be written only costs speed.  Standard library only (the engine runs in the CDK Lambda, which
keeps no cache).
"""

from __future__ import annotations

import hashlib
import marshal
from dataclasses import fields
from pathlib import Path
from typing import Any

from site_builder.deploy.manifest import write_atomic
from site_builder.deploy.record import DeployRecord, FileEntry, Invalidation
from site_builder.deploy.recordstore import StoredRecord

FORMAT = 1
_HEADER = tuple(f.name for f in fields(DeployRecord)
                if f.name not in ("files", "invalidation", "chain"))


def cache_dir(site: Path) -> Path:
    """``build/site`` (or ``site.zip``) -> ``build/.site.deploys`` (outside the site)."""
    site = Path(site).resolve()
    return site.parent / f".{site.name}.deploys"


class FileRecordCache:
    """The latest record of one bucket at one endpoint, in one file of ``folder``."""

    def __init__(self, folder: Path, endpoint: str, bucket: str):
        self.endpoint, self.bucket = endpoint, bucket
        name = hashlib.sha256(f"{endpoint}\n{bucket}".encode()).hexdigest()[:16]
        self.path = Path(folder) / f"{name}.record"
        self._data: dict[str, Any] | None = None
        self._record: DeployRecord | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            try:
                data = marshal.loads(self.path.read_bytes())
                ok = (isinstance(data, dict) and data.get("format") == FORMAT
                      and data.get("where") == [self.endpoint, self.bucket])
                self._data = data if ok else {}
            except (OSError, ValueError, EOFError, TypeError):
                self._data = {}
        return self._data

    def last_id(self) -> str | None:
        return self._load().get("id")

    def peek(self) -> DeployRecord | None:
        """The cached record, unchecked: which keys the bucket probably holds."""
        if self._record is None:
            data = self._load()
            try:
                header = dict(zip(_HEADER, data["header"], strict=True))
                inv = data["invalidation"]
                self._record = DeployRecord(
                    **header, files={k: FileEntry(*v) for k, v in data["files"].items()},
                    invalidation=Invalidation(inv[0], inv[1], tuple(inv[2])) if inv else None,
                    chain=data["chain"])
            except (KeyError, TypeError, ValueError, IndexError):
                return None
        return self._record

    def get(self, stored: StoredRecord) -> DeployRecord | None:
        """The cached record when it is the very object ``stored`` describes."""
        data = self._load()
        if data.get("id") != stored.id or data.get("etag") != stored.etag:
            return None
        return self.peek()

    def checked(self, stored: StoredRecord | None = None) -> float | None:
        """When a listing last showed the bucket as the cached record describes it (on this
        machine's clock), if ever; with ``stored``, only while it is that very object."""
        data = self._load()
        if stored is not None and (data.get("id"), data.get("etag")) != (stored.id, stored.etag):
            return None
        value = data.get("checked")
        return float(value) if isinstance(value, (int, float)) else None

    def mark_checked(self, at: float, record: DeployRecord) -> None:
        """A listing at ``at`` showed the bucket as the cached record describes it; ``record``
        is that record with what the listing added (full MD5s, ``record.hydrate``)."""
        data = self._load()
        if data.get("id") == record.id:
            self.put(record, data["etag"], at)

    def forget(self) -> None:
        """Before a deploy writes: until its record is stored, the cached one may no longer
        describe the bucket (a deploy killed half-way must not be trusted next time)."""
        self._data, self._record = {}, None
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass

    def put(self, record: DeployRecord, etag: str, checked: float | None = None) -> None:
        """Keep ``record`` (stored with ``etag``); ``checked``: see :meth:`checked`."""
        inv = record.invalidation
        self._record = record
        self._data = {
            "format": FORMAT, "where": [self.endpoint, self.bucket], "id": record.id,
            "etag": etag, "chain": record.chain, "checked": checked,
            "header": [getattr(record, name) for name in _HEADER],
            "invalidation": [inv.distribution_id, inv.id, list(inv.paths)] if inv else None,
            "files": {k: (e.size, e.md5, e.version_id, e.content_type, e.cache_control,
                          e.group) for k, e in record.files.items()},
        }
        self._write()

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        write_atomic(self.path, self._data)
