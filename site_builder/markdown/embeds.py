"""Obsidian's embeds: ``![[note]]``, ``![[note#Heading]]``, ``![[note#^block]]``, ``![[a.png]]``.

An embed inlines the *rendered* target (rendered by a nested renderer, so its own relative
links, math and code come out exactly as on its page) and records a wiki link to it: a missing
target is a broken link reported like any other, with the embedding file and line.  The
sources an embed pulled in are recorded on the render (``embeds``) so the build cache renders
the embedding note again whenever one of them changes.  The nested renderer is handed in
(``EmbedState.nested``) by ``site_builder.markdown.render``, which builds on this module.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from markdown import Markdown
from markdown.extensions.toc import slugify_unicode
from markdown.preprocessors import Preprocessor

from site_builder.core.errors import ContentError
from site_builder.markdown.fences import code_aware, fenced
from site_builder.markdown.images import IMAGE_EXTENSIONS, SIZE, SIZE_MARK
from site_builder.markdown.media import BASE_EXTENSION, EMBEDDED_FILES, media_html
from site_builder.vault.content import Note
from site_builder.vault.links import EMBED, Link, LinkIndex, href_for, resolve_wiki

NoteLoader = Callable[[str], Note]  # content-relative source -> the note with its body


_EMBED = re.compile(r"(`+)[^`].*?\1|!\[\[([^\[\]\n]+?)\]\]")


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")


_STRIP_IDS = re.compile(r'\sid="[^"]*"')


_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')


@dataclass
class EmbedState:
    """Per-render scratch space (reset before every note, like ``LinkState``)."""

    note: Note | None = None
    index: LinkIndex | None = None
    load: NoteLoader | None = None
    stack: tuple[str, ...] = ()  # "source#anchor" being embedded, outermost first (loops)
    links: list[Link] = field(default_factory=list)  # one wiki link per note embed
    embeds: set[str] = field(default_factory=set)  # every source inlined, transitively
    raw_html: str = "keep"  # notes.toml [markdown] raw_html: embedded notes render the same way
    # Renders an embedded note inside this render: (note, index, load, stack, raw_html) ->
    # its RenderedNote; set by the renderer (render_nested), which this module cannot import.
    nested: Callable[..., Any] | None = None

    def start(self, note: Note, index: LinkIndex, load: NoteLoader | None,
              stack: tuple[str, ...]) -> None:
        """``stack``: the parts being embedded, outermost first, each "source#anchor" (the
        anchor empty for a whole note); a note rendered on its own page is its whole."""
        self.note, self.index, self.load = note, index, load
        self.stack = stack or (f"{note.source}#",)
        self.links, self.embeds = [], set()


def split_sections(body: str, anchor: str) -> tuple[str, int, str] | None:
    """The part of ``body`` an embed ``#anchor`` names: (markdown, line offset, heading id).

    ``^id`` is the paragraph ending in ``^id``; anything else is a heading, matched by its text
    or its id, with everything up to the next heading of the same or a higher level."""
    lines = body.split("\n")
    if anchor.startswith("^"):
        for i, line in enumerate(lines):
            if line.rstrip().endswith(" " + anchor) or line.strip() == anchor:
                start = i
                while start > 0 and lines[start - 1].strip():
                    start -= 1
                return "\n".join(lines[start:i + 1]), start, anchor
        return None
    wanted = anchor.strip().lower()
    level, start, slug = 0, -1, ""
    for i, line in _outside_fences(lines):
        match = _HEADING.match(line)
        if not match:
            continue
        depth = len(match.group(1))
        if start >= 0 and depth <= level:
            return "\n".join(lines[start:i]), start, slug
        text = match.group(2).strip()
        if start < 0 and wanted in (text.lower(), slugify_unicode(text, "-")):
            start, level, slug = i, depth, slugify_unicode(text, "-")
    return ("\n".join(lines[start:]), start, slug) if start >= 0 else None


def _outside_fences(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, line) for i, line, in_code in fenced(lines) if not in_code]


class EmbedPreprocessor(Preprocessor):
    """``![[note]]`` -> the rendered note (or section, or block) in a ``div.embed``;
    ``![[a.png|300]]`` -> a sized image (the wiki-link preprocessor then makes the <img>)."""

    def __init__(self, md: Markdown, state: EmbedState):
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        if not any("![[" in line for line in lines):
            return lines
        at = self.state.note.body_line
        return code_aware(lines, lambda line, i: _EMBED.sub(
            lambda m: self._replace(m, at + i), line) if "![[" in line else line)

    def _replace(self, match: re.Match[str], line: int) -> str:
        if match.group(2) is None:
            return match.group(0)  # a code span
        target, _, alias = match.group(2).partition("|")
        target = target.removesuffix("\\")  # ![[a.png\|300]] in a table
        name = target.split("#")[0].strip()
        size = SIZE.match(alias)
        kind = posixpath.splitext(name)[1].lower()
        if kind in IMAGE_EXTENSIONS:
            alt = f"{SIZE_MARK}{alias.strip()}" if size else (alias or posixpath.basename(name))
            return f"![[{target}|{alt}]]"
        if kind in EMBEDDED_FILES:
            return self._file(target.strip(), kind, line)
        if kind and kind != ".md":
            return f"[[{match.group(2)}]]"  # another attachment (zip, ...): a plain link to it
        return self._embed(target.strip(), line)

    def _file(self, target: str, kind: str, line: int) -> str:
        """Audio, video, a PDF or a Base: its player, viewer or note (``media``)."""
        state = self.state
        if kind == BASE_EXTENSION:  # drawn by the page stage (site_builder.bases)
            return base_embed(state, self.md, target, line)
        link = resolve_wiki(state.index, state.note.source, target, line, EMBED)
        name = posixpath.basename(target.split("#")[0].strip())
        state.links.append(link)
        if link.target is None:
            return ""
        url = href_for(state.index.targets[link.target].url, link.anchor)
        return "\n" + self.md.htmlStash.store(media_html(kind, url, name)) + "\n"

    def _embed(self, target: str, line: int) -> str:
        state = self.state
        note, index = state.note, state.index
        link = resolve_wiki(index, note.source, target, line, EMBED)
        anchor = target.partition("#")[2].strip()
        if link.target is None or not link.target.endswith(".md") or state.load is None \
                or link.problem:
            state.links.append(link)
            return ""
        # A section of the note being shown is fine; showing the same part again is a loop.
        part_key = f"{link.target}#{link.anchor or ''}"
        stack = state.stack
        if part_key in stack:
            chain = " -> ".join(k.removesuffix("#") for k in (*stack[stack.index(part_key):],
                                                               part_key))
            raise ContentError(f"embed loop: {chain}", note.display_path, line)
        embedded = state.load(link.target)
        part = (embedded.body, 0, None) if not anchor else split_sections(
            embedded.body, link.anchor or anchor)
        if part is None:
            state.links.append(link)  # the link check reports the missing heading or block
            return ""
        state.links.append(link._replace(anchor=part[2]))
        sub = replace(embedded, body=part[0], body_line=embedded.body_line + part[1])
        inner = state.nested(sub, index, state.load, (*stack, part_key), state.raw_html)
        state.embeds.update((link.target, *inner.embeds))
        title = embedded.title if not anchor else f"{embedded.title} › {anchor.lstrip('^')}"
        target = index.targets[link.target]
        href = href_for(target.url, part[2])
        body = _HEADERLINK.sub("", _STRIP_IDS.sub("", inner.html))
        # A template is shown, never linked to: it has no page.
        head = html.escape(title) if target.hidden else \
            f'<a href="{html.escape(href)}">{html.escape(title)}</a>'
        # Kept out of the search index: a search finds the embedded text in its own note.
        html_ = (f'<div class="embed" data-pagefind-ignore><p class="embed-title">{head}</p>\n'
                 f'{body}\n</div>')
        return "\n" + self.md.htmlStash.store(html_) + "\n"


# -- Bases: ``![[X.base]]`` / ``![[X.base#View]]`` ------------------------------------------
# A Base shows the notes its filters select, so it cannot be drawn while one note renders:
# the embed leaves this placeholder, the page stage fills it (``site_builder.bases``), and the
# Base's source goes into ``embeds``, which is how the page stage knows the page shows it.
# The Base's file may sit in the templates folder: embeds find it there, nothing of it is
# published but what the page draws.

BASE_PLACEHOLDER = re.compile(r'<div class="base-embed" data-base="([^"]*)" data-view="([^"]*)">'
                              r"</div>")


def base_placeholder(source: str, view: str) -> str:
    return (f'<div class="base-embed" data-base="{html.escape(source)}" '
            f'data-view="{html.escape(view)}"></div>')


def base_embed(state: EmbedState, md: Markdown, target: str, line: int) -> str:
    """The placeholder for a Base embed; a Base that is not there is a broken link."""
    name, _, view = target.partition("#")
    link = resolve_wiki(state.index, state.note.source, name, line, EMBED)
    state.links.append(link)
    if link.target is None or not link.target.lower().endswith(BASE_EXTENSION):
        return ""
    state.embeds.add(link.target)
    return "\n" + md.htmlStash.store(base_placeholder(link.target, view.strip())) + "\n"
