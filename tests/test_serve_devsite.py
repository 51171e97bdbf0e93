"""The index gate of `notes serve` as a state machine (``serve.devsite.DevSite``): over any
sequence of rebuilds (adding and removing pages, some failing after moving files in) and
background index runs (each one reads the
site while it runs, and may fail), the index is servable only when every page it names exists.
Builds are faked (a build here only moves pages in and out of a set), so thousands of
interleavings run in a second."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import site_builder.pipeline.build as build_module
from site_builder.core.errors import NotesError
from site_builder.pipeline.options import BuildOptions
from site_builder.serve import devsite
from site_builder.store.cache import CacheState

PAGES = [f"p{i}/index.html" for i in range(5)]
EXAMPLES = 400 if os.environ.get("NOTES_DEEP_TESTS") else 40


class Gate(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="devsite-"))
        self.out = self.root / "site"
        self.out.mkdir()
        self.store = SimpleNamespace(root=self.root / ".notes-cache")
        self.site = devsite.DevSite()
        self.disk = {PAGES[0]}  # pages of the built site
        self.index = {PAGES[0]}  # pages the index on disk names
        self.run: tuple | None = None  # an index run: (generation, state, inputs, pages read)

    def _build(self, add: set[str], remove: set[str], fails: bool) -> None:
        def fake_build_site(opts: BuildOptions):
            state = opts.keeper.take(self.store) or CacheState()
            removed = sorted(remove & self.disk)
            self.disk = (self.disk | add) - remove
            if self.run is not None:  # Pagefind may read a page moved in while it runs
                self.run = (*self.run[:3], self.run[3] | (add - remove))
            opts.keeper.keep(self.store, state)
            if fails:  # e.g. the deploy manifest could not be written, after the commit
                raise NotesError("disk full")
            return SimpleNamespace(removed=tuple(removed), deferred="inputs")

        saved = build_module.build_site
        build_module.build_site = fake_build_site
        try:
            self.site.build(BuildOptions(project_dir=self.root))
        except NotesError:
            assert fails
        finally:
            build_module.build_site = saved

    @rule(add=st.sets(st.sampled_from(PAGES)), remove=st.sets(st.sampled_from(PAGES)),
          fails=st.booleans())
    def rebuild(self, add: set[str], remove: set[str], fails: bool) -> None:
        self._build(add, remove, fails)

    @precondition(lambda self: self.run is None)
    @rule()
    def index_starts(self) -> None:
        started, state, inputs = self.site.snapshot()
        self.run = (started, state or CacheState(), inputs, set(self.disk))

    @precondition(lambda self: self.run is not None)
    @rule(fails=st.booleans())
    def index_ends(self, fails: bool) -> None:
        started, state, inputs, read = self.run
        self.run = None
        if fails:
            return
        self.index = read  # swapped in, whether or not a build moved files meanwhile
        self.site.adopt(started, state, inputs, self.out)

    @invariant()
    def a_servable_index_names_only_pages_that_exist(self) -> None:
        if self.site.index_servable(0):
            assert self.index <= self.disk, (self.index, self.disk)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


Gate.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=30, deadline=None)
TestIndexGate = Gate.TestCase


def test_a_failed_index_run_makes_the_next_one_start_over(tmp_path: Path) -> None:
    """After a run that failed part-way, the index on disk may be half old, half new: the next
    run must not reuse the old index's keys (search_stage then remakes everything)."""
    site = devsite.DevSite()
    store = SimpleNamespace(root=tmp_path / ".notes-cache")
    site.keep(store, CacheState(search_key="old index", search_pages={"a/index.html": ("d", "p")}))
    site.forget_index()
    _, state, _ = site.snapshot()
    assert state.search_key is None and state.search_pages == {"a/index.html": ("d", "p")}
