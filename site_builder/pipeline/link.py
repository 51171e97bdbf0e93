"""Stage 3 of the build: the link graph -- every link checked, backlinks found.

Links are resolved while notes render (``site_builder.markdown.wikilinks``) against a
``LinkIndex`` of the whole content folder, made before rendering by ``link_index``; anchors can
only be checked once every note is rendered (they are heading and block ids), which is what
``link_stage`` does before anything is written.  A broken link stops the build, or becomes a
warning when the command or notes.toml (``[links] unresolved = "warn"``) allows it.  Two
files sharing a name are never a problem: links pick one as Obsidian does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from site_builder.bases.shelf import with_base_pages
from site_builder.core.errors import ContentError
from site_builder.markdown.render import RenderMeta
from site_builder.vault.content import Asset, Content, Note
from site_builder.vault.links import Link, LinkIndex, build_index, no_anchor
from site_builder.vault.tags import tag_levels, tag_url


def generated_urls(content: Content, static: Sequence[Asset] = ()) -> set[str]:
    """Pages the builder makes on its own, and the files of ``static/``, which root-absolute
    links may point at."""
    urls = {"/", "/tags/", "/search/", "/graph/"}
    urls.update(tag_url(level) for n in content.notes for t in n.tags
                for level in tag_levels(t))
    urls.update(a.url for a in static)
    return urls


def link_index(content: Content, static: Sequence[Asset] = ()) -> LinkIndex:
    """What every link resolves against: the notes, attachments and generated pages (a Base
    file's page among them)."""
    return with_base_pages(build_index(content, generated_urls(content, static)), content)


def link_stage(content: Content, rendered: Mapping[str, RenderMeta], index: LinkIndex,
               allow_broken: bool, hint: str | None = None) -> tuple[dict, list[str]]:
    """Check every link; broken ones stop the build (or become warnings).  Returns the
    backlinks and the warnings."""
    by_note = [(n, rendered[n.source].links) for n in (*content.notes, *content.intros)]
    ids = {source: r.ids for source, r in rendered.items()}
    broken = check_links(by_note, ids, index)
    if broken and not allow_broken:
        lines = [str(p) for p in broken]
        if len(lines) > 1:
            lines.append(f"{len(broken)} link problems; fix them or {hint}" if hint
                         else f"{len(broken)} link problems")
        error = ContentError("\n".join(lines))
        error.lines = tuple(lines)
        raise error
    warnings = [str(p) for p in broken]
    return backlinks(by_note, index), warnings


@dataclass(frozen=True)
class LinkProblem:
    path: str
    line: int | None
    text: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.text}"


def check_links(
    rendered: Iterable[tuple[Note, tuple[Link, ...]]],
    ids: Mapping[str, frozenset[str]],
    index: LinkIndex,
) -> list[LinkProblem]:
    """Every broken link, in file then line order.  Anchors are checked again against the
    ids of the rendered target (what the resolver predicted may not be what was rendered)."""
    broken: list[LinkProblem] = []
    for note, links in rendered:
        for link in links:
            reason = link.problem
            if link.target in ids and link.anchor and link.anchor not in ids[link.target]:
                reason = no_anchor(link.anchor, link.target, ids[link.target])
            if link.target is None or reason:
                text = f"broken link to '{link.raw}'" + (f" ({reason})" if reason else "")
                broken.append(LinkProblem(note.display_path, link.line, text))
    return sorted(broken, key=lambda p: (p.path, p.line or 0))


def backlinks(
    rendered: Iterable[tuple[Note, tuple[Link, ...]]], index: LinkIndex
) -> dict[str, tuple[tuple[str, str], ...]]:
    """target source -> ((title, url) of each note linking to it), sorted by title."""
    found: dict[str, dict[str, str]] = {}
    for note, links in rendered:
        for link in links:
            if link.target and link.target != note.source and link.target in index.targets:
                found.setdefault(link.target, {})[note.url] = note.title
    return {
        target: tuple(sorted(((t, u) for u, t in by_url.items()), key=lambda x: (x[0].lower(), x[1])))
        for target, by_url in found.items()
    }
