"""Deploy records: the append-only history of what each deploy or rollback left live.

A record is stored at ``_notes/deploys/<id>.json.bz2`` in the columnar format of
``recordcodec`` (format 3); records written earlier, gzip'd JSON at ``<id>.json.gz`` or plain
``<id>.json``, are still read.  Its ``files`` table maps every live key to the exact S3
VersionId left live (plus size, MD5 and headers), which is all a rollback needs: the versions
themselves stay in the versioned bucket.  Ids are UTC timestamps with a random suffix, so they
sort by time as strings and S3 lists them in order.  A record that changes at most half of its
parent's files is stored as a delta against it (changed entries, removed keys; a full table
again after ``MAX_CHAIN`` deltas): ``recordstore.load_record`` resolves the chain, so every
reader still gets the full ``files`` table.  At 5,000 notes a full table is about 0.43 MB
instead of 3.0 MB of JSON, a one-note edit's delta about 1 KB (``bench/record_size.py``).

The stored table keeps only a 48-bit prefix of each MD5 (the version's ETag is the rest, see
``recordcodec``): a record read back has such prefixes until ``hydrate`` fills in the ETags of
a version listing, and MD5s are compared with ``md5_match``, which accepts a prefix.

Anyone with write access can put anything under ``_notes/deploys/``, so nothing read there is
trusted: a record that does not parse or validate raises a one-line :class:`RecordError`
naming its key, never a traceback.  This module is pure (values, bytes, validation); listing,
reading and writing records in the bucket is ``recordstore``'s.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from site_builder.core.errors import DeployError
from site_builder.deploy import recordcodec
from site_builder.deploy.bounded import RECORD_LIMIT, TooLarge, inflate
from site_builder.deploy.recordcodec import MD5_PREFIX

RECORD_PREFIX = "_notes/deploys/"
KINDS = ("deploy", "rollback")
ID_FORMAT = "%Y%m%d-%H%M%S-%f"
ID_PATTERN = re.compile(r"^\d{8}-\d{6}-\d{6}-[0-9a-f]{4}$")
SUFFIXES = (".json.bz2", ".json.gz", ".json")  # new records first
MAX_CHAIN = 16


class RecordError(DeployError):
    """A key under ``_notes/deploys/`` that looks like a record but is not a valid one."""

    def __init__(self, key: str, why: str):
        self.key = key
        super().__init__(f"invalid deploy record {key}: {why}",
                         "move it out of _notes/deploys/ or restore an earlier version of it")


@dataclass(frozen=True, eq=False)
class FileEntry:
    """One live key as a record saw it.

    ``md5`` is the full MD5, or the prefix a stored table keeps until ``hydrate``; equality
    compares MD5s with ``md5_match``, so a record read back equals the record written.
    """

    size: int
    md5: str
    version_id: str
    content_type: str
    cache_control: str
    group: str = "lists"  # upload group, so a rollback uploads in the same safe order

    def _rest(self) -> tuple[int, str, str, str, str]:
        return self.size, self.version_id, self.content_type, self.cache_control, self.group

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileEntry):
            return NotImplemented
        return self._rest() == other._rest() and (
            self.md5 == other.md5 or md5_match(self.md5, other.md5))

    def __hash__(self) -> int:
        return hash((self._rest(), self.md5[:MD5_PREFIX]))


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
    broke_lock: dict[str, Any] | None = None  # a stale lock broken to run this operation
    asset_hash: str | None = None  # the CDK asset published (cdk deploy): CloudFormation's
    # rollback to that asset restores this record's versions exactly
    invalidation: Invalidation | None = None  # CloudFront request, when a distribution is set
    site_id: str | None = None  # the project whose site this is (``siteid``); None: unnamed
    # stored as a delta: how many deltas back to a full table (keyword-only: never positional)
    chain: int = field(default=0, compare=False, kw_only=True)

    @property
    def key(self) -> str:
        return record_key(self.id)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode("utf-8")

    def to_stored(self, base: DeployRecord | None = None) -> bytes:
        """``stored(base)``'s bytes."""
        return self.stored(base)[0]

    def stored(self, base: DeployRecord | None = None) -> tuple[bytes, int]:
        """The stored bytes (``recordcodec``: columnar JSON, bz2, MD5s cut to a prefix);
        deterministic, so a retried write can be recognised.

        With a ``base`` (the parent record), a record that changes at most half of the files
        is stored as a delta: ``base`` id, ``changed`` entries, ``removed`` keys.  After
        ``MAX_CHAIN`` deltas in a row a full table is stored again, so reading any record
        reads at most that many others.  Entries are compared as stored (MD5 prefix), so a
        parent read back (prefixes) and a new record (full MD5s) differ only where they do.
        Returns the bytes and the record's ``chain`` as stored (0: a full table).
        """
        data = asdict(replace(self, files={}))  # the table is encoded below
        del data["files"], data["chain"]
        files = {k: _stored_entry(e) for k, e in self.files.items()}
        if base is not None and base.chain < MAX_CHAIN:
            old = {k: _stored_entry(e) for k, e in base.files.items()}
            changed = {k: e for k, e in files.items() if old.get(k) != e}
            removed = sorted(set(old) - set(files))
            if len(changed) + len(removed) <= len(files) // 2:
                data.update(base=base.id, removed=removed, chain=base.chain + 1)
                files = changed
        return (recordcodec.encode(data, recordcodec.encode_table(files)),
                int(data.get("chain", 0)))

    def summary(self) -> dict[str, Any]:
        """The record without its per-file table (for ``notes history --json``)."""
        data = asdict(self)
        del data["files"], data["chain"]
        return data

    @classmethod
    def from_json(cls, raw: bytes | str,
                  resolve: Callable[[str], DeployRecord] | None = None) -> DeployRecord:
        """Parse and validate; ValueError/TypeError/KeyError say what is wrong.  ``resolve``
        reads the base record of a delta."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        if "format" in data:
            data = recordcodec.decode(data)
        if "files" not in data and "base" in data and resolve is not None:
            data["files"] = _apply_delta(data, resolve)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}  # newer fields: ignored
        for name in _REQUIRED:
            if name not in data:
                raise KeyError(name)
        raw_files = data.pop("files", None)
        if not isinstance(raw_files, dict):
            raise KeyError("files")
        files = {k: _entry(k, v) for k, v in raw_files.items()}
        inv = data.pop("invalidation", None)
        if inv:
            if not isinstance(inv, dict):
                raise TypeError("invalidation is not an object")
            data["invalidation"] = Invalidation(str(inv["distribution_id"]), str(inv["id"]),
                                                tuple(str(p) for p in inv["paths"]))
        record = cls(files=files, **data)
        _validate(record)
        return record


def _stored_entry(entry: FileEntry) -> dict[str, Any]:
    """An entry as a stored table holds it: the MD5 cut to its prefix."""
    return {"size": entry.size, "md5": entry.md5[:MD5_PREFIX], "version_id": entry.version_id,
            "content_type": entry.content_type, "cache_control": entry.cache_control,
            "group": entry.group}  # not asdict: ten times faster, and 10,000 entries


def md5_match(a: str | None, b: str | None) -> bool:
    """Whether two MD5s, each full or a stored prefix (``recordcodec.MD5_PREFIX`` hex digits
    or more), describe the same bytes: equal, or one a long enough prefix of the other."""
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return a == b or (len(short) >= MD5_PREFIX and long.startswith(short))


def hydrate(record: DeployRecord, etags: Mapping[tuple[str, str], str]) -> DeployRecord:
    """``record`` with the full MD5 of every version that ``etags`` ((key, VersionId) ->
    ETag, from ``remote.list_versions``) lists with an ETag that continues the stored prefix:
    the ETag of a single-part upload or copy is its MD5.  Versions gone from the bucket keep
    their prefix; an ETag that does not match (multipart, SSE-KMS) is not taken."""
    files = {}
    for key, entry in record.files.items():
        etag = etags.get((key, entry.version_id), "")
        if len(entry.md5) < 32 and len(etag) == 32 and md5_match(etag, entry.md5):
            entry = replace(entry, md5=etag)
        files[key] = entry
    return replace(record, files=files)


def _apply_delta(data: dict[str, Any], resolve: Callable[[str], DeployRecord]
                 ) -> dict[str, Any]:
    changed, removed = data.get("changed"), data.get("removed")
    if not isinstance(changed, dict) or not isinstance(removed, list):
        raise TypeError("a delta record needs 'changed' (object) and 'removed' (list)")
    files = {k: asdict(e) for k, e in resolve(str(data["base"])).files.items()}
    for key in removed:
        files.pop(key, None)
    files.update(changed)
    return files


_STR_FIELDS = ("id", "created", "kind", "source", "message")
_REQUIRED = (*_STR_FIELDS, "parent", "counts", "files")
_ENTRY_TYPES = {"size": int, "md5": str, "version_id": str, "content_type": str,
                "cache_control": str, "group": str}


def _entry(key: str, value: Any) -> FileEntry:
    if not isinstance(value, dict):
        raise TypeError(f"files[{key!r}] is not an object")
    for name in tuple(_ENTRY_TYPES)[:-1]:  # group has a default
        if name not in value:
            raise KeyError(f"files[{key!r}].{name}")
    for name, kind in _ENTRY_TYPES.items():
        if name in value and not isinstance(value[name], kind):
            raise TypeError(f"files[{key!r}].{name} is not a "
                            f"{'number' if kind is int else 'string'}")
    return FileEntry(**{k: v for k, v in value.items() if k in _ENTRY_TYPES})


def _validate(record: DeployRecord) -> None:
    for name in _STR_FIELDS:
        if not isinstance(getattr(record, name), str):
            raise TypeError(f"{name} is not a string")
    if record.kind not in KINDS:
        raise ValueError(f"unknown kind {record.kind!r}")
    for name in ("parent", "target", "asset_hash", "site_id"):
        if getattr(record, name) is not None and not isinstance(getattr(record, name), str):
            raise TypeError(f"{name} is not a string")
    if not isinstance(record.counts, dict) or not all(
            isinstance(v, int) for v in record.counts.values()):
        raise TypeError("counts is not an object of numbers")


def record_key(record_id: str) -> str:
    return f"{RECORD_PREFIX}{record_id}{SUFFIXES[0]}"


def parse_record(key: str, body: bytes,
                 resolve: Callable[[str], DeployRecord] | None = None) -> DeployRecord:
    """The record stored at ``key`` (bz2, gzip'd or plain), or a RecordError naming it."""
    packing = ("bz2" if body[:3] == recordcodec.MAGIC
               else "gzip" if body[:2] == b"\x1f\x8b" else None)
    try:  # bad data: OSError; cut short: EOFError; a bomb: TooLarge, before it inflates
        if packing is not None:
            body = inflate(body, packing, RECORD_LIMIT)
    except TooLarge as exc:
        raise RecordError(key, f"it inflates to {exc}: not a deploy record") from None
    except (EOFError, OSError, ValueError):
        raise RecordError(key, f"corrupt {packing} data") from None
    try:
        record = DeployRecord.from_json(body, resolve)
    except KeyError as exc:
        raise RecordError(key, f"missing {exc.args[0]!r}") from None
    except (ValueError, TypeError) as exc:
        why = ("not valid JSON" if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError)
               else str(exc))
        raise RecordError(key, why) from None
    if key.rsplit("/", 1)[-1].split(".", 1)[0] != record.id:
        raise RecordError(key, f"its id {record.id!r} does not match its key")
    return record


def new_id(now: datetime, after: str | None = None) -> tuple[str, datetime]:
    """A sortable id for ``now`` (microseconds, 4 random hex), strictly after ``after``.

    The bump matters when two operations run within one clock tick, or the clock steps back:
    history order is id order.
    """
    now = now.astimezone(UTC)
    if after:
        previous = datetime.strptime(after[:22], ID_FORMAT).replace(tzinfo=UTC)
        if now <= previous:
            now = previous + timedelta(microseconds=1)
    return f"{now.strftime(ID_FORMAT)}-{secrets.token_hex(2)}", now
