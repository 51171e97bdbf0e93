"""Stage 2: Markdown -> HTML, one note at a time.

``render_note(note, index)`` is a pure function of its arguments (the Markdown instance is a
per-process cache, reset before each note), so a later process pool can call it in workers.
Reusing one ``Markdown`` object with ``reset()`` avoids rebuilding every extension per note,
which is most of Python-Markdown's per-call cost.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from site_builder.content import Note
from site_builder.fastinline import FastInlineExtension
from site_builder.highlight import cached_html_formatter
from site_builder.links import Link, LinkExtension, LinkIndex, re_resolve
from site_builder.smartquotes import SmartQuotesExtension

WORDS_PER_MINUTE = 220
_TASK = re.compile(r"^\[([ xX])\]\s+")
_TAGS = re.compile(r"<[^>]+>")
_IDS = re.compile(r'\sid="([^"]+)"')
_FIRST_P = re.compile(r"<p>(.*?)</p>", re.DOTALL)


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
                m.summary, m.html_digest, self.urls)

    @classmethod
    def unpack(cls, data: tuple) -> RenderEntry:
        digest, source, toc, ids, links, words, summary, html_digest, urls = data
        meta = RenderMeta(source, toc, frozenset(ids), tuple(map(Link._make, links)), words,
                          summary, html_digest)
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
    return RenderMeta(r.source, r.toc, r.ids, r.links, r.words, r.summary, html_digest)


class TaskListTreeprocessor(Treeprocessor):
    """``- [ ] todo`` / ``- [x] done`` become disabled checkboxes (GitHub's task lists)."""

    def run(self, root: etree.Element) -> None:
        for ul in root.iter("ul"):
            for li in ul.findall("li"):
                holder = li[0] if not (li.text or "").strip() and len(li) and li[0].tag == "p" else li
                match = _TASK.match(holder.text or "")
                if not match:
                    continue
                box = etree.Element("input", {"type": "checkbox", "disabled": "disabled"})
                if match.group(1) in "xX":
                    box.set("checked", "checked")
                box.tail = " " + holder.text[match.end():]
                holder.text = ""
                holder.insert(0, box)
                li.set("class", "task-list-item")
                ul.set("class", "task-list")


class TaskListExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(TaskListTreeprocessor(md), "tasklist", 12)


EXTENSION_CONFIGS = {
    # One formatter per set of options (``site_builder.highlight``), not one per code block.
    "codehilite": {"css_class": "highlight", "guess_lang": False,
                   "pygments_formatter": cached_html_formatter},
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
    # FastInlineExtension: the inline pass without patterns that cannot match (same HTML).
    return ["tables", "fenced_code", "codehilite", "footnotes", "toc", "admonition",
            SmartQuotesExtension(), "sane_lists", TaskListExtension(), FastInlineExtension()]


class Renderer:
    """One configured Markdown instance and its link extension's shared state."""

    def __init__(self, extensions: list | None = None, configs: dict | None = None) -> None:
        self.links = LinkExtension()
        self.md = markdown.Markdown(
            extensions=[*(markdown_extensions() if extensions is None else extensions),
                        self.links],
            extension_configs=EXTENSION_CONFIGS if configs is None else configs,
            output_format="html",
        )

    def render(self, note: Note, index: LinkIndex) -> RenderedNote:
        self.md.reset()
        self.links.state.start(index, note)
        body = self.md.convert(note.body)
        toc = self.md.toc if self.md.toc_tokens else ""  # type: ignore[attr-defined]
        text = html.unescape(_TAGS.sub(" ", body))
        summary = note.summary or _summary(body)
        return RenderedNote(
            source=note.source,
            html=body,
            toc=toc,
            ids=frozenset(_IDS.findall(body)),
            links=tuple(self.links.state.links),
            words=len(text.split()),
            summary=summary,
        )


def _summary(body: str, limit: int = 220) -> str:
    """First paragraph as plain text, cut at a word boundary."""
    match = _FIRST_P.search(body)
    text = " ".join(html.unescape(_TAGS.sub("", match.group(1))).split()) if match else ""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


@lru_cache(maxsize=1)
def _renderer() -> Renderer:
    return Renderer()


def render_note(note: Note, index: LinkIndex) -> RenderedNote:
    """Render one note (pure: the cached Renderer holds no state between calls)."""
    return _renderer().render(note, index)


def pygments_css() -> str:
    """Light and dark highlighting styles, chosen by the reader's colour scheme."""
    from pygments.formatters import HtmlFormatter

    def defs(style: str) -> str:
        return HtmlFormatter(style=style).get_style_defs(".highlight")

    return (
        f"@media not all and (prefers-color-scheme: dark) {{\n{defs('friendly')}\n}}\n"
        f"@media (prefers-color-scheme: dark) {{\n{defs('github-dark')}\n}}\n"
    )
