"""How a deploy record is stored (format 3): columnar JSON, bz2, a short MD5 fingerprint.

Why: at 5,000 notes (about 10,600 files) a full table of gzip'd JSON objects was 715 KB, and
most of it cannot be compressed at all: a 32-character VersionId (~24 random bytes) and an MD5
(16) per file.  The VersionId must stay (it is what a rollback copies back).  The MD5 need not:
every version a record lists was written by a single-part PutObject or CopyObject, whose ETag
*is* the MD5 of its bytes, and every reader that needs MD5s lists the versions anyway
(rollback, verify), so ``record.hydrate`` gets the full MD5 back from the ETag.  The table keeps
only the first ``MD5_PREFIX`` hex digits (48 bits): enough to check that an ETag really is this
MD5 (a multipart or SSE-KMS ETag is not) and, when a version has expired and no listing has it,
that the bytes CloudFormation's rollback would upload again are the recorded ones.

Layout: one JSON object, ``{"format": 3, <record fields>, "table": {...}}`` (a delta has
``base``, ``removed``, ``chain`` and its ``table`` holds only the changed entries).  The table
is columnar, keys sorted: ``shared``/``suffix`` (front coding: characters shared with the
previous key, then the rest), ``size``, ``version``, ``md5``, and ``type`` indexes into
``types`` (the distinct content type, cache control, upload group triples).  Each large column
is compressed as its own bz2 stream and the streams are concatenated: a column of random
VersionIds does not spoil the compression of the paths next to it, and the object stays a
plain multi-stream ``.json.bz2`` (``bunzip2 < record.json.bz2`` prints the JSON).
``bench/record_size.py`` measures the sizes.
"""

from __future__ import annotations

import bz2
import json
from typing import Any

FORMAT = 3
MD5_PREFIX = 12  # hex digits of the MD5 a stored table keeps (48 bits)
MAGIC = b"BZh"  # every bz2 stream starts so
_SINGLE_STREAM = 32_768  # below this many bytes of JSON one stream is smaller than several
_COLUMNS = ("shared", "suffix", "size", "version", "md5", "type")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def encode_table(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The columns of ``files`` ({key: entry fields}, MD5s already cut to the prefix)."""
    table: dict[str, Any] = {name: [] for name in _COLUMNS}
    types: dict[tuple[str, str, str], int] = {}
    previous = ""
    for key in sorted(files):
        entry = files[key]
        shared = 0
        limit = min(len(previous), len(key))
        while shared < limit and previous[shared] == key[shared]:
            shared += 1
        kind = (entry["content_type"], entry["cache_control"], entry["group"])
        table["shared"].append(shared)
        table["suffix"].append(key[shared:])
        table["size"].append(entry["size"])
        table["version"].append(entry["version_id"])
        table["md5"].append(entry["md5"])
        table["type"].append(types.setdefault(kind, len(types)))
        previous = key
    table["types"] = [list(kind) for kind in types]
    return table


def decode_table(table: Any) -> dict[str, dict[str, Any]]:
    """{key: entry fields} from the columns; TypeError/ValueError say what is malformed."""
    if not isinstance(table, dict):
        raise TypeError("table is not an object")
    for name in (*_COLUMNS, "types"):
        if not isinstance(table.get(name), list):
            raise TypeError(f"table.{name} is not a list")
    count = len(table["suffix"])
    if any(len(table[name]) != count for name in _COLUMNS):
        raise ValueError("table columns differ in length")
    types = table["types"]
    if not all(isinstance(t, list) and len(t) == 3 and all(isinstance(s, str) for s in t)
               for t in types):
        raise TypeError("table.types is not a list of [content type, cache control, group]")
    files: dict[str, dict[str, Any]] = {}
    key = ""
    for shared, suffix, size, version, md5, kind in zip(
            *(table[name] for name in _COLUMNS), strict=True):
        if not (isinstance(shared, int) and 0 <= shared <= len(key)
                and isinstance(suffix, str)):
            raise ValueError(f"table: bad key after {key!r}")
        if not isinstance(kind, int) or not 0 <= kind < len(types):
            raise ValueError(f"table: bad type index for {key[:shared] + suffix!r}")
        key = key[:shared] + suffix
        content_type, cache_control, group = types[kind]
        files[key] = {"size": size, "md5": md5, "version_id": version,
                      "content_type": content_type, "cache_control": cache_control,
                      "group": group}
    return files


def encode(fields: dict[str, Any], table: dict[str, Any]) -> bytes:
    """The stored bytes: ``fields`` (the record without its files) plus ``table``.

    Deterministic (sorted keys, bz2 has no timestamp): the same record always gives the same
    bytes, so a retried write can be recognised."""
    head = {**fields, "format": FORMAT}
    small = {k: v for k, v in table.items() if k not in _COLUMNS}
    parts = [_compact(head)[:-1] + ',"table":' + _compact(small)[:-1]]
    parts += [f',"{name}":{_compact(table[name])}' for name in _COLUMNS]
    parts[-1] += "}}"
    if sum(len(p) for p in parts) < _SINGLE_STREAM:
        return bz2.compress("".join(parts).encode("utf-8"), 9)
    return b"".join(bz2.compress(p.encode("utf-8"), 9) for p in parts)


def decode(data: dict[str, Any]) -> dict[str, Any]:
    """A parsed format-3 object as the older JSON layout (``files``, or a delta's
    ``changed``), which ``DeployRecord.from_json`` validates."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown record format {data.get('format')!r} (written by a newer "
                         "notes? upgrade it)")
    out = {k: v for k, v in data.items() if k not in ("format", "table")}
    out["changed" if "base" in data else "files"] = decode_table(data.get("table"))
    return out
