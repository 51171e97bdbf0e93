"""The build: read -> render -> link -> pages -> write -> search, each stage a module of its own.

``build_site`` is the API the CLI, ``notes serve``, the deploy commands and the CDK app call;
``_build`` only orders the stages.  Every stage before ``write`` works on values in memory
(note bodies live in the build cache as blobs, so memory stays flat as a site grows); the
write stage makes every changed file into a temporary folder and only then moves them in, so
a failed build (bad content, broken links, a template error) leaves the previous site
untouched.

Speed comes from two things.  The per-note steps (Markdown rendering, note pages) run on all
cores (``site_builder.core.parallel``), merged in input order so the output is byte-identical
to a serial build.  And the build cache (``site_builder.store``) lets a rebuild skip every
note whose file and link targets are unchanged and every page whose inputs key is unchanged:
editing one note re-renders that note and re-makes only the pages that show it.
"""

from __future__ import annotations

import os
from pathlib import Path

from site_builder.core.config import load_settings
from site_builder.core.processes import cyclic_gc_paused
from site_builder.deploy.local import refresh_site_manifest
from site_builder.deploy.manifest import manifest_path
from site_builder.markdown.render import markdown_mode
from site_builder.pipeline.link import link_index, link_stage
from site_builder.pipeline.options import BuildOptions, BuildResult
from site_builder.pipeline.pages import base_shelf, page_stage
from site_builder.pipeline.read import inputs_key, notes_for_cache, read_stage, without_bodies
from site_builder.pipeline.render import render_stage
from site_builder.pipeline.search import require_notes, search_stage
from site_builder.pipeline.write import check_out_dir, record_manifest, write_stage
from site_builder.search.pagefind import OUTPUT_SUBDIR
from site_builder.store.blobs import CacheDamaged
from site_builder.store.cache import BuildCache, fingerprint
from site_builder.store.session import CacheSession

BASE_URL_WARNING = (
    "base_url should be set in notes.toml: feed.xml and sitemap.xml use root-relative URLs "
    "until it is"
)


def build_site(opts: BuildOptions) -> BuildResult:
    """Build the whole site into ``opts.out``; raises ContentError on bad content, leaving the
    previous output untouched.  Reuses ``.notes-cache/`` unless ``opts.cache`` is False.
    Builds of one project take turns (``notes serve`` and ``notes build`` at once would
    otherwise delete each other's fresh pack files)."""
    check_out_dir(opts)
    store = BuildCache(opts.cache_dir, fingerprint(Path(opts.project_dir), opts.content))
    out = opts.out.resolve()
    start = lambda discarded: CacheSession.start(store, out, use_cache=opts.cache,
                                                 keeper=opts.keeper, discarded=discarded)
    with store.locked(), cyclic_gc_paused():
        try:
            return _build(opts, start(None), out)
        except CacheDamaged as exc:  # found while making files, before any was moved in
            return _build(opts, start(store.discard_warning(str(exc))), out)


def _build(opts: BuildOptions, session: CacheSession, out: Path) -> BuildResult:
    """One build, stage by stage, from the cache state ``session`` starts with."""
    settings, state = load_settings(Path(opts.project_dir)), session.state
    content, static = read_stage(opts, state)
    inputs = inputs_key(opts, settings, content, static)
    if session.up_to_date(inputs, out, out / OUTPUT_SUBDIR if opts.search else None):
        return _unchanged(session, out)
    state.inputs_key = None  # until this build succeeds
    warnings = [w for w in (session.warning, *settings.warnings, *content.warnings) if w]
    index = link_index(content, static)
    mode = markdown_mode(settings.raw_html, content.vault.strict_line_breaks,
                         settings.properties)
    rendered, rendered_notes = render_stage(opts, content, index, state, session.blobs, mode)
    state.notes = notes_for_cache(content, state)
    content = without_bodies(content)
    allow_broken = opts.allow_broken_links or settings.unresolved == "warn"
    links_to, link_warnings = link_stage(content, rendered, index, allow_broken,
                                         opts.broken_links_hint)
    require_notes(content, opts.search)
    bases = base_shelf(opts, content, index, rendered)
    files, prepare = page_stage(opts, settings, content, rendered, links_to, session.blobs,
                                static, bases)
    warnings += [*link_warnings, *(bases.warnings if bases else []),
                 *([] if settings.base_url else [BASE_URL_WARNING])]
    made, written, removed, fresh = write_stage(files, state, out, opts.jobs, prepare)
    deferred = opts.search and opts.defer_search
    pages = sum(1 for f in files if f.path.endswith(".html"))
    try:
        searched = not deferred and search_stage(out, state, opts.search)
        record_manifest(out, [*written, *removed], fresh, searched or not opts.search)
        total = len(files) + _count_files(out / OUTPUT_SUBDIR)
        kept = tuple(w for w in warnings if w != session.warning)  # the cache's is said once
        # Deferred, the index is not up to date yet: no "nothing to do" next time until it is.
        state.inputs_key, state.summary = None if deferred else inputs, (pages, total, kept)
    finally:
        unsaved = session.end(m.html_digest for m in rendered.values())
    return BuildResult(
        out, pages=pages, files=total, warnings=(*warnings, *filter(None, [unsaved])),
        rendered=tuple(rendered_notes), made=tuple(made), written=tuple(written),
        removed=tuple(removed), searched=searched, deferred=inputs if deferred else None)


def _unchanged(session: CacheSession, out: Path) -> BuildResult:
    """Nothing to do: the last build's result, its manifest made again if it went missing."""
    if not manifest_path(out).is_file():
        refresh_site_manifest(out)
    pages, files, kept_warnings = session.state.summary
    session.keep()
    return BuildResult(out, pages, files, tuple(kept_warnings))


def _count_files(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))
