"""``verify``: does the live bucket still serve exactly what the latest record says?

Drift is anything changed behind the tool's back: a key the record lists that is gone
(``missing``), a live key the record does not list (``unexpected``), or a key whose live
VersionId is not the recorded one (``changed``; the ETag tells whether the bytes differ), or
whose served headers (Content-Type, Cache-Control, Content-Encoding: one HeadObject per key,
in parallel) are not the recorded ones.  A version's headers cannot change without a new
version, so the HEADs only catch records that were wrong when written; they make the report
truthful whatever wrote the record.
The next ``notes deploy`` repairs all three, because it plans against the live listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from site_builder.core.errors import DeployError
from site_builder.deploy.apply import DEFAULT_WORKERS
from site_builder.deploy.errors import aws_errors
from site_builder.deploy.plan import expected_headers
from site_builder.deploy.record import FileEntry, hydrate, md5_match
from site_builder.deploy.recordstore import latest_record
from site_builder.deploy.remote import Headers, RemoteObject, head_headers, list_versions


@dataclass(frozen=True)
class DriftReport:
    record_id: str
    checked: int  # keys in the record
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    changed: tuple[tuple[str, str], ...]  # (key, what differs)
    # keys whose recorded version itself serves other headers than recorded (a record written
    # before deploys HEADed): only `notes deploy --check-headers` looks at those
    misrecorded: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.changed)

    def lines(self) -> list[str]:
        out = [f"missing     {key}" for key in self.missing]
        out += [f"unexpected  {key}" for key in self.unexpected]
        out += [f"changed     {key} ({why})" for key, why in self.changed]
        return out


def _differences(entry: FileEntry, remote: RemoteObject, head: Headers | None) -> str:
    out = []
    if remote.version_id != entry.version_id:
        same = md5_match(remote.md5, entry.md5)
        why = "same bytes, new version" if same else "bytes differ"
        out.append(f"{why}: live {remote.version_id}, recorded {entry.version_id}")
    if head is not None and head != expected_headers(entry):
        out.append(f"headers differ: {head.diff(expected_headers(entry))}")
    return "; ".join(out)


def verify(client: Any, bucket: str, workers: int = DEFAULT_WORKERS) -> DriftReport:
    with aws_errors(bucket):
        record = latest_record(client, bucket)
        if record is None:
            raise DeployError(f"bucket {bucket!r} has no deploy records",
                              "publish with `notes deploy` first")
        live, existing = list_versions(client, bucket)
        record = hydrate(record, existing)  # full MD5s: the message says "same bytes"
        heads = head_headers(client, bucket, [k for k in record.files if k in live], workers)
    changed, misrecorded = [], []
    for key, entry in sorted(record.files.items()):
        if key in live:
            why = _differences(entry, live[key], heads.get(key))
            if why:
                changed.append((key, why))
            if why and live[key].version_id == entry.version_id:
                misrecorded.append(key)
    return DriftReport(
        record_id=record.id,
        checked=len(record.files),
        missing=tuple(sorted(set(record.files) - set(live))),
        unexpected=tuple(sorted(set(live) - set(record.files))),
        changed=tuple(changed),
        misrecorded=tuple(misrecorded),
    )
