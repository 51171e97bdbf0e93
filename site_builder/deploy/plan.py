"""The plan: a pure function from "what the site is" and "what the bucket serves" to work.

Nothing here does I/O, so the whole decision logic is tested exhaustively (see the hypothesis
test) and a dry run is the same code path as a real deploy.  Plans are made against the *live*
listing, not only the last record: an object edited or deleted by hand in the console is
uploaded again by the next deploy.

The ETag of a single-part upload is the MD5 of its bytes; a multipart ETag (``<hex>-<n>``) is
not, so for those the MD5 comes from the last record when that record describes the very same
version, and otherwise the file is re-uploaded ("md5 unknown").  The record also carries the
headers each version was uploaded with, which catches a header-only change (e.g. a new
Content-Type rule) that no listing would show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from site_builder.deploy.local import GROUP_ORDER, LocalFile
from site_builder.deploy.record import DeployRecord, FileEntry
from site_builder.deploy.remote import RemoteObject

Known = Mapping[tuple[str, str], FileEntry]  # (key, version_id) -> what a record saw


@dataclass(frozen=True)
class Upload:
    """One object to write: PUT the local bytes, or copy an old version back (rollback)."""

    key: str
    group: str
    reason: str
    size: int
    md5: str
    content_type: str
    cache_control: str
    copy_version: str | None = None  # restore this VersionId of the same key


@dataclass(frozen=True)
class Plan:
    uploads: tuple[Upload, ...]  # ordered: group by group (GROUP_ORDER), then by key
    deletes: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def is_noop(self) -> bool:
        return not self.uploads and not self.deletes

    def groups(self) -> list[tuple[str, tuple[Upload, ...]]]:
        """Uploads split into their groups, in upload order, empty groups left out."""
        out = []
        for group in GROUP_ORDER:
            members = tuple(u for u in self.uploads if u.group == group)
            if members:
                out.append((group, members))
        return out

    def summary(self) -> str:
        return (f"{len(self.uploads)} to upload, {len(self.deletes)} to delete, "
                f"{len(self.unchanged)} unchanged")


def known_versions(record: DeployRecord | None) -> dict[tuple[str, str], FileEntry]:
    """What a record knows about the versions it left live."""
    if record is None:
        return {}
    return {(key, entry.version_id): entry for key, entry in record.files.items()}


def _order(uploads: Iterable[Upload]) -> tuple[Upload, ...]:
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    return tuple(sorted(uploads, key=lambda u: (rank.get(u.group, len(rank)), u.key)))


def _upload_reason(f: LocalFile, remote: RemoteObject | None, known: Known) -> str | None:
    """Why ``f`` must be uploaded, or None when the live object already matches it."""
    if remote is None:
        return "new"
    entry = known.get((remote.key, remote.version_id))
    md5 = remote.md5 or (entry.md5 if entry else None)
    if md5 is None:
        return "md5 unknown (multipart ETag)"
    if md5 != f.md5:
        return "md5 differs"
    if entry and (entry.content_type, entry.cache_control) != (f.content_type, f.cache_control):
        return "headers differ"
    return None


def make_plan(local: Iterable[LocalFile], live: Mapping[str, RemoteObject],
              known: Known | None = None) -> Plan:
    """Make the live bucket equal the local site."""
    known = known or {}
    uploads, unchanged, keys = [], [], set()
    for f in local:
        keys.add(f.key)
        reason = _upload_reason(f, live.get(f.key), known)
        if reason is None:
            unchanged.append(f.key)
        else:
            uploads.append(Upload(f.key, f.group, reason, f.size, f.md5, f.content_type,
                                  f.cache_control))
    deletes = tuple(sorted(set(live) - keys))
    return Plan(_order(uploads), deletes, tuple(sorted(unchanged)))


def _restored(key: str, entry: FileEntry, remote: RemoteObject | None, known: Known) -> bool:
    """True when the live object of ``key`` already is (or equals) the recorded version."""
    if remote is None:
        return False
    if remote.version_id == entry.version_id:
        return True
    live_entry = known.get((key, remote.version_id))
    md5 = remote.md5 or (live_entry.md5 if live_entry else None)
    return (md5 == entry.md5 and live_entry is not None
            and (live_entry.content_type, live_entry.cache_control)
            == (entry.content_type, entry.cache_control))


def make_restore_plan(target: DeployRecord, live: Mapping[str, RemoteObject],
                      known: Known | None = None) -> Plan:
    """Make the live bucket equal what ``target`` recorded (copy old versions back)."""
    known = known or {}
    uploads, unchanged = [], []
    for key, entry in target.files.items():
        if _restored(key, entry, live.get(key), known):
            unchanged.append(key)
        else:
            uploads.append(Upload(key, entry.group, f"restore version {entry.version_id}",
                                  entry.size, entry.md5, entry.content_type,
                                  entry.cache_control, copy_version=entry.version_id))
    deletes = tuple(sorted(set(live) - set(target.files)))
    return Plan(_order(uploads), deletes, tuple(sorted(unchanged)))


def refill_expired(plan: Plan, stored: AbstractSet[tuple[str, str]],
                   local: Mapping[str, LocalFile]) -> Plan:
    """Restores whose version no longer exists (the lifecycle rule expired it) become PUTs of
    the same bytes from ``local``, when ``local`` has them (same MD5).  Others stay copies and
    fail as such: a restore never puts different bytes than the record describes."""
    uploads = []
    for u in plan.uploads:
        f = local.get(u.key)
        if u.copy_version is None or (u.key, u.copy_version) in stored or f is None \
                or f.md5 != u.md5:
            uploads.append(u)
            continue
        uploads.append(replace(u, reason=f"re-upload (version {u.copy_version} expired)",
                               copy_version=None))
    return replace(plan, uploads=tuple(uploads))
