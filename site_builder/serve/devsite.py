"""``notes serve``'s rebuild loop state: the build cache kept in memory, the search index
brought up to date in the background, and the gate that keeps a stale index from being served.

Why: Pagefind re-reads the whole site (seconds at 5,000 notes), while writing the pages of a
one-note edit takes a fraction of a second.  So a rebuild writes the pages without the search
step (``BuildOptions.defer_search``), the open tabs reload at once, and a background thread
then runs the build's own ``search_stage`` over a copy of the cache state and swaps the new
index in (Pagefind writes into a temporary folder that is then synced into ``pagefind/``).
Edits saved while it runs are coalesced into one more run.  Until it is done, search answers
from the previous index, which may lack the latest words but only names pages that exist...

...unless a rebuild removed pages (a note deleted, renamed, made a draft, given another slug).
Then the previous index points at pages that are gone, so the server *hides* it: requests under
``/pagefind/`` wait (up to ``INDEX_WAIT_SECONDS``) for an index made after the removal, and get
a 404 if none comes.  Requests also wait while a rebuild is moving files in, since it may be
removing pages.  The reload never waits for the index.

The cache state (``CacheState``) stays in this process between builds (``BuildOptions.keeper``)
instead of being read from and written to ``.notes-cache/`` by every build; it is saved after
the reload, off the path from save to reload.  Each build works on a copy, so a failed build
leaves the last good state.  If another process (a ``notes build`` in another terminal) saved
the cache meanwhile, the next build reads that one instead.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from site_builder.core.errors import NotesError
from site_builder.search.pagefind import OUTPUT_SUBDIR
from site_builder.store.cache import STATE_FILE

if TYPE_CHECKING:
    from site_builder.pipeline.options import BuildOptions
    from site_builder.serve.stores import Store, StoredObject
    from site_builder.store.cache import BuildCache, CacheState

INDEX_PREFIX = f"{OUTPUT_SUBDIR}/"
INDEX_NICE = 5  # how much lower the background index runs than the rebuilds (see below)
INDEX_WAIT_SECONDS = 20.0  # how long a search request waits for an index without removed pages

Say = Callable[[str], None]


def _copy(state: CacheState) -> CacheState:
    """A copy a build (or the indexer) may change freely: every table copied, values shared
    (they are tuples and strings)."""
    return replace(state, **{f.name: dict(getattr(state, f.name)) for f in fields(state)
                             if isinstance(getattr(state, f.name), dict)})


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class DevSite:
    """One `notes serve` session's build state, shared by the rebuild loop (writer), the
    background indexer and the website's search requests (readers), under one condition."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._state: CacheState | None = None
        self._store: BuildCache | None = None
        self._saved: tuple[int, int, int] | None = None  # state file stamp after our save
        self.generation = 0  # builds whose files were moved in
        self._removal_generation = 0  # the last build that removed pages
        self._building = False
        self._index_safe = True  # the index on disk names no page that is gone
        self._index_wanted = False  # an index run was asked for and has not begun yet
        self._index_busy = False  # an index run is wanted or running
        self._closed = False
        self.pending_inputs: str | None = None  # BuildResult.deferred of the last build

    # -- BuildOptions.keeper ---------------------------------------------------------------
    def take(self, store: BuildCache) -> CacheState | None:
        with self._cond:
            self._store = store
            if self._state is None or _stamp(store.root / STATE_FILE) != self._saved:
                self._state = None  # never kept, or another process saved since: use its
                return None
            return _copy(self._state)

    def keep(self, store: BuildCache, state: CacheState) -> None:
        with self._cond:
            self._store, self._state = store, state
            self.generation += 1
            self._cond.notify_all()

    # -- the rebuild loop ------------------------------------------------------------------
    def build(self, opts: BuildOptions):
        """``build_site(opts)`` with the state kept here; search requests wait meanwhile."""
        from site_builder.pipeline.build import build_site

        with self._cond:
            self._building = True
            before = self.generation
        removed = None
        try:
            result = build_site(replace(opts, keeper=self))
            removed = any(p.endswith(".html") for p in result.removed)
            if result.deferred is not None:
                self.pending_inputs = result.deferred
            return result
        finally:
            with self._cond:
                self._building = False
                if removed is None and self.generation != before:
                    removed = True  # failed after moving files in: they may have removed pages
                if removed:
                    self._removal_generation = self.generation
                    self._index_safe = False
                self._cond.notify_all()

    def save(self) -> str | None:
        """Write the kept state to ``.notes-cache/`` (a warning if it cannot be written)."""
        from site_builder.store.blobs import BlobStore

        with self._cond:
            store = self._store
        if store is None:
            return None
        # The cache's lock first, then ours, as a build takes them: no build runs meanwhile
        # (``remove_unused`` would delete the pack a running build appends to).
        with store.locked(), self._cond:
            state = self._state
            if state is None:
                return None
            unsaved = store.save(state)
            if unsaved is None:
                BlobStore(store.blob_dir, state.blobs).remove_unused()
                self._saved = _stamp(store.root / STATE_FILE)
            return unsaved

    # -- the indexer -----------------------------------------------------------------------
    def snapshot(self) -> tuple[int, CacheState | None, str | None]:
        """(generation, a copy of the state, its pending inputs key), between builds."""
        with self._cond:
            self._cond.wait_for(lambda: not self._building)
            state = _copy(self._state) if self._state is not None else None
            return self.generation, state, self.pending_inputs

    def adopt(self, started: int, state: CacheState, inputs: str | None, out: Path) -> bool:
        """An index run that began at generation ``started`` finished with ``state``.  True
        when no build moved files in meanwhile: the index matches the site, the state is
        adopted.  Otherwise the swapped-in index may mix two sites: forget its key (the next
        run must run Pagefind) and return False."""
        from site_builder.deploy.local import refresh_site_manifest

        with self._cond:
            self._cond.wait_for(lambda: not self._building)
            if self._removal_generation <= started:
                self._index_safe = True  # the run began after the last removal
            current = self._state
            if current is None:
                return True
            if self.generation != started:
                current.search_key = None
                current.search_pages = state.search_pages
                self._cond.notify_all()
                return False
            state.saved_ns = current.saved_ns
            if inputs is not None and inputs == self.pending_inputs:
                state.inputs_key = inputs
            self._state = state
            refresh_site_manifest(out, [], rescan=(OUTPUT_SUBDIR,))
            self._cond.notify_all()
            return True

    def forget_index(self) -> None:
        """An index run failed part-way: what is on disk may be neither the old index nor the
        new one, so the next run must not trust the old one's keys (as a failed build does)."""
        with self._cond:
            if self._state is not None:
                self._state.search_key = None

    def want_index(self) -> None:
        with self._cond:
            self._index_wanted = self._index_busy = True
            self._cond.notify_all()

    def next_index_run(self) -> bool:
        """Wait for a wanted index run; False when the session is closing."""
        with self._cond:
            self._cond.wait_for(lambda: self._index_wanted or self._closed)
            self._index_wanted = False
            return not self._closed

    def index_done(self) -> None:
        """A run ended; the index is idle unless another one was wanted meanwhile."""
        with self._cond:
            self._index_busy = self._index_wanted
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- the website -----------------------------------------------------------------------
    def index_servable(self, timeout: float) -> bool:
        """Wait (up to ``timeout``) until no build is moving files and the index names no
        page that is gone; False if that does not happen (or no index run is coming)."""
        def ready() -> bool:
            return not self._building and (self._index_safe or not self._index_busy)

        with self._cond:
            self._cond.wait_for(ready, timeout=timeout)
            return not self._building and self._index_safe


class SearchIndexer:
    """The background thread that brings the search index up to date after each reload."""

    def __init__(self, site: DevSite, out: Path, say: Say, say_error: Say) -> None:
        self.site, self.out = site, Path(out)
        self.say, self.say_error = say, say_error
        self._thread = threading.Thread(target=self._loop, name="notes-search-index",
                                        daemon=True)

    def start(self) -> SearchIndexer:
        self._thread.start()
        return self

    def request(self) -> None:
        """The site changed: update the index (once, however many requests come meanwhile)."""
        self.site.want_index()

    def close(self, timeout: float = 10.0) -> None:
        self.site.close()
        self._thread.join(timeout)

    def _loop(self) -> None:
        _lower_priority()
        while self.site.next_index_run():
            try:
                again = self._run_once()
            except Exception as exc:  # noqa: BLE001 - e.g. the manifest could not be written
                self.say_error(_error_line(exc))
                again = False
            if again:
                self.site.want_index()
            self.site.index_done()

    def _run_once(self) -> bool:
        """One index run; True when it must run again (a build moved files in meanwhile)."""
        from site_builder.pipeline import search

        started, state, inputs = self.site.snapshot()
        if state is None:
            return False
        began = time.monotonic()
        try:
            ran = search.search_stage(self.out, state, True)
        except Exception as exc:  # noqa: BLE001 - the server outlives a failed index
            self.site.forget_index()
            if self.site.generation != started:
                return True  # files moved under Pagefind's feet: run again on the new site
            self.say_error(_error_line(exc))
            return False
        if not self.site.adopt(started, state, inputs, self.out):
            return True
        unsaved = self.site.save()
        if unsaved:
            self.say_error(f"Warning: {unsaved}")
        if ran:
            self.say(f"Search index updated in {time.monotonic() - began:.2f}s")
        return False


def _lower_priority() -> None:
    """Run this thread, and the Pagefind it starts (a child inherits the thread's nice value on
    Linux), below the rebuild loop: an edit saved while the index catches up still reloads
    at full speed."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), INDEX_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at the same priority
        pass


def _error_line(exc: Exception) -> str:
    """One line: what failed, and that the server goes on (the house rule for a bug, a
    traceback written to a log, still holds)."""
    tail = "search shows the previous index; the next save tries again"
    if isinstance(exc, NotesError):
        return f"Error: {exc} ({tail})"
    from site_builder.core.crash import describe

    first, *rest = describe(exc, "the search index")
    log = f" {rest[0]}" if rest else ""
    return f"{first} ({tail}).{log}"


class GatedStore:
    """A store whose ``pagefind/`` files are served only while the index is safe to use."""

    def __init__(self, inner: Store, site: DevSite) -> None:
        self.inner, self.site = inner, site

    def _hidden(self, key: str) -> bool:
        return key.startswith(INDEX_PREFIX) and not self.site.index_servable(INDEX_WAIT_SECONDS)

    def get(self, key: str, *, if_none_match: str | None = None,
            body: bool = True) -> StoredObject | None:
        if self._hidden(key):
            return None
        return self.inner.get(key, if_none_match=if_none_match, body=body)

    def exists(self, key: str) -> bool:
        return not self._hidden(key) and self.inner.exists(key)
