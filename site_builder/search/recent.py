"""Pages changed since their shard was made, indexed on their own: search work in proportion to
the edit.

Pagefind has no incremental mode, so an edited note used to re-run Pagefind over its whole
shard: about 0.8 s of CPU for 256 pages, more than the whole edit-path budget of issue 28,
while a run over a few pages takes 20-30 ms.  So the shards stay as they were made, and the
pages whose indexed part changed since (edited, added or deleted) are *pending*: the edited
and added ones go into one small extra bundle, ``pagefind/recent/``, made again from all the
pending pages at each edit, and the browser sets aside what the shards still hold of every
pending page (its old fragment, named in ``shards.json``'s ``drop`` list by fragment id).
Past ``RECENT_LIMIT`` pending pages the shards holding them are made again, as before, and
the recent bundle goes: the index is then byte-identical to a clean build's.

A pending page is kept in the cache as (the digest of the indexed part its shard holds, ""
for none; the id of its fragment there, "" until looked up).  A fragment's id is a hash of
its bytes (Pagefind names each ``fragment/<id>.pf_fragment`` file so), unique within a bundle
but, at 7 hex digits, not across thousands of pages: a drop list is used only when each of
its ids names a fragment of one bundle alone (``unique_drops``), else the shards are made
again.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

RECENT = "recent"  # the bundle's folder under pagefind/
# Pagefind over 32 pages takes about 0.1 s (0.02 s for one): the most an edit pays for the
# recent bundle before the shards are made again.
RECENT_LIMIT = 32
_FRAGMENTS = "fragment"
_FRAGMENT_SUFFIX = ".pf_fragment"
_FRAGMENT_MAGIC = b"pagefind_dcd"


def made_digests(previous: Mapping[str, str], pending: Mapping[str, tuple]) -> dict[str, str]:
    """What the shard bundles hold, page -> digest of its indexed part: the digests of the
    last update (``previous``, "" for a page Pagefind skips) but for each pending page, whose
    shard holds what it had before it became pending ("" for nothing)."""
    made = {page: d for page, d in previous.items() if d}
    for page, (digest, _) in pending.items():
        if digest:
            made[page] = digest
        else:
            made.pop(page, None)
    return made


def pending_pages(made: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """The pages whose indexed part differs from what their shard holds (changed, added or
    gone), in path order."""
    return sorted(page for page in made.keys() | current.keys()
                  if made.get(page, "") != current.get(page, ""))


def pending_entries(made: Mapping[str, str], current: Mapping[str, str],
                    drops: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The cache's record of the pending pages: page -> (the digest its shard holds, its
    fragment id there); ``made_digests`` of the current digests and this gives ``made`` back."""
    return {page: (made.get(page, ""), drops.get(page, ""))
            for page in pending_pages(made, current)}


def page_url(page: str) -> str:
    """The URL Pagefind gives a page at ``page`` (a path in the site): ``a/b/index.html`` is
    ``/a/b/``, ``a/b.html`` is ``/a/b.html``."""
    if page == "index.html" or page.endswith("/index.html"):
        return "/" + page[:-len("index.html")]
    return "/" + page


def fragment_urls(bundle: Path) -> dict[str, str]:
    """URL -> fragment id over one bundle, reading only the start of each fragment (the URL is
    its first field): about 5 ms for a shard of 256 pages."""
    found: dict[str, str] = {}
    folder = bundle / _FRAGMENTS
    try:
        names = os.listdir(folder)
    except OSError:
        return found
    for name in names:
        if not name.endswith(_FRAGMENT_SUFFIX):
            continue
        url = _fragment_url((folder / name).read_bytes())
        if url is not None:
            found[url] = name[:-len(_FRAGMENT_SUFFIX)]
    return found


def _fragment_url(data: bytes) -> str | None:
    """The ``url`` a fragment starts with (``pagefind_dcd{"url":"...",``), or None."""
    try:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 4096)
    except zlib.error:
        try:
            head = gzip.decompress(data)[:4096]
        except (OSError, EOFError):
            return None
    prefix = _FRAGMENT_MAGIC + b'{"url":"'
    if not head.startswith(prefix):
        return None
    end = head.find(b'"', len(prefix))
    return head[len(prefix):end].decode("utf-8", "replace") if end > 0 else None


def find_drops(root: Path, where: Mapping[str, str], pages: Iterable[str],
               known: Mapping[str, str]) -> dict[str, str] | None:
    """page -> the id of its fragment in the shard that holds it (``where``: page -> bundle
    folder under ``root``), for the pending ``pages`` a shard holds; ``known``: ids found
    before.  None when a fragment cannot be found (the shards must be made again)."""
    drops: dict[str, str] = {}
    read: dict[str, dict[str, str]] = {}
    for page in pages:
        if page not in where:
            continue  # added since: no shard holds it
        if known.get(page):
            drops[page] = known[page]
            continue
        bundle = where[page]
        if bundle not in read:
            read[bundle] = fragment_urls(root / bundle if bundle else root)
        found = read[bundle].get(page_url(page))
        if found is None:
            return None
        drops[page] = found
    return drops


def unique_drops(bundles: Iterable[Path], drops: Mapping[str, str]) -> bool:
    """Whether each dropped id names a fragment of one bundle only (its shard's), so setting
    it aside in the merged results hides no other page (``bundles``: every bundle's folder,
    the recent one included)."""
    wanted = dict.fromkeys(drops.values(), 0)
    if len(wanted) < len(drops):
        return False  # two pending pages' fragments share an id
    for bundle in bundles:
        try:
            names = os.listdir(bundle / _FRAGMENTS)
        except OSError:
            continue
        for name in names:
            if name[:-len(_FRAGMENT_SUFFIX)] in wanted:
                wanted[name[:-len(_FRAGMENT_SUFFIX)]] += 1
    return all(count == 1 for count in wanted.values())
