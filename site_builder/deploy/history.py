"""Reading the deploy history (records are append-only JSON objects under ``_notes/deploys/``)."""

from __future__ import annotations

import logging
from typing import Any

from site_builder.core.errors import DeployError
from site_builder.deploy.errors import aws_errors
from site_builder.deploy.record import DeployRecord, RecordError
from site_builder.deploy.recordstore import load_record, record_ids
from site_builder.deploy.remote import list_versions

log = logging.getLogger("site_builder.deploy")


def history(client: Any, bucket: str, limit: int | None = None) -> list[DeployRecord]:
    """Records, newest first (ids sort by time).

    A record that fails validation is skipped with a one-line warning naming its key: the
    history of every other deploy stays readable (and so does the Lambda's).
    """
    records: list[DeployRecord] = []
    with aws_errors(bucket):
        for rid in record_ids(client, bucket)[::-1]:
            if limit is not None and len(records) >= limit:
                break
            try:
                records.append(load_record(client, bucket, rid))
            except RecordError as exc:
                log.warning("skipping %s", exc.what)
    return records


def resolve_id(ids: list[str], wanted: str, bucket: str) -> str:
    """An exact id or an unambiguous prefix of one (ids are long to type)."""
    if wanted in ids:
        return wanted
    matches = [rid for rid in ids if rid.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DeployError(f"no deploy record {wanted!r} in bucket {bucket!r}",
                          "see `notes history` for the ids")
    raise DeployError(f"{wanted!r} matches {len(matches)} deploy records in bucket {bucket!r}",
                      "give more of the id")


def restorable(client: Any, bucket: str, records: list[DeployRecord]) -> dict[str, bool]:
    """For each record, whether every object version it lists still exists (a rollback to it
    can succeed), from one ListObjectVersions pass."""
    with aws_errors(bucket):
        existing = list_versions(client, bucket)[1]
    return {r.id: all((key, e.version_id) in existing for key, e in r.files.items())
            for r in records}
