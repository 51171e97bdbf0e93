"""Stage 4: assemble pages -- every note, the home page, sections, tags, 404 -- with Jinja2.

Input is plain values (notes, their rendered HTML, backlinks); output is a list of ``Page``
(output path + bytes).  Nothing is written here, so a template error stops the build before
the output folder is touched.  A ``templates/`` folder at the project root overrides any
packaged template by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from site_builder.content import Note, display_path, url_to_output
from site_builder.errors import ContentError
from site_builder.links import href_for, section_url
from site_builder.render import RenderedNote

RECENT_ON_HOME = 10


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


@dataclass(frozen=True)
class SectionInfo:
    key: str  # content folder, "" for the root
    title: str
    url: str
    intro: str  # rendered _index.md body ("" when absent)
    cards: tuple[Card, ...]
    children: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    path: str  # output-relative, e.g. "docker/networking/index.html"
    html: bytes
    owner: str  # what produced it, for "same URL" errors


def tag_slug(name: str) -> str:
    slug = re.sub(r"[^\w]+", "-", name.lower(), flags=re.UNICODE).strip("-")
    return slug or "tag"


def tag_url(name: str) -> str:
    return f"/tags/{tag_slug(name)}/"


def sort_key(card: Card) -> tuple:
    """Newest first; undated notes after dated ones, alphabetically."""
    return (card.date is None, -(card.date.toordinal() if card.date else 0), card.title.lower())


def make_env(project_dir: Path) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    override = project_dir / "templates"
    if override.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.PackageLoader("site_builder", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = lambda url, anchor=None: href_for(url, anchor)
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}" if d else ""
    return env


class PageMaker:
    """Renders templates with the context every page shares (site, assets, navigation)."""

    def __init__(self, env: jinja2.Environment, project_dir: Path, common: Mapping[str, Any]):
        self.env, self.project_dir, self.common = env, project_dir, dict(common)

    def render(self, template: str, path: str, owner: str, **context: Any) -> Page:
        try:
            html = self.env.get_template(template).render(**self.common, **context)
        except jinja2.TemplateSyntaxError as exc:
            shown = display_path(Path(exc.filename), self.project_dir) if exc.filename else template
            raise ContentError(f"template error: {exc.message}", shown, exc.lineno) from None
        except jinja2.TemplateError as exc:
            raise ContentError(f"template error: {exc}", template) from None
        return Page(path, html.encode("utf-8"), owner)

    def has(self, template: str) -> bool:
        try:
            self.env.get_template(template)
        except jinja2.TemplateNotFound:
            return False
        return True


def cards_for(notes: Sequence[Note], rendered: Mapping[str, RenderedNote],
              titles: Mapping[str, str]) -> dict[str, Card]:
    return {
        n.source: Card(
            title=n.title, url=n.url, date=n.date, updated=n.updated,
            summary=rendered[n.source].summary,
            tags=tuple(TagRef(t, tag_url(t)) for t in n.tags),
            minutes=rendered[n.source].reading_minutes,
            section=titles.get(n.section, ""),
        )
        for n in notes
    }


def build_sections(notes: Sequence[Note], intros: Sequence[Note],
                   rendered: Mapping[str, RenderedNote]) -> dict[str, SectionInfo]:
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
    sections = {}
    for key in sorted(keys):
        own = sorted((cards[n.source] for n in notes if n.section == key), key=sort_key)
        children = sorted((k for k in keys if k and k.rpartition("/")[0] == key and k != key),
                          key=lambda k: titles[k].lower())
        intro = intro_by.get(key)
        sections[key] = SectionInfo(
            key, titles[key] if key or intro else "", section_url(key),
            rendered[intro.source].html if intro and intro.source in rendered else "",
            tuple(own), tuple(children),
        )
    return sections


def _folder_title(key: str) -> str:
    name = key.rpartition("/")[2].replace("-", " ").replace("_", " ")
    return name[:1].upper() + name[1:]


def collect_tags(cards: Sequence[Card]) -> dict[str, tuple[str, list[Card]]]:
    """tag slug -> (display name, notes); "Docker" and "docker" share one page."""
    tags: dict[str, tuple[str, list[Card]]] = {}
    for card in cards:
        for tag in card.tags:
            slug = tag_slug(tag.name)
            tags.setdefault(slug, (tag.name, []))[1].append(card)
    for _, items in tags.values():
        items.sort(key=sort_key)
    return dict(sorted(tags.items()))


def note_pages(maker: PageMaker, notes: Sequence[Note], rendered: Mapping[str, RenderedNote],
               sections: Mapping[str, SectionInfo],
               backlinks: Mapping[str, tuple[tuple[str, str], ...]]) -> list[Page]:
    """One page per note, with prev/next in its section's listing order."""
    pages = []
    position = {c.url: i for s in sections.values() for i, c in enumerate(s.cards)}
    for note in notes:
        section = sections[note.section]
        pos = position[note.url]
        card = section.cards[pos]
        r = rendered[note.source]
        pages.append(maker.render(
            "note.html", url_to_output(note.url), note.display_path,
            page_kind="note", note=card, body=Markup(r.html),
            toc=Markup(r.toc), section=section,
            prev=section.cards[pos - 1] if pos > 0 else None,
            next=section.cards[pos + 1] if pos + 1 < len(section.cards) else None,
            backlinks=backlinks.get(note.source, ()),
            canonical=note.url,
        ))
    return pages


def list_pages(maker: PageMaker, sections: Mapping[str, SectionInfo]) -> list[Page]:
    """Home, one page per section, the tag index and one page per tag."""
    all_cards = [c for s in sections.values() for c in s.cards]
    recent = sorted((c for c in all_cards if c.date), key=sort_key)[:RECENT_ON_HOME]
    home = sections[""]
    pages = [maker.render("home.html", "index.html", "the home page", page_kind="list",
                          home=home, recent=recent, canonical="/",
                          intro=Markup(home.intro))]
    for key, section in sections.items():
        if key:
            pages.append(maker.render(
                "section.html", url_to_output(section.url), f"the section {key}/",
                page_kind="list", section=section, canonical=section.url,
                intro=Markup(section.intro)))
    tags = collect_tags(all_cards)
    pages.append(maker.render("tags.html", "tags/index.html", "the tag index", page_kind="list",
                              tags=[(n, tag_url(n), len(c)) for n, c in tags.values()],
                              canonical="/tags/"))
    for slug, (name, cards) in tags.items():
        pages.append(maker.render("tag.html", f"tags/{slug}/index.html", f"the tag '{name}'",
                                  page_kind="list", tag=name, cards=cards,
                                  canonical=f"/tags/{slug}/"))
    return pages
