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
from site_builder.vault.content import Note
from site_builder.vault.links import Link, LinkIndex, href_for, resolve_wiki

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
    stack: tuple[str, ...] = ()  # sources being embedded, outermost first (loop detection)
    links: list[Link] = field(default_factory=list)  # one wiki link per note embed
    embeds: set[str] = field(default_factory=set)  # every source inlined, transitively
    raw_html: str = "keep"  # notes.toml [markdown] raw_html: embedded notes render the same way
    # Renders an embedded note inside this render: (note, index, load, stack, raw_html) ->
    # its RenderedNote; set by the renderer (render_nested), which this module cannot import.
    nested: Callable[..., Any] | None = None

    def start(self, note: Note, index: LinkIndex, load: NoteLoader | None,
              stack: tuple[str, ...]) -> None:
        self.note, self.index, self.load = note, index, load
        self.stack = (*stack, note.source)
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
        name = target.split("#")[0].strip()
        size = SIZE.match(alias)
        if name.lower().endswith(BASE_EXTENSION):
            return base_embed(self.state, self.md, target.strip(), line)
        if posixpath.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
            alt = f"{SIZE_MARK}{alias.strip()}" if size else (alias or posixpath.basename(name))
            return f"![[{target}|{alt}]]"
        if not name.lower().endswith(".md") and posixpath.splitext(name)[1]:
            return f"[[{match.group(2)}]]"  # an attachment (pdf, ...): a plain link to it
        return self._embed(target.strip(), line)

    def _embed(self, target: str, line: int) -> str:
        state = self.state
        note, index = state.note, state.index
        link = resolve_wiki(index, note.source, target, line)
        anchor = link.anchor
        if link.target is None or not link.target.endswith(".md") or state.load is None:
            state.links.append(link)
            return ""
        if link.target in state.stack:
            chain = " -> ".join((*state.stack[state.stack.index(link.target):], link.target))
            raise ContentError(f"embed loop: {chain}", note.display_path, line)
        embedded = state.load(link.target)
        part = (embedded.body, 0, None) if not anchor else split_sections(embedded.body, anchor)
        if part is None:
            state.links.append(link)  # the link check reports the missing heading or block
            return ""
        state.links.append(link._replace(anchor=part[2]))
        sub = replace(embedded, body=part[0], body_line=embedded.body_line + part[1])
        inner = state.nested(sub, index, state.load, state.stack, state.raw_html)
        state.embeds.update((link.target, *inner.embeds))
        title = embedded.title if not anchor else f"{embedded.title} › {anchor.lstrip('^')}"
        href = href_for(index.targets[link.target].url, part[2])
        body = _HEADERLINK.sub("", _STRIP_IDS.sub("", inner.html))
        # Kept out of the search index: a search finds the embedded text in its own note.
        html_ = (f'<div class="embed" data-pagefind-ignore><p class="embed-title">'
                 f'<a href="{html.escape(href)}">{html.escape(title)}</a></p>\n{body}\n</div>')
        return "\n" + self.md.htmlStash.store(html_) + "\n"


# -- Bases: ``![[X.base]]`` / ``![[X.base#View]]`` ------------------------------------------
# A Base shows the notes its filters select, so it cannot be drawn while one note renders:
# the embed leaves this placeholder, the page stage fills it (``site_builder.bases``), and the
# Base's source goes into ``embeds``, which is how the page stage knows the page shows it.

BASE_EXTENSION = ".base"
BASE_PLACEHOLDER = re.compile(r'<div class="base-embed" data-base="([^"]*)" data-view="([^"]*)">'
                              r"</div>")


def base_placeholder(source: str, view: str) -> str:
    return (f'<div class="base-embed" data-base="{html.escape(source)}" '
            f'data-view="{html.escape(view)}"></div>')


def base_embed(state: EmbedState, md: Markdown, target: str, line: int) -> str:
    """The placeholder for a Base embed; a Base that is not there is a broken link."""
    name, _, view = target.partition("#")
    link = resolve_wiki(state.index, state.note.source, name, line)
    state.links.append(link)
    if link.target is None or not link.target.lower().endswith(BASE_EXTENSION):
        return ""
    state.embeds.add(link.target)
    return "\n" + md.htmlStash.store(base_placeholder(link.target, view.strip())) + "\n"
