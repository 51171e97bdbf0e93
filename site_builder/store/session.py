"""One build's use of the build cache: the state it starts from, and what it leaves behind.

The pipeline reads and updates ``session.state`` stage by stage (which notes were parsed,
rendered, written); this module decides everything around that: where the state comes from
(kept in memory by a long-lived ``notes serve``, loaded from ``.notes-cache/``, or empty when
the cache was discarded or is not wanted), whether the last build's output is still exactly
what this build would write, and, when the build ends, which note bodies the pack files keep
and whether the state is saved or handed back to its keeper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from site_builder.store.blobs import BlobStore
from site_builder.store.cache import BuildCache, CacheState
from site_builder.store.output import intact


class StateKeeper(Protocol):
    """Holds a build's cache state in memory between the builds of one process."""

    def take(self, store: BuildCache) -> CacheState | None:
        """A state to build from (the build may change it), or None: load it from disk."""

    def keep(self, store: BuildCache, state: CacheState) -> None:
        """The state the build ended with (its output folder changed), to save later."""


@dataclass
class CacheSession:
    """The cache as one build sees it: its state, its note bodies, and the warning (if any)
    that came with the state (a cache found damaged and discarded)."""

    cache: BuildCache
    state: CacheState
    blobs: BlobStore
    warning: str | None
    keeper: StateKeeper | None = None

    @classmethod
    def start(cls, cache: BuildCache, out: Path, *, use_cache: bool,
              keeper: StateKeeper | None, discarded: str | None) -> CacheSession:
        """The state a build starts from, and the warning it came with: what ``notes serve``
        kept in memory, an empty state (``discarded``, or no cache), or the saved one.
        Outputs recorded for another output folder are forgotten."""
        kept = keeper.take(cache) if keeper and discarded is None and use_cache else None
        if kept is not None:
            state, warning = kept, None
        elif discarded is not None or not use_cache:
            state, warning = CacheState(), discarded
        else:
            state, warning = cache.load()
        if state.out_dir != str(out):
            state.outputs, state.search_key, state.out_dir = {}, None, str(out)
        return cls(cache, state, BlobStore(cache.blob_dir, state.blobs), warning, keeper)

    def up_to_date(self, inputs: str, out: Path, index_dir: Path | None) -> bool:
        """Whether the last build read exactly these inputs and every file it wrote is still
        there, untouched (size and mtime); ``index_dir``: the search index it must have made
        (None without search)."""
        state = self.state
        if inputs != state.inputs_key:
            return False
        if index_dir is not None and (state.search_key is None or not index_dir.is_dir()):
            return False
        return bool(state.outputs) and all(intact(out / p, e) for p, e in state.outputs.items())

    def keep(self) -> None:
        """Hand the state to its keeper (a build that found nothing to do)."""
        if self.keeper is not None:
            self.keeper.keep(self.cache, self.state)

    def end(self, bodies: Iterable[str]) -> str | None:
        """The build is over (made or failed while writing): the pack files keep ``bodies``
        (the digests of every note's HTML), and the state goes to its keeper or is saved.
        Returns a warning when it could not be saved."""
        self.blobs.compact(bodies)
        if self.keeper is not None:
            self.keeper.keep(self.cache, self.state)
            return None
        unsaved = self.cache.save(self.state)
        if not unsaved:
            self.blobs.remove_unused()
        return unsaved
