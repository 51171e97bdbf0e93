"""The plan: a pure function from "what the site is" and "what the bucket serves" to work.

Nothing here does I/O, so the whole decision logic is tested exhaustively (see the hypothesis
test) and a dry run is the same code path as a real deploy.  Plans are made against the *live*
listing, not only the last record: an object edited or deleted by hand in the console is
uploaded again by the next deploy.  A rollback's plan is pure too: ``make_restore_plan`` (live
-> an earlier record's versions, by CopyObject) and ``refill_expired`` (CloudFormation's
rollback re-uploads, from its asset, versions the lifecycle rule expired).

The ETag of a single-part upload is the MD5 of its bytes; a multipart ETag (``<hex>-<n>``) is
not, so for those the MD5 comes from the last record when that record describes the very same
version with a full MD5 (records stored since format 3 keep a prefix: ``record.hydrate``), and
otherwise the file is re-uploaded ("md5 unknown").  The record also carries the
headers each version was uploaded with, which catches a header-only change (e.g. a new
Content-Type rule) that no listing would show.  A live version no record knows (uploaded by
hand, or by a deploy that failed) has unknown headers: the caller HEADs those keys
(``needs_head``) and passes what S3 answered as ``heads``, so drift such as identical bytes
re-uploaded as ``binary/octet-stream`` is repaired and never recorded as ``text/html``.

Upload order (``order_waves``): readers must never follow a link to an object that is not there
yet.  A page may go live only once every *new* object it links to (a key not live in the bucket
now) is live; a link to a key that is already live is safe whatever its version.  The uploads
form a graph (page -> new targets it links to); its strongly connected components, in
dependency order, give *waves*: wave n holds what depends only on waves < n, each wave runs in
parallel and the next starts when it is complete.  Acyclic dependencies are therefore exact: no
page is ever live before a new page it links to.

Cycles cannot be ordered: a new note links to its new tag page, which lists the note; two new
notes that link each other (or are neighbours, or get each other's backlink).  The members of a
cycle are uploaded as one batch, submitted back to back at the end of their wave, after
everything else they link to is live.  The residual window: between the first member of a batch
going live and the last, a reader may follow a link from one member to another that is not yet
there.  With at most ``workers`` (16) members that is about one PUT round trip; a first deploy,
where nearly every page is in one cycle (every page links the home page, which links them), has
a window as long as its page uploads, but nothing was readable before it either.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from site_builder.deploy.local import LAST_KEYS, LocalFile
from site_builder.deploy.pagelinks import is_html, resolve
from site_builder.deploy.record import DeployRecord, FileEntry, md5_match
from site_builder.deploy.remote import Headers, RemoteObject

NEW = ""  # ``Upload.expect``: the key must have no live object
Known = Mapping[tuple[str, str], FileEntry]  # (key, version_id) -> what a record saw
Links = Mapping[str, frozenset[str]]  # page key -> the site keys it links to
Wave = tuple["Upload", ...]


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
    expect: str | None = None  # write only if the live ETag is this (NEW: if no object is live)


@dataclass(frozen=True)
class Plan:
    uploads: tuple[Upload, ...]  # in upload order: wave after wave
    deletes: tuple[str, ...]
    unchanged: tuple[str, ...]
    waves: tuple[Wave, ...] = ()  # uploads split into waves (see the module docstring)
    cycles: tuple[tuple[str, ...], ...] = ()  # keys that link each other: uploaded as a batch

    @property
    def is_noop(self) -> bool:
        return not self.uploads and not self.deletes

    def summary(self) -> str:
        return (f"{len(self.uploads)} to upload, {len(self.deletes)} to delete, "
                f"{len(self.unchanged)} unchanged")


def known_versions(record: DeployRecord | None) -> dict[tuple[str, str], FileEntry]:
    """What a record knows about the versions it left live."""
    if record is None:
        return {}
    return {(key, entry.version_id): entry for key, entry in record.files.items()}


# The primary bundle's entry and the list of shards name neither each other: no order between.
_PEERS = frozenset({"pagefind/pagefind-entry.json", "pagefind/shards.json"})


def _implicit(key: str, new: Iterable[str]) -> set[str]:
    """Links no ``href`` shows: the feed, sitemap and robots.txt point at pages.  Pagefind's
    entry file names its hashed meta file, which names the hashed index chunks and fragments,
    which point at pages: the entry file switches search to the new index, so it goes after
    all of them (until the deletions, the old index stays complete).  The same holds for each
    shard's bundle (``pagefind/shard-NN/``); ``shards.json`` lists them, so it goes after all
    of them, like the primary bundle's entry."""
    if key in LAST_KEYS and not is_html(key):
        return {k for k in new if is_html(k)}
    if key == "pagefind/shards.json" or (key.startswith("pagefind/")
                                         and key.endswith("/pagefind-entry.json")):
        bundle = key.rsplit("/", 1)[0] + "/"  # a shard's entry, or the primary's and the list
        return {k for k in new if (k.startswith(bundle) or is_html(k)) and k not in _PEERS}
    if key.startswith("pagefind/") and key.endswith(".pf_meta"):
        bundle = key.rsplit("/", 1)[0] + "/"
        return {k for k in new if k.startswith(bundle)
                and k.endswith((".pf_index", ".pf_fragment", ".pf_filter"))}
    return set()


def dependencies(keys: Iterable[str], links: Links, live: Mapping[str, object]
                 ) -> dict[str, set[str]]:
    """For each key to upload, the uploads that must be live before it: the keys it links to
    that are not live now (a live target stays readable while its new version goes up)."""
    keys = set(keys)
    new = {k for k in keys if k not in live}
    deps: dict[str, set[str]] = {}
    for key in keys:
        targets = {resolve(t, keys) for t in links.get(key, ()) if resolve(t, live) is None}
        targets |= _implicit(key, new)
        deps[key] = {t for t in targets if t in new and t != key}
    return deps


def _components(deps: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each after every component it
    depends on: that is already a valid upload order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(deps):
        if root in index:
            continue
        work = [(root, iter(sorted(deps[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for nxt in targets:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(deps[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    out.append(sorted(component))
    return out


def order_waves(uploads: Iterable[Upload], links: Links, live: Mapping[str, object]
                ) -> tuple[tuple[Wave, ...], tuple[tuple[str, ...], ...]]:
    """The uploads in waves (see the module docstring), and the cycles batched inside them."""
    by_key = {u.key: u for u in uploads}
    deps = dependencies(by_key, links, live)
    level: dict[str, int] = {}
    waves: list[tuple[list[str], list[list[str]]]] = []  # (single keys, cycles) per wave
    for component in _components(deps):
        outside = {d for k in component for d in deps[k]} - set(component)
        n = 1 + max((level[d] for d in outside), default=-1)
        for k in component:
            level[k] = n
        while len(waves) <= n:
            waves.append(([], []))
        if len(component) == 1:
            waves[n][0].append(component[0])
        else:
            waves[n][1].append(component)
    ordered = tuple(tuple(by_key[k] for k in sorted(single) + [k for c in cycles for k in c])
                    for single, cycles in waves)
    cycles = tuple(tuple(c) for _, wave_cycles in waves for c in wave_cycles)
    return ordered, cycles


def ordered_plan(uploads: Iterable[Upload], deletes: Iterable[str], unchanged: Iterable[str],
                 links: Links, live: Mapping[str, object]) -> Plan:
    waves, cycles = order_waves(uploads, links, live)
    return Plan(tuple(u for wave in waves for u in wave), tuple(sorted(deletes)),
                tuple(sorted(unchanged)), waves, cycles)


def conditional(plan: Plan, live: Mapping[str, RemoteObject]) -> Plan:
    """The plan with each upload's ``expect`` set from ``live`` (the latest record, trusted
    without a listing): a PUT that finds another object than the record names fails instead
    of overwriting it (``apply.Drifted``), so drift on every key a deploy touches is caught by
    the writes themselves.  Order and waves are kept."""

    def expecting(u: Upload) -> Upload:
        remote = live.get(u.key)
        return replace(u, expect=NEW if remote is None else remote.etag)

    return replace(plan, uploads=tuple(expecting(u) for u in plan.uploads),
                   waves=tuple(tuple(expecting(u) for u in wave) for wave in plan.waves))


def expected_headers(f: LocalFile | FileEntry) -> Headers:
    """The headers a deploy gives an object (never a Content-Encoding)."""
    return Headers(f.content_type, f.cache_control, "")


def _upload_reason(f: LocalFile, remote: RemoteObject | None, known: Known,
                   heads: Mapping[str, Headers]) -> str | None:
    """Why ``f`` must be uploaded, or None when the live object already matches it."""
    if remote is None:
        return "new"
    entry = known.get((remote.key, remote.version_id))
    md5 = remote.md5 or (entry.md5 if entry and len(entry.md5) == 32 else None)  # not a prefix
    if md5 is None:
        return "md5 unknown (multipart ETag)"
    if md5 != f.md5:
        return "md5 differs"
    seen = heads.get(f.key) or (expected_headers(entry) if entry else None)  # HEAD wins
    if seen is None:
        return "headers unknown (live version not in the record)"
    if seen != expected_headers(f):
        return f"headers differ: {seen.diff(expected_headers(f))}"
    return None


def needs_head(local: Iterable[LocalFile], live: Mapping[str, RemoteObject],
               known: Known) -> list[str]:
    """Keys whose live bytes match but whose live version no record knows: only a HEAD can
    tell their headers (cheap: after a clean deploy there are none)."""
    out = []
    for f in local:
        remote = live.get(f.key)
        if remote is not None and (f.key, remote.version_id) not in known and remote.md5 == f.md5:
            out.append(f.key)
    return out


def make_plan(local: Iterable[LocalFile], live: Mapping[str, RemoteObject],
              known: Known | None = None, links: Links | None = None,
              heads: Mapping[str, Headers] | None = None) -> Plan:
    """Make the live bucket equal the local site (``links``: see ``order_waves``)."""
    known, heads = known or {}, heads or {}
    uploads, unchanged, keys = [], [], set()
    for f in local:
        keys.add(f.key)
        reason = _upload_reason(f, live.get(f.key), known, heads)
        if reason is None:
            unchanged.append(f.key)
        else:
            uploads.append(Upload(f.key, f.group, reason, f.size, f.md5, f.content_type,
                                  f.cache_control))
    return ordered_plan(uploads, set(live) - keys, unchanged, links or {}, live)


def _restored(key: str, entry: FileEntry, remote: RemoteObject | None, known: Known) -> bool:
    """True when the live object of ``key`` already is (or equals) the recorded version."""
    if remote is None:
        return False
    if remote.version_id == entry.version_id:
        return True
    live_entry = known.get((key, remote.version_id))
    md5 = remote.md5 or (live_entry.md5 if live_entry else None)
    return (md5_match(md5, entry.md5) and live_entry is not None
            and (live_entry.content_type, live_entry.cache_control)
            == (entry.content_type, entry.cache_control))


def make_restore_plan(target: DeployRecord, live: Mapping[str, RemoteObject],
                      known: Known | None = None, links: Links | None = None) -> Plan:
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
    return ordered_plan(uploads, set(live) - set(target.files), unchanged, links or {}, live)


def refill_expired(plan: Plan, stored: Collection[tuple[str, str]],
                   local: Mapping[str, LocalFile]) -> Plan:
    """Restores whose version no longer exists (the lifecycle rule expired it) become PUTs of
    the same bytes from ``local``, when ``local`` has them (same size and MD5; a stored record
    keeps a 48-bit MD5 prefix, which no listing can complete for a gone version).  Others stay
    copies and fail as such: a restore never puts different bytes than the record describes.
    The order (uploads and waves) is kept: only how each file gets its bytes changes."""

    def refilled(u: Upload) -> Upload:
        f = local.get(u.key)
        if u.copy_version is None or (u.key, u.copy_version) in stored or f is None \
                or f.size != u.size or not md5_match(f.md5, u.md5):
            return u
        return replace(u, reason=f"re-upload (version {u.copy_version} expired)",
                       copy_version=None, md5=f.md5)

    return replace(plan, uploads=tuple(refilled(u) for u in plan.uploads),
                   waves=tuple(tuple(refilled(u) for u in wave) for wave in plan.waves))
