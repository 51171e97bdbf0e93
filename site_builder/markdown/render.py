"""Markdown -> HTML, one note at a time: the entry point of our Markdown dialect.

``render_note(note, index)`` is a pure function of its arguments (the Markdown instance is a
per-process cache, reset before each note), so a later process pool can call it in workers.
Reusing one ``Markdown`` object with ``reset()`` avoids rebuilding every extension per note,
which is most of Python-Markdown's per-call cost.
"""

from __future__ import annotations

import html
import importlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import markdown
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.nl2br import Nl2BrExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify_unicode
from pymdownx.details import DetailsExtension
from pymdownx.magiclink import MagiclinkExtension
from pymdownx.mark import MarkExtension
from pymdownx.superfences import SuperFencesCodeExtension, fence_div_format
from pymdownx.tasklist import TasklistExtension
from pymdownx.tilde import DeleteSubExtension

from site_builder.markdown.embeds import NoteLoader
from site_builder.markdown.fastblock import FastBlockExtension
from site_builder.markdown.fastinline import FastInlineExtension
from site_builder.markdown.headings import AtxHeadingExtension
from site_builder.markdown.highlight import SharedHighlightExtension
from site_builder.markdown.mathml import MathExtension
from site_builder.markdown.obsidian import ObsidianExtension
from site_builder.markdown.properties import properties_html
from site_builder.markdown.safehtml import EscapeRawHtml
from site_builder.markdown.smartquotes import SmartQuotesExtension
from site_builder.markdown.wikilinks import LinkExtension
from site_builder.vault.content import Note
from site_builder.vault.links import Link, LinkIndex, re_resolve

WORDS_PER_MINUTE = 220
LINE_BREAKS = "breaks"


NO_PROPERTIES = "noproperties"


def markdown_mode(raw_html: str, strict_line_breaks: bool, properties: bool = True) -> str:
    """The one string that says how notes render (it keys renderers and cached renders):
    the raw HTML mode, ``+breaks`` for an Obsidian vault that keeps its default of a line
    break at every newline (``strictLineBreaks`` off), and ``+noproperties`` when notes.toml
    turns the properties view off (``[markdown] properties = false``)."""
    flags = ([] if strict_line_breaks else [LINE_BREAKS]) + ([] if properties else [NO_PROPERTIES])
    return "+".join([raw_html, *flags])
_TAGS = re.compile(r"<[^>]+>")
_IDS = re.compile(r'\sid="([^"]+)"')  # what element_ids finds, as a regex (for the tests)
_FIRST_P = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def element_ids(body: str) -> list[str]:
    """``_IDS.findall(body)``, found with ``str.find``: a regex that starts with ``\\s`` is
    tried at every position of the note (0.13 ms a note, 5% of rendering), this looks only
    where ``id="`` occurs.  Same matches: one preceded by whitespace, with a non-empty value
    up to the next quote, the next one searched from after that quote's successor."""
    found, pos, find = [], 1, body.find
    while (at := find('id="', pos)) >= 0:
        end = find('"', at + 4)
        if end > at + 4 and body[at - 1].isspace():
            found.append(body[at + 4:end])
            pos = end + 2  # the regex resumes after the quote and needs a space first
        else:
            pos = at + 1
    return found


def reading_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


@dataclass(frozen=True)
class RenderedNote:
    """The HTML of one note plus what list pages, feeds and the link check need from it."""

    source: str
    html: str
    toc: str  # nested <ul> of the headings, "" when the note has none
    ids: frozenset[str]  # every id in the body: valid #anchors
    links: tuple[Link, ...]
    words: int
    summary: str  # plain text
    embeds: tuple[str, ...] = ()  # sources inlined by ![[embeds]], transitively

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.words)


class RenderMeta(NamedTuple):
    """A rendered note without its HTML (which lives in the build cache under ``html_digest``):
    what links, lists and feeds need, small enough to keep for every note of a large site.
    A named tuple: every build restores one per note from the cache, and a frozen dataclass
    costs several times more to create."""

    source: str
    toc: str
    ids: frozenset[str]
    links: tuple[Link, ...]
    words: int
    summary: str
    html_digest: str
    embeds: tuple[str, ...] = ()  # the cache renders the note again when one of these changes

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.words)


@dataclass(frozen=True)
class RenderEntry:
    """The build cache's record of one render: valid while the note's file is byte-identical
    and every link it made still resolves to the same URL (``urls``, in link order)."""

    source_digest: str
    meta: RenderMeta
    urls: tuple[str | None, ...]

    def pack(self) -> tuple:
        m = self.meta
        links = tuple(tuple(k) for k in m.links)
        return (self.source_digest, m.source, m.toc, tuple(sorted(m.ids)), links, m.words,
                m.summary, m.html_digest, self.urls, m.embeds)

    @classmethod
    def unpack(cls, data: tuple) -> RenderEntry:
        digest, source, toc, ids, links, words, summary, html_digest, urls, embeds = data
        meta = RenderMeta(source, toc, frozenset(ids), tuple(map(Link._make, links)), words,
                          summary, html_digest, tuple(embeds))
        return cls(digest, meta, tuple(urls))

    def still_valid(self, source_digest: str, index: LinkIndex, note: Note) -> bool:
        if source_digest != self.source_digest:
            return False
        links = self.meta.links
        return all(re_resolve(index, note.source, link) == link for link in links) and \
            link_urls(index, links) == self.urls


def link_urls(index: LinkIndex, links: tuple[Link, ...]) -> tuple[str | None, ...]:
    """The URL each link points at (what the rendered ``href`` is made of)."""
    return tuple(index.targets[k.target].url if k.target and k.target in index.targets else None
                 for k in links)


def to_meta(rendered: RenderedNote, html_digest: str) -> RenderMeta:
    r = rendered
    return RenderMeta(r.source, r.toc, r.ids, r.links, r.words, r.summary, html_digest,
                      r.embeds)


EXTENSION_CONFIGS = {
    "pymdownx.highlight": {"css_class": "highlight", "guess_lang": False,
                           "use_pygments": True},
    "pymdownx.superfences": {"custom_fences": [
        # Drawn in the browser by the self-hosted mermaid, loaded only on pages that have one.
        {"name": "mermaid", "class": "mermaid", "format": fence_div_format},
    ]},
    "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
    "pymdownx.tilde": {"subscript": False},  # ~~strike~~ only, as Obsidian
    "pymdownx.magiclink": {"hide_protocol": False},
    "toc": {
        "permalink": "#",
        "permalink_class": "headerlink",
        "permalink_title": "Link to this heading",
        "slugify": slugify_unicode,
    },
    "footnotes": {"BACKLINK_TITLE": "Back to reference %d"},
}


def markdown_extensions() -> list:
    """Every Markdown extension a note is rendered with, except the link graph's own (the
    build benchmark's baseline loop uses exactly these, so the comparison is fair)."""
    # SmartQuotesExtension: smarty's output without its 18 inline patterns per text node;
    # FastInlineExtension: the inline pass without patterns that cannot match (same HTML);
    # SharedHighlightExtension: pymdownx.highlight without a Pygments formatter per block;
    # FastBlockExtension (last: it changes the block processors the others registered): the
    # block parser without regex searches that cannot match (same HTML).
    # Instances, not names: Python-Markdown looks a name up among every installed package's
    # entry points first (importlib.metadata, ~30 ms per process).
    c = EXTENSION_CONFIGS
    highlight = SharedHighlightExtension(**c["pymdownx.highlight"])
    return [TableExtension(), SuperFencesCodeExtension(**c["pymdownx.superfences"]), highlight,
            FootnoteExtension(**c["footnotes"]), TocExtension(**c["toc"]),
            AdmonitionExtension(), SmartQuotesExtension(), SaneListExtension(),
            TasklistExtension(**c["pymdownx.tasklist"]), MarkExtension(),
            DeleteSubExtension(**c["pymdownx.tilde"]),
            MagiclinkExtension(**c["pymdownx.magiclink"]), DetailsExtension(),
            AtxHeadingExtension(), FastInlineExtension(), FastBlockExtension()]


class _Markdown(markdown.Markdown):
    """Python-Markdown, finding the extensions that pymdownx's own register by name (``pymdownx.
    superfences`` asks for ``pymdownx.highlight``) without first looking the name up among
    every installed package's entry points (10-35 ms per process): pymdown-extensions
    declares none, so the name is a module either way."""

    def build_extension(self, ext_name: str, configs: Mapping[str, Any]) -> Extension:
        if ext_name.startswith("pymdownx.") and ":" not in ext_name:
            return importlib.import_module(ext_name).makeExtension(**configs)
        return super().build_extension(ext_name, configs)


class Renderer:
    """One configured Markdown instance and its link extension's shared state."""

    def __init__(self, raw_html: str = "keep", extensions: list | None = None,
                 configs: dict | None = None) -> None:
        self.links = LinkExtension()
        self.raw_html = raw_html
        self.obsidian = ObsidianExtension()
        self.obsidian.state.nested = render_nested  # embeds render their targets with it
        self.math = MathExtension()
        html_mode, *flags = raw_html.split("+")
        self.properties = NO_PROPERTIES not in flags
        safety = [EscapeRawHtml()] if html_mode == "escape" else []
        safety += [Nl2BrExtension()] if LINE_BREAKS in flags else []
        self.md = _Markdown(
            extensions=[*(markdown_extensions() if extensions is None else extensions),
                        self.links, self.obsidian, self.math, *safety],
            extension_configs=EXTENSION_CONFIGS if configs is None else configs,
            output_format="html",
        )

    def render(self, note: Note, index: LinkIndex, load: NoteLoader | None = None,
               stack: tuple[str, ...] = ()) -> RenderedNote:
        """``load`` reads the notes ``![[embeds]]`` name; ``stack`` is the chain of notes
        embedding this one (a nested render), to report embed loops."""
        self.md.reset()
        self.links.state.start(index, note, nested=bool(stack))
        self.obsidian.state.start(note, index, load, stack)
        self.obsidian.state.raw_html = self.raw_html
        self.math.state.note = note
        body = self.md.convert(note.body)
        embeds = self.obsidian.state
        toc = self.md.toc if self.md.toc_tokens else ""  # type: ignore[attr-defined]
        text = html.unescape(_TAGS.sub(" ", body))
        summary = note.summary or _summary(body)
        shown, property_links = properties_html(note, index) \
            if self.properties and not stack else ("", [])
        return RenderedNote(
            source=note.source,
            html=shown + body,
            toc=toc,
            ids=frozenset(element_ids(body)),
            links=(*property_links, *embeds.links, *self.links.state.links),
            words=len(text.split()),
            summary=summary,
            embeds=tuple(sorted(embeds.embeds)),
        )


def _summary(body: str, limit: int = 220) -> str:
    """First paragraph as plain text, cut at a word boundary."""
    match = _FIRST_P.search(body)
    text = " ".join(html.unescape(_TAGS.sub("", match.group(1))).split()) if match else ""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


@lru_cache(maxsize=2)
def renderer(raw_html: str) -> Renderer:
    """This process's Renderer for a raw HTML mode (~30 ms to make: every extension)."""
    return Renderer(raw_html)


def render_note(note: Note, index: LinkIndex, load: NoteLoader | None = None, *,
                raw_html: str = "keep") -> RenderedNote:
    """Render one note (pure: the cached Renderer holds no state between calls);
    ``raw_html`` is notes.toml's ``[markdown] raw_html`` ("keep" or "escape"), followed by
    ``+breaks`` where a single newline is a line break (``markdown_mode``)."""
    return renderer(raw_html).render(note, index, load)


_NESTED: dict[tuple[int, str], Renderer] = {}


def render_nested(note: Note, index: LinkIndex, load: NoteLoader | None,
                  stack: tuple[str, ...], raw_html: str = "keep") -> RenderedNote:
    """Render an embedded note inside another's render: one Renderer per embedding depth
    (the outer ones are mid-conversion), with the embedding note's raw HTML mode."""
    key = (len(stack), raw_html)
    renderer = _NESTED.get(key) or _NESTED.setdefault(key, Renderer(raw_html))
    return renderer.render(note, index, load, stack)


@lru_cache(maxsize=1)  # a pure function of the installed Pygments: once per process
def pygments_css() -> str:
    """Light and dark highlighting styles, chosen by the page's theme (``data-theme``)."""
    from site_builder.markdown.highlight_theme import highlight_css

    return highlight_css("friendly", "github-dark")
