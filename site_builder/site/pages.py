"""Assemble pages -- every note, the home page, sections, tags -- with Jinja2.

Input is plain values (notes, their rendered HTML, backlinks); output is a list of
``OutputFile``, each page rendered on demand by ``page_maker.PageMaker`` (the templates and
their environment live there).  Nothing is written here, so a template error stops the build
before the output folder is touched.  A ``templates/`` folder at the project root overrides
any packaged template by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from typing import Any

from markupsafe import Markup

from site_builder.bases.shelf import BaseShelf
from site_builder.core.errors import ContentError
from site_builder.markdown.render import RenderMeta
from site_builder.site.graph import Layout, graph_svg
from site_builder.site.page_maker import PageMaker
from site_builder.store.cache import page_key
from site_builder.store.output import OutputFile
from site_builder.vault.content import Note, url_to_output
from site_builder.vault.links import section_url
from site_builder.vault.tags import same_tag, tag_levels, tag_slug, tag_url

RECENT_ON_HOME = 10
Branch = Callable[[str, str | None], str]  # (folder, page URL) -> the page's explorer HTML
_FIRST_IMG = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


@dataclass(frozen=True)
class TagRef:
    name: str
    url: str


@dataclass(frozen=True)
class Card:
    """What a list page shows about a note."""

    title: str
    url: str
    date: Any
    updated: Any
    summary: str
    tags: tuple[TagRef, ...]
    minutes: int
    section: str
    weight: float | None = None

    @cached_property
    def key(self) -> str:
        """Digest of everything the card shows: page keys of a 5,000-note site hold tens of
        thousands of cards, and a dataclass ``repr`` of each, each time, would dominate."""
        return page_key(self.title, self.url, self.date, self.updated, self.summary,
                        tuple(t.name for t in self.tags), self.minutes, self.section,
                        self.weight)


@dataclass(frozen=True)
class SectionInfo:
    key: str  # content folder, "" for the root
    title: str
    url: str
    intro: str  # rendered _index.md body ("" when absent)
    cards: tuple[Card, ...]
    children: tuple[str, ...]
    weight: float | None = None  # its _index.md's order


@lru_cache(maxsize=4096)
def tag_ref(name: str) -> TagRef:
    """One shared (immutable) TagRef per tag: thousands of cards carry the same few tags."""
    return TagRef(name, tag_url(name))


def newest_first(card: Card) -> tuple:
    """Newest first; undated notes after dated ones, alphabetically (recent notes, tags)."""
    return (card.date is None, -(card.date.toordinal() if card.date else 0), card.title.lower())


def sort_key(card: Card) -> tuple:
    """A section's notes: those given an ``order`` first, in that order; then newest first."""
    return (card.weight is None, card.weight or 0, *newest_first(card))


def by_weight(weight: float | None, title: str) -> tuple:
    """The explorer's order, and every list of folders: ``order`` first, then the title."""
    return (weight is None, weight or 0, title.lower(), title)


def cards_for(notes: Sequence[Note], rendered: Mapping[str, RenderMeta],
              titles: Mapping[str, str]) -> dict[str, Card]:
    """Every note's card.  A card equal to one of the last call's is that very object, so its
    ``key`` is not digested again: `notes serve` rebuilds in one process, and an edit changes
    one card of thousands."""
    last, cards, made = _last_cards[0], {}, {}
    for n in notes:
        r = rendered[n.source]
        fields = (n.title, n.url, n.date, n.updated, r.summary, n.tags, r.reading_minutes,
                  titles.get(n.section, ""), n.weight)
        card = last.get(fields)
        if card is None:
            card = Card(title=fields[0], url=fields[1], date=fields[2], updated=fields[3],
                        summary=fields[4], tags=tuple(map(tag_ref, n.tags)), minutes=fields[6],
                        section=fields[7], weight=fields[8])
        cards[n.source] = made[fields] = card
    _last_cards[0] = made
    return cards


_last_cards: list[dict[tuple, Card]] = [{}]  # the last call's cards by their fields


def build_sections(notes: Sequence[Note], intros: Sequence[Note],
                   rendered: Mapping[str, RenderMeta],
                   intro_html: Mapping[str, str]) -> dict[str, SectionInfo]:
    """Every folder holding notes (and its ancestors) is a section; ``_index.md`` titles it."""
    intro_by = {i.section: i for i in intros}
    keys = {""}
    for note in notes:
        folder = note.section
        while folder:
            keys.add(folder)
            folder = folder.rpartition("/")[0]
    titles = {k: (intro_by[k].title if k in intro_by else _folder_title(k)) for k in keys}
    cards = cards_for(notes, rendered, titles)
    by_section: dict[str, list[Card]] = {}
    for note in notes:
        by_section.setdefault(note.section, []).append(cards[note.source])
    sections = {}
    for key in sorted(keys):
        own = sorted(by_section.get(key, ()), key=sort_key)
        weight = lambda k: intro_by[k].weight if k in intro_by else None
        children = sorted((k for k in keys if k and k.rpartition("/")[0] == key and k != key),
                          key=lambda k: by_weight(weight(k), titles[k]))
        intro = intro_by.get(key)
        sections[key] = SectionInfo(
            key, titles[key] if key or intro else "", section_url(key),
            intro_html.get(intro.source, "") if intro else "",
            tuple(own), tuple(children), weight(key),
        )
    return sections


def _folder_title(key: str) -> str:
    name = key.rpartition("/")[2].replace("-", " ").replace("_", " ")
    return name[:1].upper() + name[1:]


def collect_tags(cards: Sequence[Card]) -> dict[str, tuple[str, list[Card]]]:
    """tag path -> (display name, notes), for every tag and every level of a nested one (a
    note tagged ``a/b`` is listed on ``a`` too); "Docker" and "docker" share one page."""
    tags: dict[str, tuple[str, list[Card]]] = {}
    for card in cards:
        levels = {level: None for tag in card.tags for level in tag_levels(tag.name)}
        for level in levels:
            slug = tag_slug(level)
            name, notes = tags.setdefault(slug, (level, []))
            if not same_tag(name, level):
                raise ContentError(f"tags '{name}' and '{level}' would share the page "
                                   f"/tags/{slug}/ (the second is on the note at {card.url}): "
                                   "rename one of them")
            if not notes or notes[-1] is not card:
                notes.append(card)
    for _, items in tags.values():
        items.sort(key=newest_first)
    return dict(sorted(tags.items()))


def child_tags(tags: Mapping[str, tuple[str, list[Card]]], slug: str) -> tuple:
    """(name, url, notes) of the tags one level below the tag page ``slug``."""
    return tuple((name, f"/tags/{child}/", len(cards)) for child, (name, cards) in tags.items()
                 if child.startswith(slug + "/") and "/" not in child[len(slug) + 1:])


def crumbs(sections: Mapping[str, SectionInfo], key: str) -> tuple[tuple[str, str], ...]:
    """(title, url) of the section ``key`` and of every section above it, outermost first
    (the home page not included): the breadcrumbs of a page in that section."""
    parts = key.split("/") if key else []
    found = ("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return tuple((sections[k].title, sections[k].url) for k in found if k in sections)


def _note_context(card: Card, body: Callable[[], str], toc: str, section: SectionInfo,
                  prev: Card | None, nxt: Card | None, links: tuple, url: str,
                  trail: tuple[tuple[str, str], ...],
                  graph: Layout | None = None, cssclasses: tuple[str, ...] = (),
                  explorer: str = "") -> dict[str, Any]:
    html = body()
    image = _FIRST_IMG.search(html)
    return {"page_kind": "note", "note": card, "body": Markup(html), "toc": Markup(toc),
            "cssclasses": " ".join(cssclasses),
            "section": section, "prev": prev, "next": nxt, "backlinks": links, "canonical": url,
            "crumbs": trail, "description": card.summary, "og_type": "article",
            "og_title": card.title, "image": image.group(1) if image else None,
            "has_diagram": 'class="mermaid"' in html, "has_base": 'class="base"' in html,
            "graph": Markup(graph_svg(graph)),
            "explorer": Markup(explorer)}


def _filled(bases: BaseShelf, source: str, body: Callable[[], str]) -> str:
    return bases.fill(body(), source)


def note_pages(maker: PageMaker, notes: Sequence[Note], rendered: Mapping[str, RenderMeta],
               sections: Mapping[str, SectionInfo],
               backlinks: Mapping[str, tuple[tuple[str, str], ...]],
               body_of: Callable[[str], str],
               graphs: Mapping[str, Layout | None] | None = None,
               bases: BaseShelf | None = None,
               branch: Branch | None = None) -> list[OutputFile]:
    """One page per note, with prev/next in its section's listing order.  A note page shows
    its own card and body, its section's name, its neighbours' titles, its backlinks, its
    local graph (``graphs``, layout by source), what its Bases select (``bases``) and its
    branch of the folder explorer (``branch``): that is its key, so editing a note re-makes
    exactly the pages that show it."""
    pages = []
    position = {c.url: i for s in sections.values() for i, c in enumerate(s.cards)}
    # Parts hold only strings, None and tuples of them, so equal parts mean equal reprs: a key
    # of the last call is reused (one process, `notes serve`: an edit changes a few pages).
    last, keys, shared = _last_note_keys[0], {}, (maker.template_key("note.html"),
                                                   maker.common_key)
    trails = {key: crumbs(sections, key) for key in sections}  # one per section, not per note
    for note in notes:
        section = sections[note.section]
        pos = position[note.url]
        card = section.cards[pos]
        r = rendered[note.source]
        prev = section.cards[pos - 1] if pos > 0 else None
        nxt = section.cards[pos + 1] if pos + 1 < len(section.cards) else None
        links = backlinks.get(note.source, ())
        trail = trails[note.section]
        graph = (graphs or {}).get(note.source)
        shown = bases.key(note.source) if bases else None
        explorer = branch(note.section, note.url) if branch else ""
        body = partial(body_of, r.html_digest)
        if shown:
            body = partial(_filled, bases, note.source, body)
        # The table of contents is made from the body's headings: the body digest covers it.
        parts = (card.key, (section.key, section.title, section.url),
                 prev and (prev.title, prev.url), nxt and (nxt.title, nxt.url), links,
                 r.html_digest, trail, graph and graph.key, note.cssclasses, shown, explorer)
        whole = (*shared, parts)
        key = keys[whole] = last.get(whole) or page_key(*whole)
        pages.append(maker.page(
            "note.html", url_to_output(note.url), note.display_path, parts,
            partial(_note_context, card, body, r.toc, section, prev,
                    nxt, links, note.url, trail, graph, note.cssclasses, explorer), key=key))
    _last_note_keys[0] = keys
    return pages


# (template key, common key, parts) -> page key, of the last call
_last_note_keys: list[dict[tuple, str]] = [{}]


def _keys(cards: Sequence[Card]) -> tuple[str, ...]:
    return tuple(c.key for c in cards)


def _section_key(section: SectionInfo) -> tuple:
    s = section
    return (s.key, s.title, s.url, s.intro, _keys(s.cards), s.children, s.weight)


def sections_key(sections: Mapping[str, SectionInfo]) -> str:
    """One digest of every section and card (what a user's own templates might show)."""
    return page_key([_section_key(s) for s in sections.values()])


def _children(sections: Mapping[str, SectionInfo], section: SectionInfo) -> tuple:
    """What a list page shows of its sub-sections (title, link, note count)."""
    return tuple((sections[k].title, sections[k].url, len(sections[k].cards))
                 for k in section.children)


def list_pages(maker: PageMaker, sections: Mapping[str, SectionInfo],
               branch: Branch | None = None) -> list[OutputFile]:
    """Home, one page per section, the tag index and one page per tag."""
    all_cards = [c for s in sections.values() for c in s.cards]
    recent = sorted((c for c in all_cards if c.date), key=newest_first)[:RECENT_ON_HOME]
    home = sections[""]
    tree = (lambda key, url: Markup(branch(key, url))) if branch else (lambda key, url: "")
    pages = [maker.page("home.html", "index.html", "the home page",
                        (_section_key(home), _keys(recent), _children(sections, home),
                         tree("", "/")),
                        lambda: {"page_kind": "list", "home": home, "recent": recent,
                                 "canonical": "/", "intro": Markup(home.intro),
                                 "explorer": tree("", "/"),
                                 "has_base": 'class="base"' in home.intro})]
    for key, section in sections.items():
        if key:
            trail = crumbs(sections, key.rpartition("/")[0])
            explorer = tree(key, section.url)
            pages.append(maker.page(
                "section.html", url_to_output(section.url), f"the section {key}/",
                (_section_key(section), _children(sections, section), trail, explorer),
                partial(dict, page_kind="list", section=section, canonical=section.url,
                        intro=Markup(section.intro), crumbs=trail, explorer=explorer,
                        has_base='class="base"' in section.intro)))
    tags = collect_tags(all_cards)
    index = [(n, tag_url(n), len(c)) for n, c in tags.values()]
    top = tree("", None)  # tag pages belong to no folder: the explorer's top level
    pages.append(maker.page("tags.html", "tags/index.html", "the tag index", (index, top),
                            partial(dict, page_kind="list", tags=index, canonical="/tags/",
                                    explorer=top)))
    for slug, (name, cards) in tags.items():
        children = child_tags(tags, slug)
        pages.append(maker.page("tag.html", f"tags/{slug}/index.html", f"the tag '{name}'",
                                (name, _keys(cards), children, top),
                                partial(dict, page_kind="list", tag=name, cards=cards,
                                        children=children, canonical=f"/tags/{slug}/",
                                        explorer=top)))
    return pages
