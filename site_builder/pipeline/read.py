"""Stage 1 of the build: read the notes, the attachments and ``static/``.

Reading is cheap where nothing changed: a note whose size and mtime match what the cache
recorded keeps its parsed metadata (``Content.reused``) and its body is read again only if it
must be rendered.  The stage also says what the build read (``inputs_key``): equal to the
last build's key, with its output intact, there is nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from site_builder.core.config import Settings
from site_builder.pipeline.options import BuildOptions
from site_builder.store.cache import RACY_NS, CacheState, digest, files_digest, page_key
from site_builder.store.output import source_key
from site_builder.vault.content import Asset, Content, pack_note
from site_builder.vault.load import load_content, load_static
from site_builder.vault.walk import walk


def read_stage(opts: BuildOptions, state: CacheState) -> tuple[Content, tuple[Asset, ...]]:
    """The content folder's notes and attachments (trusting the cache's record of files
    unchanged since before its last save), and the project's ``static/`` files."""
    project = Path(opts.project_dir)
    content = load_content(opts.content, project, drafts=opts.drafts,
                           known=state.notes, trust_before_ns=state.saved_ns - RACY_NS)
    if (project / "templates").is_dir():  # rendered into every page: the same link rules
        walk(project / "templates", "templates/", within=project)
    return content, load_static(project)


def inputs_key(opts: BuildOptions, settings: Settings, content: Content,
               static: Sequence[Asset] = ()) -> str:
    """Digest of everything a build reads: note files (their stamps), attachments, settings,
    the project's templates, the packaged templates and styles, the vault's .obsidian/
    settings, and the options.  The
    builder's own code is part of the cache's fingerprint.  Equal to the last build's key
    and an intact output folder: there is nothing to do."""
    templates = Path(opts.project_dir) / "templates"
    overrides = sorted((p.relative_to(templates).as_posix(), digest(p.read_bytes()))
                       for p in templates.rglob("*") if p.is_file()) if templates.is_dir() else []
    return page_key(sorted(content.stamps.items()),
                    [(a.source, source_key(a.path)) for a in content.assets], settings,
                    settings.warnings, [(a.source, source_key(a.path)) for a in static],
                    overrides, files_digest("site/templates/**/*", "site/static/**/*"),
                    opts.drafts, opts.allow_broken_links, opts.search, content.vault)


def notes_for_cache(content: Content, state: CacheState) -> dict[str, tuple]:
    """Every note (drafts included) as the cache keeps it: its stamp and packed metadata."""
    old = state.notes
    packed = {}
    for n in (*content.notes, *content.intros, *content.hidden_drafts, *content.templates):
        stamp = content.stamps[n.source]
        kept = old.get(n.source) if n.source in content.reused else None
        packed[n.source] = (*stamp, kept[3] if kept else pack_note(n))
    return packed


def without_bodies(content: Content) -> Content:
    """The same content with every body dropped: rendering is done, and 5,000 bodies are
    tens of megabytes the page workers would otherwise inherit."""
    strip = lambda notes: tuple(replace(n, body="") if n.body else n for n in notes)
    return replace(content, notes=strip(content.notes), intros=strip(content.intros),
                   hidden_drafts=(), templates=())
