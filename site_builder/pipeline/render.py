"""Stage 2 of the build: render every note the cache cannot vouch for, on all cores.

A note is rendered again when its file, a note it embeds, or (when the link index changed)
one of its links' targets changed; otherwise its metadata comes from the cache and its HTML
stays in the blob packs.  Workers write the HTML to their own pack file and send back only
the metadata and the HTML's place (``BlobRef``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from site_builder.core.parallel import run_step
from site_builder.markdown.embeds import NoteLoader
from site_builder.markdown.render import (
    RenderEntry,
    RenderMeta,
    link_urls,
    render_note,
    renderer,
    to_meta,
)
from site_builder.pipeline.options import BuildOptions
from site_builder.store.blobs import BlobRef, BlobStore
from site_builder.store.cache import CacheState, digest
from site_builder.vault.content import Content, Note, load_note
from site_builder.vault.links import LinkIndex, index_key


def _render_into(blobs: BlobStore, todo: Sequence[Note], index: LinkIndex, load: NoteLoader,
                 raw_html: str, i: int) -> tuple[RenderMeta, BlobRef, tuple[str | None, ...]]:
    """One note, in a worker: its HTML goes to the worker's pack file, its metadata, the
    HTML's place in the pack and its links' URLs (for the cache) back to the main process."""
    rendered = render_note(todo[i], index, load, raw_html=raw_html)
    name, ref = blobs.put(rendered.html)
    return to_meta(rendered, name), ref, link_urls(index, rendered.links)


def note_loader(opts: BuildOptions, content: Content) -> NoteLoader:
    """What ``![[embeds]]`` read: the note in memory, or its file when the cache kept only
    its metadata."""
    notes = {n.source: n for n in (*content.notes, *content.intros, *content.templates)}
    project = Path(opts.project_dir)

    def load(source: str) -> Note:
        note = notes.get(source)
        if note is None or source in content.reused:
            return load_note(opts.content / source, opts.content, project,
                             template=content.vault.is_template(source))
        return note

    return load


def render_digest(content: Content, source: str, embeds: Sequence[str], raw_html: str) -> str:
    """What a cached render must have been made from: the note's file digest, those of the
    notes it embeds (an edit to an embedded note renders the embedding one again), and the
    Markdown options that change its HTML (notes.toml's ``[markdown]``)."""
    file_digest = content.stamps[source].digest
    if not embeds and raw_html == "keep":
        return file_digest
    parts = [file_digest, *(content.stamps[e].digest if e in content.stamps else "-"
                            for e in embeds)]
    if raw_html != "keep":
        parts.append(f"raw_html={raw_html}")
    return digest("\n".join(parts).encode("utf-8"))


def render_stage(opts: BuildOptions, content: Content, index: LinkIndex, state: CacheState,
                 blobs: BlobStore, raw_html: str = "keep") -> tuple[dict[str, RenderMeta],
                                                                      list[str]]:
    """Render every note the cache cannot vouch for; returns every note's metadata and the
    content paths of the notes rendered."""
    stored = blobs.available()
    metas: dict[str, RenderMeta] = {}
    todo: list[Note] = []
    # Same index as last time: every link resolves as it did, no need to ask link by link.
    key = index_key(index)
    same_index = key == state.index_key
    last, unpacked = _last_unpacked[0], {}
    for note in (*content.notes, *content.intros):
        packed = state.renders.get(note.source)
        entry = None
        if packed is not None:
            seen = last.get(note.source)
            entry = seen[1] if seen is not None and seen[0] is packed else RenderEntry.unpack(packed)
            unpacked[note.source] = (packed, entry)
        file_digest = (render_digest(content, note.source, entry.meta.embeds, raw_html)
                       if entry else "")
        # An embed shows the target's links too: a changed index renders it again.
        if entry is not None and entry.meta.html_digest in stored and (
                entry.source_digest == file_digest if same_index
                else not entry.meta.embeds and entry.still_valid(file_digest, index, note)):
            metas[note.source] = entry.meta
        elif note.source in content.reused:  # metadata from the cache: read the body again
            todo.append(load_note(opts.content / note.source, opts.content, Path(opts.project_dir)))
        else:
            todo.append(note)
    load = note_loader(opts, content)
    done = run_step(partial(_render_into, blobs, todo, index, load, raw_html), len(todo),
                    opts.jobs, prepare=partial(renderer, raw_html))
    blobs.close()  # when this process rendered: a long-running `notes serve` keeps no fd
    renders = {s: e for s, e in state.renders.items() if s in metas}
    for note, (meta, ref, urls) in zip(todo, done):
        blobs.record(meta.html_digest, ref)
        metas[note.source] = meta
        renders[note.source] = RenderEntry(
            render_digest(content, note.source, meta.embeds, raw_html), meta, urls).pack()
    state.renders = renders
    state.index_key = key
    _last_unpacked[0] = unpacked
    return metas, [n.display_path for n in todo]


# source -> (packed entry, its unpacked RenderEntry) of the last call: a long-lived process
# (`notes serve`) keeps the same packed tuples build after build, so the very same object
# (``is``, never merely equal) needs no unpacking again.
_last_unpacked: list[dict[str, tuple]] = [{}]
