"""The search index in shards, so an edit re-indexes a few hundred pages, not the whole site.

Pagefind has no incremental mode: a run reads every page it is given and writes a whole bundle.
So the indexed pages are split into shards by a stable hash of their output path (the count a
power of two, about ``PAGES_PER_SHARD`` pages each; one shard, one bundle, for small sites),
each shard is its own Pagefind bundle, and a build re-runs only the shards whose pages' indexed
parts changed (a removed page changes its shard's key too, so it is never found again).
Shards run side by side, one per core up to four (``_JOBS``), each on a few hundred pages:
small enough to bound Pagefind's memory (about 0.2 MB per page, one process per shard).

Layout: the first non-empty shard is the primary bundle, ``pagefind/`` as before (the UI
scripts, the WebAssembly and its own index); every other shard is ``pagefind/shard-NN/`` with
only what a merged index loads (entry, meta, index chunks, fragments, filters); and
``pagefind/shards.json`` lists those bundle paths for the browser, which merges them with
Pagefind's ``mergeIndex`` (results from all shards sorted by score).
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

from site_builder.core.parallel import run_step
from site_builder.search import pagefind, parts, recent
from site_builder.search.pagefind import OUTPUT_SUBDIR, SearchIndexError, pagefind_version
from site_builder.search.parts import page_parts, part_digest
from site_builder.store.cache import page_key
from site_builder.store.output import same_bytes, temp_folder

PAGES_PER_SHARD = 256
SHARDS_FILE = "shards.json"
# Pagefind's API with every bundle merged in and the drop list applied: what the pages load.
MERGED_DIR = "merged"
MERGED_SCRIPT = f"{MERGED_DIR}/pagefind.js"
SHARD_PREFIX = "shard-"
_JOBS = max(1, min(4, os.cpu_count() or 1))  # a Pagefind run is single-threaded in effect
# What a merged (non-primary) bundle is read for; the UI scripts and WebAssembly come from
# the primary bundle.
_SHARD_KEEPS = ("pagefind-entry.json", "index", "fragment", "filter")
_SHM, _SHM_ROOM = "/dev/shm", 256 * 2**20  # a few shards' small pages need a few MB


@dataclass(frozen=True)
class IndexUpdate:
    """What ``update_index`` did: the key of every bundle now on disk (pass it back next
    time), the bundles Pagefind re-made ("" is the primary), the pages indexed, what the
    shard bundles hold (page -> digest: ``made`` for the next call) and the fragment ids
    the browser sets aside (page -> id; see ``site_builder.search.recent``)."""

    keys: Mapping[str, str]
    ran: tuple[str, ...]
    pages: int
    made: Mapping[str, str] = field(default_factory=dict)
    drops: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Layout:
    """The bundles an update leaves: shards (as ``plan_bundles`` names them) holding ``made``,
    plus the recent bundle of ``recent`` pages, and the fragments ``drops`` sets aside."""

    plan: Mapping[str, tuple[str, ...]]
    keys: Mapping[str, str]
    made: Mapping[str, str]
    drops: Mapping[str, str]


def shard_count(pages: int) -> int:
    """The smallest power of two that keeps shards at most ``PAGES_PER_SHARD`` pages on
    average.  It changes only when the site crosses a threshold (then every shard is re-made)."""
    count = 1
    while pages > count * PAGES_PER_SHARD:
        count *= 2
    return count


def shard_of(path: str, count: int) -> int:
    """The shard of one page: a hash of its output path, so it stays put while other pages
    come and go (Python's own ``hash`` is salted per process)."""
    number = int.from_bytes(hashlib.blake2b(path.encode("utf-8"), digest_size=8).digest(), "big")
    return number % count


def plan_bundles(indexed: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Bundle folder (relative to ``pagefind/``, "" for the primary) -> its pages, for the
    pages with an indexed part (``indexed``: page -> digest, "" for a page Pagefind skips)."""
    pages = sorted(p for p, d in indexed.items() if d)
    count = shard_count(len(pages))
    shards: dict[int, list[str]] = {}
    for page in pages:
        shards.setdefault(shard_of(page, count), []).append(page)
    numbers = sorted(shards)
    width = len(str(count - 1))
    return {("" if n == numbers[0] else f"{SHARD_PREFIX}{n:0{width}d}"): tuple(shards[n])
            for n in numbers}


def bundle_keys(plan: Mapping[str, tuple[str, ...]], indexed: Mapping[str, str]
                ) -> dict[str, str]:
    """Per bundle: a digest of the Pagefind version, its folder and its pages' indexed parts;
    equal keys mean Pagefind would write the same bundle."""
    version = pagefind_version()
    return {name: page_key(version, name, [(p, indexed[p]) for p in pages])
            for name, pages in plan.items()}


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder where Pagefind's input pages go (see ``_scratch_dir``)."""
    folder = temp_folder("notes-pagefind-", _scratch_dir())
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_pages(out_dir: Path, pages: Sequence[str], docs: Path, jobs: int | None = None
               ) -> dict[str, str]:
    """Each page read once, on all cores: page -> digest of its indexed part ("" for a page
    Pagefind skips), its index document left in ``docs`` (a ``scratch()`` folder) for
    ``update_index(..., docs=docs)`` to move in.  A cold index reads every page; reading each
    twice, in one process, was about a fifth of it at 5,000 pages."""
    return dict(zip(pages, run_step(partial(_read_page, Path(out_dir), pages, docs),
                                    len(pages), jobs)))


def _read_page(out_dir: Path, pages: Sequence[str], docs: Path, i: int) -> str:
    page = pages[i]
    try:
        with open(os.path.join(out_dir, page), "rb") as f:
            part, doc = page_parts(f.read())
        if doc is not None:
            doc_path(docs, page).write_bytes(doc)
    except OSError as exc:
        raise _copy_error(page, docs, exc) from exc
    return part_digest(part)


def doc_path(docs: Path, page: str) -> Path:
    """Where ``read_pages`` leaves a page's index document: one flat folder, named by a hash
    of the page's path, so reading makes no folder per page and clearing the scratch folder
    has none to remove (each page of the site is a folder of its own: 0.1 s per 5,000)."""
    name = hashlib.blake2b(page.encode("utf-8"), digest_size=16).hexdigest()
    return docs / (name + ".html")


def update_index(out_dir: Path, indexed: Mapping[str, str], known: Mapping[str, str],
                 docs: Path | None = None, made: Mapping[str, str] | None = None,
                 drops: Mapping[str, str] | None = None) -> IndexUpdate:
    """Bring ``out_dir/pagefind`` up to date with the pages' indexed parts (``indexed``: every
    HTML page -> digest of its indexed part, "" for a page Pagefind skips), re-running
    Pagefind only for bundles whose key is not in ``known`` (the keys the last update
    returned; {} re-makes all).  Every bundle is made in a temporary folder first; only
    when all succeeded do they replace the old ones, so a failure leaves the old index whole.

    ``made`` and ``drops``: the last update's, when the shards may stay as they are and the
    pages changed since go into the recent bundle (``site_builder.search.recent``); None
    makes every shard from ``indexed``, as a clean build does.

    A server that indexes in the background calls ``index.reindex`` (this, over digests read
    from disk) after each rebuild, passing back the keys the last call returned.
    ``docs``: where ``read_pages`` left index documents (moved in, not made again)."""
    out_dir = Path(out_dir)
    current = {p: d for p, d in indexed.items() if d}
    if not current:
        raise SearchIndexError(
            f"search index: none of the {len(indexed)} built HTML pages has a "
            "data-pagefind-body element, so there is nothing to index "
            "(publish at least one note, or build with --no-search)")
    root = out_dir / OUTPUT_SUBDIR
    layout = _recent_layout(root, current, known, made, drops or {}) if made is not None \
        else None
    layout = layout or _clean_layout(current)
    todo = [name for name in layout.keys if known.get(name) != layout.keys[name]
            or not (root / name / "pagefind-entry.json").is_file()]
    # Bundles beside the output (moved in by rename); the pages Pagefind reads in scratch.
    work = temp_folder(".pagefind-", out_dir.resolve().parent)
    try:
        side_by_side = _JOBS > 1 and len(todo) > 1
        pages = {**layout.plan, recent.RECENT: _recent_pages(layout, current)}
        with scratch() as sites, ThreadPoolExecutor(max_workers=_JOBS) as pool:
            made_now = list(pool.map(lambda name: _make_bundle(
                out_dir, sites / (name or "primary"), work / (name or "primary"), pages[name],
                len(indexed), not name, docs, side_by_side), todo))
        if layout.drops and not recent.unique_drops(
                [root / name for name in layout.plan if name not in todo]
                + made_now + ([root / recent.RECENT] if recent.RECENT in layout.keys
                              and recent.RECENT not in todo else []),
                layout.drops):
            return update_index(out_dir, indexed, known, docs)  # an id in two bundles
        for name, bundle in zip(todo, made_now):
            sync_tree(bundle, root / name, keep=_shard_paths if name == "" else None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_stale_shards(root, layout.keys)
    _write_if_changed(root / SHARDS_FILE, _shards_json(layout))
    _write_if_changed(root / MERGED_SCRIPT, _merged_script())
    return IndexUpdate(layout.keys, tuple(todo), len(current), layout.made, layout.drops)


def _clean_layout(current: Mapping[str, str]) -> _Layout:
    """Every page in its shard, no recent bundle: what a clean build makes."""
    plan = plan_bundles(current)
    return _Layout(plan, bundle_keys(plan, current), current, {})


def _recent_layout(root: Path, current: Mapping[str, str], known: Mapping[str, str],
                   made: Mapping[str, str], drops: Mapping[str, str]) -> _Layout | None:
    """The shards left as the last update made them and the pending pages in the recent
    bundle, or None when the shards must be made again: a shard not as ``made`` says, the
    site past a shard-count threshold, a shard emptied or a new one needed, more than
    ``RECENT_LIMIT`` pending pages, or a fragment to set aside not found."""
    if not made or shard_count(len(made)) != shard_count(len(current)):
        return None
    plan = plan_bundles(made)
    if set(plan) != set(plan_bundles(current)):
        return None  # a shard emptied, or a first page for an empty one
    keys = bundle_keys(plan, made)
    if any(known.get(name) != key or not (root / name / "pagefind-entry.json").is_file()
           for name, key in keys.items()):
        return None
    pending = recent.pending_pages(made, current)
    if len(pending) > recent.RECENT_LIMIT:
        return None
    where = {page: name for name, pages in plan.items() for page in pages}
    found = recent.find_drops(root, where, pending, drops)
    if found is None:
        return None
    fresh = [(p, current[p]) for p in pending if p in current]
    if fresh:
        keys = {**keys, recent.RECENT: page_key(pagefind_version(), recent.RECENT, fresh)}
    return _Layout(plan, keys, made, found)


def _recent_pages(layout: _Layout, current: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(p for p in recent.pending_pages(layout.made, current) if p in current)


def _make_bundle(out_dir: Path, site: Path, bundle: Path, pages: tuple[str, ...], total: int,
                 primary: bool, docs: Path | None = None, side_by_side: bool = False) -> Path:
    """Run Pagefind over ``pages`` only, in a folder of their own at the same paths (so their
    URLs are the site's): each page as ``parts.index_document`` makes it, else a hard link
    (a copy where links fail).  ``side_by_side``: other runs share the cores (see
    ``pagefind.SIDE_BY_SIDE``).  Returns the bundle folder."""
    try:
        _write_pages(out_dir, site, pages, docs)
        pagefind.run_pagefind(site, bundle, side_by_side)
    finally:
        shutil.rmtree(site, ignore_errors=True)  # this run's pages, no longer needed
    if pagefind.indexed_pages(bundle) == 0:
        raise SearchIndexError(
            f"search index: Pagefind indexed 0 of {total} built HTML pages "
            "(check that note pages put their text inside data-pagefind-body)")
    if not primary:
        _prune_shard(bundle)
    return bundle


def _write_pages(out_dir: Path, site: Path, pages: tuple[str, ...], docs: Path | None) -> None:
    """Pagefind's input pages.  Pagefind makes a page's URL from its file path as it is, so
    each page goes in at its percent-encoded path: the index then holds ``/c%23/``, which a
    browser follows to ``c#/index.html`` (``/c#/`` would be ``/c`` and a fragment)."""
    try:
        for page in pages:
            target = site / quote(page, safe="/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if docs is not None and _move_in(doc_path(docs, page), target):
                continue
            small = parts.index_document((out_dir / page).read_bytes())
            if small is not None:
                target.write_bytes(small)
                continue
            try:
                os.link(out_dir / page, target)
            except OSError:
                shutil.copyfile(out_dir / page, target)
    except OSError as exc:
        raise _copy_error(page, site.parent, exc) from exc


def _copy_error(page: str, where: Path, exc: OSError) -> SearchIndexError:
    return SearchIndexError(
        f"search index: could not copy {page} for Pagefind into {where}: "
        f"{exc.strerror or exc} (set TMPDIR to a folder with room, or build with --no-search)")


def _move_in(doc: Path, target: Path) -> bool:
    """Move a page's index document made by ``read_pages`` in; False when there is none
    (a page read earlier, or one ``index_document`` cannot shrink)."""
    try:
        os.rename(doc, target)
        return True
    except OSError:
        return False


def _scratch_dir() -> str | None:
    """Where the pages Pagefind reads are written: ``$TMPDIR`` when set, else ``/dev/shm`` when
    it has room (memory: thousands of small folders made and removed on a busy disk cost about
    a second of CPU per 1,000 pages, against a tenth in memory), else the system default."""
    if os.environ.get("TMPDIR"):
        return None
    try:
        room = os.statvfs(_SHM)
        if room.f_bavail * room.f_frsize >= _SHM_ROOM and os.access(_SHM, os.W_OK):
            return _SHM
    except OSError:
        pass
    return None


def _shard_paths(rel: str) -> bool:
    """Files in ``pagefind/`` that belong to the shards, not to the primary bundle."""
    return rel.startswith((SHARD_PREFIX, recent.RECENT + "/", MERGED_DIR + "/")) \
        or rel == SHARDS_FILE


def _prune_shard(bundle: Path) -> None:
    """Drop what a merged bundle never loads (the UI scripts and styles, the WebAssembly):
    moved into a folder beside the bundle that goes when the update ends, not deleted now.
    (On ext4 without a journal every file created after a deletion steps over the freed
    inodes for a minute: deleting ~340 files while other shards write 5,000 cost them.)"""
    pruned = bundle.parent / f".pruned-{bundle.name}"
    for path in bundle.iterdir():
        keep = path.name in _SHARD_KEEPS or path.suffix == ".pf_meta"
        if not keep:
            pruned.mkdir(exist_ok=True)
            path.rename(pruned / path.name)


def _remove_stale_shards(root: Path, bundles: Mapping[str, str]) -> None:
    if root.is_dir():
        for path in root.iterdir():
            if (path.name.startswith(SHARD_PREFIX) or path.name == recent.RECENT) \
                    and path.name not in bundles:
                shutil.rmtree(path)


def _shards_json(layout: _Layout) -> bytes:
    """The list the browser merges: every bundle but the primary, the recent one last, and
    the fragments of the shards to set aside (``site_builder.search.recent``)."""
    names = sorted(name for name in layout.plan if name)
    names += [recent.RECENT] if recent.RECENT in layout.keys else []
    listed = {"bundles": [f"/{OUTPUT_SUBDIR}/{name}/" for name in names],
              "drop": sorted(layout.drops.values())}
    return (json.dumps(listed) + "\n").encode("utf-8")


def _merged_script() -> bytes:
    """The module the site's search loads instead of ``pagefind.js`` (see its comment)."""
    return (Path(__file__).resolve().parent / "merged.js").read_bytes()


def _write_if_changed(path: Path, data: bytes) -> None:
    """Unchanged bytes keep their mtime, so the deploy manifest need not re-hash the file."""
    if same_bytes(path, data):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def sync_tree(src: Path, dest: Path, keep: Callable[[str], bool] | None = None) -> None:
    """Make ``dest`` hold exactly ``src``'s files: identical files are left alone, changed
    and new ones moved in, missing ones removed, except paths ``keep`` (given a path relative
    to ``dest``) says belong to someone else.  A ``dest`` that does not exist yet (a cold
    index) is ``src`` renamed: one rename, not one per file."""
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src, dest)
        return
    wanted = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}
    if dest.is_dir():
        for path in sorted(dest.rglob("*"), reverse=True):
            rel = path.relative_to(dest).as_posix()
            if keep is not None and keep(rel):
                continue
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif rel not in wanted:
                path.unlink()
    for rel in sorted(wanted):
        target = dest / rel
        if target.is_file() and filecmp.cmp(src / rel, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src / rel, target)
