"""The build pipeline: content -> render -> links -> pages -> output, one clear stage each.

``build_site`` is the API the CLI, ``notes serve`` and the deploy commands call; the render and
pages stages live in ``render_stage.py`` and ``page_stage.py``.  Every stage
before ``output`` works on values in memory (note bodies live in the build cache as blobs, so
memory stays flat as a site grows); the output stage makes every changed file into a temporary
folder and only then moves them in, so a failed build (bad content, broken links, a template
error) leaves the previous site untouched.

Speed comes from two things.  The per-note steps (Markdown rendering, note pages) run on all
cores (``site_builder.parallel``), merged in input order so the output is byte-identical to a
serial build.  And the build cache (``site_builder.cache``) lets a rebuild skip every note whose
file and link targets are unchanged and every page whose inputs key is unchanged: editing one
note re-renders that note and re-makes only the pages that show it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from site_builder.blobs import BlobStore, CacheDamaged
from site_builder.cache import (
    RACY_NS,
    BuildCache,
    CacheState,
    digest,
    files_digest,
    fingerprint,
    page_key,
)
from site_builder.config import Settings, load_settings
from site_builder.content import Asset, Content, load_content, load_static, pack_note
from site_builder.deploy.local import refresh_site_manifest
from site_builder.deploy.manifest import manifest_path
from site_builder.errors import ContentError
from site_builder.links import LinkIndex, backlinks, build_index, check_links
from site_builder.output import (
    OutputFile,
    commit,
    intact,
    make_file,
    needs_making,
    source_key,
    staging,
)
from site_builder.page_stage import page_stage
from site_builder.pages import tag_url
from site_builder.parallel import run_step
from site_builder.render import RenderMeta
from site_builder.render_stage import render_stage

BASE_URL_WARNING = (
    "base_url should be set in notes.toml: feed.xml and sitemap.xml use root-relative URLs "
    "until it is"
)


@dataclass(frozen=True)
class BuildOptions:
    project_dir: Path
    content_dir: Path | None = None  # default project_dir/"content"
    out_dir: Path | None = None  # default project_dir/"build"/"site"
    drafts: bool = False
    allow_broken_links: bool = False
    search: bool = True
    cache: bool = True  # False: ignore .notes-cache/ and redo everything (then refill it)
    jobs: int | None = None  # worker processes; None = all cores for large steps, 1 = serial
    # How the running command turns broken links into warnings ("fix them or <hint>"); None
    # for callers without such a flag (the CDK app), so no error suggests a flag it lacks.
    broken_links_hint: str | None = "build with --allow-broken-links to publish anyway"
    # `notes serve`: write the pages and leave the search index to the caller, which brings it
    # up to date after the browser reloaded (BuildResult.deferred, site_builder.serve.devsite).
    defer_search: bool = False
    # `notes serve`: the cache state kept in memory between builds of one long-lived process,
    # saved by the holder when it suits it (after the reload) instead of by every build.
    keeper: StateKeeper | None = field(default=None, compare=False)

    @property
    def content(self) -> Path:
        return Path(self.content_dir or Path(self.project_dir) / "content")

    @property
    def out(self) -> Path:
        return Path(self.out_dir or Path(self.project_dir) / "build" / "site")

    @property
    def cache_dir(self) -> Path:
        return Path(self.project_dir) / ".notes-cache"


class StateKeeper(Protocol):
    """Holds a build's cache state in memory between the builds of one process."""

    def take(self, store: BuildCache) -> CacheState | None:
        """A state to build from (the build may change it), or None: load it from disk."""

    def keep(self, store: BuildCache, state: CacheState) -> None:
        """The state the build ended with (its output folder changed), to save later."""


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    pages: int
    files: int
    warnings: tuple[str, ...]
    rendered: tuple[str, ...] = ()  # notes whose Markdown was rendered (content paths)
    made: tuple[str, ...] = ()  # output files made again (the rest were known unchanged)
    written: tuple[str, ...] = ()  # output files whose bytes changed
    removed: tuple[str, ...] = ()  # output files the site no longer has
    searched: bool = False  # whether the search index was rebuilt
    # defer_search: the inputs key to record once the search index is brought up to date
    deferred: str | None = None


def generated_urls(content: Content, static: Sequence[Asset] = ()) -> set[str]:
    """Pages the builder makes on its own, and the files of ``static/``, which root-absolute
    links may point at."""
    urls = {"/", "/tags/", "/search/", "/graph/"}
    urls.update(tag_url(t) for n in content.notes for t in n.tags)
    urls.update(a.url for a in static)
    return urls


def link_stage(content: Content, rendered: Mapping[str, RenderMeta], index: LinkIndex,
               allow_broken: bool, hint: str | None = None) -> tuple[dict, list[str]]:
    """Check every link; broken ones stop the build (or become warnings).  Returns the
    backlinks and the warnings."""
    by_note = [(n, rendered[n.source].links) for n in (*content.notes, *content.intros)]
    ids = {source: r.ids for source, r in rendered.items()}
    broken, ambiguous = check_links(by_note, ids, index)
    if ambiguous or (broken and not allow_broken):
        problems = ambiguous + ([] if allow_broken else broken)
        lines = [str(p) for p in problems]
        if len(lines) > 1:
            lines.append(f"{len(problems)} link problems; fix them or {hint}"
                         if hint and broken and not ambiguous
                         else f"{len(problems)} link problems")
        raise ContentError("\n".join(lines))
    warnings = [str(p) for p in broken]
    return backlinks(by_note, index), warnings


def check_out_dir(opts: BuildOptions) -> None:
    """The output folder is replaced wholesale, so it must not hold the project or the notes."""
    out = opts.out.resolve()
    for name, keep in (("the project", Path(opts.project_dir)), ("the content", opts.content)):
        keep = keep.resolve()
        if out == keep or keep.is_relative_to(out) or out.is_relative_to(opts.content.resolve()):
            raise ContentError(f"refusing to build into {out}: it would replace {name} folder")


def write_stage(files: Sequence[OutputFile], state: CacheState, out: Path, jobs: int | None,
                prepare: Callable[[], None] | None = None,
                ) -> tuple[list[str], list[str], list[str], dict[str, tuple]]:
    """Make what changed (in parallel), then move it into ``out``; returns the paths made,
    written, removed, and the written ones' manifest entries; updates ``state.outputs``.
    ``prepare`` readies what the workers share, when there are workers."""
    old = state.outputs
    todo = [f for f in files if needs_making(f, old.get(f.path), out)]
    with staging(out) as stage:
        made = run_step(lambda i: make_file(todo[i], old.get(todo[i].path), out, stage),
                        len(todo), jobs, prepare)
        written = [m.path for m in made if m.written]
        removed = commit(stage, out, written, {f.path for f in files}, set(old) or None)
    outputs = {f.path: old[f.path] for f in files if f.path in old}
    outputs.update((m.path, m.entry) for m in made)
    state.outputs = outputs
    return [m.path for m in made], written, removed, {m.path: m.manifest for m in made
                                                       if m.manifest}


def search_stage(out: Path, state: CacheState, enabled: bool) -> bool:
    """Re-index when the part of some page that Pagefind indexes changed (it has no
    incremental mode, so only the shards holding changed pages run again); True if it ran.  A
    settings, template, tags or feed edit changes every page's chrome but no note's indexed
    text, so Pagefind does not run for it.  Without search, a previous index is removed: it
    would describe pages that may be gone."""
    from site_builder.search import OUTPUT_SUBDIR, indexed_digests, pagefind_version, remove_index
    from site_builder.search_shards import scratch, update_index

    if not enabled:
        remove_index(out)
        state.search_key, state.search_pages, state.search_bundles = None, {}, {}
        return False
    with scratch() as docs:  # the changed pages' index documents, made while reading them
        state.search_pages = indexed_digests(out, state.outputs, state.search_pages, docs)
        key = page_key(pagefind_version(),
                       sorted((p, d) for p, (_, d) in state.search_pages.items() if d))
        if key == state.search_key and (out / OUTPUT_SUBDIR).is_dir():
            return False
        known = state.search_bundles if state.search_key is not None else {}
        state.search_key = None  # until it succeeds
        update = update_index(out, {p: d for p, (_, d) in state.search_pages.items()}, known,
                              docs=docs)
    state.search_bundles, state.search_key = dict(update.keys), key
    return bool(update.ran)


def _for_cache(content: Content, state: CacheState) -> dict[str, tuple]:
    """Every note (drafts included) as the cache keeps it: its stamp and packed metadata."""
    old = state.notes
    packed = {}
    for n in (*content.notes, *content.intros, *content.hidden_drafts):
        stamp = content.stamps[n.source]
        kept = old.get(n.source) if n.source in content.reused else None
        packed[n.source] = (*stamp, kept[3] if kept else pack_note(n))
    return packed


def _without_bodies(content: Content) -> Content:
    """The same content with every body dropped: rendering is done, and 5,000 bodies are
    tens of megabytes the page workers would otherwise inherit."""
    strip = lambda notes: tuple(replace(n, body="") if n.body else n for n in notes)
    return Content(strip(content.notes), strip(content.intros), content.assets, (),
                   content.stamps, content.reused, content.warnings)


def build_site(opts: BuildOptions) -> BuildResult:
    """Build the whole site into ``opts.out``; raises ContentError on bad content, leaving the
    previous output untouched.  Reuses ``.notes-cache/`` unless ``opts.cache`` is False.
    Builds of one project take turns (``notes serve`` and ``notes build`` at once would
    otherwise delete each other's fresh pack files)."""
    check_out_dir(opts)
    store = BuildCache(opts.cache_dir, fingerprint(Path(opts.project_dir), opts.content))
    with store.locked(), cyclic_gc_paused():
        try:
            return _build(opts, store)
        except CacheDamaged as exc:  # found while making files, before any was moved in
            return _build(opts, store, discarded=store.discard_warning(str(exc)))


@contextmanager
def cyclic_gc_paused(collect_after: bool = False) -> Iterator[None]:
    """No cyclic garbage collection during a build.  Every full collection walks every object
    alive: at 5,000 notes, six of them in the main process took 0.38 s, serially, while the
    other core waited, and each pool worker's one full collection walked (and so copied) the
    heap it inherited.  A build makes little cyclic garbage (rendering 1,000 notes: ~8,000
    objects, 2 MB), left to the next collection after it (``collect_after``: at once, for a
    long-lived process); a caller that paused collection itself (``notes serve``) keeps it
    paused."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
            if collect_after:
                gc.collect()


def _start_state(opts: BuildOptions, store: BuildCache, discarded: str | None,
                 out: Path) -> tuple[CacheState, str | None]:
    """The cache state a build starts from, and the warning it came with: what ``notes
    serve`` kept in memory, an empty state (``discarded``, or no cache), or the saved one.
    Outputs recorded for another output folder are forgotten."""
    kept = opts.keeper.take(store) if opts.keeper and discarded is None and opts.cache else None
    if kept is not None:
        state, warning = kept, None
    elif discarded is not None or not opts.cache:
        state, warning = CacheState(), discarded
    else:
        state, warning = store.load()
    if state.out_dir != str(out):
        state.outputs, state.search_key, state.out_dir = {}, None, str(out)
    return state, warning


def _build(opts: BuildOptions, store: BuildCache, discarded: str | None = None) -> BuildResult:
    """One build; ``discarded`` (a warning) means: start from an empty cache state."""
    project = Path(opts.project_dir)
    out = opts.out.resolve()
    settings = load_settings(project)
    state, warning = _start_state(opts, store, discarded, out)
    warnings = [warning] if warning else []
    blobs = BlobStore(store.blob_dir, state.blobs)
    content = load_content(opts.content, project, drafts=opts.drafts, known=state.notes,
                           trust_before_ns=state.saved_ns - RACY_NS)
    warnings += settings.warnings + content.warnings
    static = load_static(project)
    inputs = inputs_key(opts, settings, content, static)
    if inputs == state.inputs_key and _output_intact(out, state, opts.search):
        if not manifest_path(out).is_file():
            refresh_site_manifest(out)
        pages, files, kept_warnings = state.summary
        if opts.keeper is not None:
            opts.keeper.keep(store, state)
        return BuildResult(out, pages, files, tuple(kept_warnings))
    state.inputs_key = None  # until this build succeeds
    index = build_index(content, generated_urls(content, static))
    rendered, rendered_notes = render_stage(opts, content, index, state, blobs,
                                            settings.raw_html)
    state.notes = _for_cache(content, state)
    content = _without_bodies(content)
    links_to, link_warnings = link_stage(content, rendered, index, opts.allow_broken_links,
                                         opts.broken_links_hint)
    warnings += link_warnings
    if opts.search and not content.notes:  # Pagefind would fail after the pages are written
        from site_builder.search import NO_NOTES, SearchIndexError

        raise SearchIndexError(NO_NOTES)
    files, prepare = page_stage(opts, settings, content, rendered, links_to, blobs, static)
    if not settings.base_url:
        warnings.append(BASE_URL_WARNING)
    made, written, removed, fresh = write_stage(files, state, out, opts.jobs, prepare)
    searched, pages = False, sum(1 for f in files if f.path.endswith(".html"))
    total = len(files)
    deferred = opts.search and opts.defer_search
    try:
        searched = not deferred and search_stage(out, state, opts.search)
        # MD5s and upload groups for `notes deploy`: it re-reads only files changed since.
        refresh_site_manifest(out, [*written, *removed], fresh=fresh,
                              rescan=("pagefind",) if searched or not opts.search else ())
        total += _count_files(out / "pagefind")
        kept = tuple(w for w in warnings if w != warning)  # the cache's own is said once
        # Deferred, the index is not up to date yet: no "nothing to do" next time until it is.
        state.inputs_key, state.summary = None if deferred else inputs, (pages, total, kept)
    finally:
        blobs.compact(m.html_digest for m in rendered.values())
        if opts.keeper is not None:
            opts.keeper.keep(store, state)
        else:
            unsaved = store.save(state)
            if unsaved:
                warnings.append(unsaved)
            else:
                blobs.remove_unused()
    return BuildResult(
        out, pages=pages, files=total, warnings=tuple(warnings),
        rendered=tuple(rendered_notes), made=tuple(made), written=tuple(written),
        removed=tuple(removed), searched=searched, deferred=inputs if deferred else None)


def inputs_key(opts: BuildOptions, settings: Settings, content: Content,
               static: Sequence[Asset] = ()) -> str:
    """Digest of everything a build reads: note files (their stamps), attachments, settings,
    the project's templates, the packaged templates and styles, and the options.  The
    builder's own code is part of the cache's fingerprint.  Equal to the last build's key
    and an intact output folder: there is nothing to do."""
    templates = Path(opts.project_dir) / "templates"
    overrides = sorted((p.relative_to(templates).as_posix(), digest(p.read_bytes()))
                       for p in templates.rglob("*") if p.is_file()) if templates.is_dir() else []
    return page_key(sorted(content.stamps.items()),
                    [(a.source, source_key(a.path)) for a in content.assets], settings,
                    settings.warnings, [(a.source, source_key(a.path)) for a in static],
                    overrides, files_digest("templates/**/*", "static/**/*"), opts.drafts,
                    opts.allow_broken_links, opts.search)


def _output_intact(out: Path, state: CacheState, search: bool) -> bool:
    """Every file the last build wrote is still there, untouched (size and mtime)."""
    if search and (state.search_key is None or not (out / "pagefind").is_dir()):
        return False
    return bool(state.outputs) and all(intact(out / p, e) for p, e in state.outputs.items())


def _count_files(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))
