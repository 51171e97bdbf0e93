"""The search index of a built site, made by Pagefind: the entry point of ``search/``.

Pagefind runs over the finished HTML and writes a static index plus its UI under ``pagefind/``;
the browser does the searching, so no server and no CDN are involved.  Drafts are never built,
so they are never indexed.  The index is a pure function of the HTML: Pagefind 1.5 names its
files by content hash and writes byte-identical output for identical input, so an unchanged
site uploads nothing new.

The index is made in shards, one Pagefind bundle each (``site_builder.search.shards``), so an
edit re-runs Pagefind over a few hundred pages; ``reindex`` is the call for anyone holding a
built site (the build itself goes through ``shards.update_index`` with its cached digests).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from site_builder.search.pagefind import OUTPUT_SUBDIR, SearchIndexError
from site_builder.search.shards import IndexUpdate, read_pages, scratch, update_index
from site_builder.store.cache import OutputEntry


def indexed_digests(out: Path, outputs: Mapping[str, OutputEntry],
                    known: Mapping[str, tuple], docs: Path) -> dict[str, tuple]:
    """Per HTML page: (its file digest, the digest of what Pagefind indexes of it, "" for a
    page it skips).  Only pages whose bytes changed since ``known`` are read again, on all
    cores, leaving their index documents in ``docs`` for ``update_index``."""
    found, todo = {}, []
    for path, entry in outputs.items():
        if not path.endswith(".html"):
            continue
        kept = known.get(path)
        if kept is not None and kept[0] == entry.digest:
            found[path] = kept
        else:
            todo.append(path)
    read = read_pages(out, todo, docs)
    found.update((path, (outputs[path].digest, read[path])) for path in todo)
    return found


def html_pages(out_dir: Path) -> list[Path]:
    """Every ``.html`` file of the site outside ``pagefind/``, in path order (``os.scandir``
    knows most entries' types without a ``stat``: a sixth of the time ``rglob`` and its
    per-page parent checks took over 5,000 pages)."""
    found: list[str] = []
    index = os.path.join(out_dir, OUTPUT_SUBDIR)
    folders = [str(out_dir)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.path != index:
                        folders.append(entry.path)
                elif entry.name.endswith(".html") and entry.is_file():
                    found.append(entry.path)
    return [Path(p) for p in sorted(found)]


def build_index(out_dir: Path) -> int:
    """Index the built site in ``out_dir`` into ``out_dir/pagefind`` from scratch; return pages
    indexed.  Reads every page; the build keeps digests and calls ``update_index`` instead.

    Raises ``SearchIndexError`` (a ``NotesError``) with one line saying what went wrong and how to
    fix it: no HTML, no page marked for indexing, Pagefind missing or failing, or nothing indexed.
    """
    out_dir = Path(out_dir)
    pages = html_pages(out_dir) if out_dir.is_dir() else []
    if not pages:
        raise SearchIndexError(
            f"search index: no HTML pages in {out_dir} to index (build the site first)"
        )
    return _index_pages(out_dir, pages, {}).pages


def reindex(out_dir: Path, known: Mapping[str, str] | None = None) -> IndexUpdate:
    """(Re)index the built site in ``out_dir``, re-running Pagefind only for the shards whose
    pages changed since the call that returned ``known`` (None: every shard).  For a server
    that indexes in the background after each rebuild: keep the result's ``keys`` for the
    next call.  Reads every page (~0.05 s per 1,000 on two cores); the build uses its cached
    digests."""
    out_dir = Path(out_dir)
    return _index_pages(out_dir, html_pages(out_dir), known or {})


def _index_pages(out_dir: Path, pages: list[Path], known: Mapping[str, str]) -> IndexUpdate:
    """``update_index`` over ``pages`` read from disk: each read once, on all cores, its small
    copy for Pagefind left in a scratch folder and moved in from there."""
    with scratch() as docs:
        found = read_pages(out_dir, [p.relative_to(out_dir).as_posix() for p in pages], docs)
        return update_index(out_dir, found, known, docs=docs)


def remove_index(out_dir: Path) -> None:
    """Remove a previous index (a build without search must not keep a stale one)."""
    shutil.rmtree(Path(out_dir) / OUTPUT_SUBDIR, ignore_errors=True)

