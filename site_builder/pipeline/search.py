"""Stage 6 of the build: the search index, re-made only where the indexed text changed.

Pagefind has no incremental mode, so only the pages changed since their shard was made run
again, in a small bundle of their own (``site_builder.search.recent``), and past a few dozen
of them the shards holding them (``site_builder.search.shards``).  A settings, template, tags or feed edit changes every
page's chrome but no note's indexed text, so Pagefind does not run for it.  Without search,
a previous index is removed: it would describe pages that may be gone.
"""

from __future__ import annotations

from pathlib import Path

from site_builder.search.index import indexed_digests, remove_index
from site_builder.search.pagefind import (
    NO_NOTES,
    OUTPUT_SUBDIR,
    SearchIndexError,
    pagefind_version,
)
from site_builder.search.recent import made_digests, pending_entries
from site_builder.search.shards import scratch, update_index
from site_builder.store.cache import CacheState, page_key
from site_builder.vault.content import Content


def require_notes(content: Content, enabled: bool) -> None:
    """With search on, at least one note: Pagefind would fail after the pages are written."""
    if enabled and not content.notes:
        raise SearchIndexError(NO_NOTES)


def search_stage(out: Path, state: CacheState, enabled: bool) -> bool:
    """Re-index when the part of some page that Pagefind indexes changed; True if the index
    changed (a Pagefind run, or only ``shards.json``: a deleted page's fragment set aside).
    Disabled, the index is removed and forgotten."""
    if not enabled:
        remove_index(out)
        state.search_key, state.search_pages, state.search_bundles = None, {}, {}
        state.search_pending = {}
        return False
    previous = {p: d for p, (_, d) in state.search_pages.items()}
    with scratch() as docs:  # the changed pages' index documents, made while reading them
        state.search_pages = indexed_digests(out, state.outputs, state.search_pages, docs)
        current = {p: d for p, (_, d) in state.search_pages.items()}
        key = page_key(pagefind_version(), sorted((p, d) for p, d in current.items() if d))
        if key == state.search_key and (out / OUTPUT_SUBDIR).is_dir():
            return False
        trusted = state.search_key is not None
        known = state.search_bundles if trusted else {}
        made = made_digests(previous, state.search_pending) if trusted else None
        drops = {p: fragment for p, (_, fragment) in state.search_pending.items() if fragment}
        state.search_key = None  # until it succeeds
        update = update_index(out, current, known, docs=docs, made=made, drops=drops)
    state.search_bundles, state.search_key = dict(update.keys), key
    state.search_pending = pending_entries(update.made, current, update.drops)
    return True
