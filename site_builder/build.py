"""The build pipeline: content -> render -> links -> pages -> output, one clear stage each.

``build_site`` is the API the CLI, ``notes serve`` and the deploy commands call.  Every stage
before ``output`` works on values in memory; the output stage writes a temporary folder and
swaps it in, so a failed build (bad content, broken links, search indexing) leaves the previous
site untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from site_builder import feeds
from site_builder.config import Settings, load_settings
from site_builder.content import Content, Note, load_content
from site_builder.errors import ContentError
from site_builder.links import LinkIndex, backlinks, build_index, check_links
from site_builder.output import (
    OutputFile,
    check_unique,
    staging,
    static_assets,
    swap,
    write_files,
)
from site_builder.pages import (
    Page,
    PageMaker,
    SectionInfo,
    build_sections,
    list_pages,
    make_env,
    note_pages,
    tag_url,
)
from site_builder.render import RenderedNote, pygments_css, render_note

BASE_URL_WARNING = (
    "base_url should be set in notes.toml: feed.xml and sitemap.xml use root-relative URLs "
    "until it is"
)


@dataclass(frozen=True)
class BuildOptions:
    project_dir: Path
    content_dir: Path | None = None  # default project_dir/"content"
    out_dir: Path | None = None  # default project_dir/"build"/"site"
    drafts: bool = False
    allow_broken_links: bool = False
    search: bool = True

    @property
    def content(self) -> Path:
        return Path(self.content_dir or Path(self.project_dir) / "content")

    @property
    def out(self) -> Path:
        return Path(self.out_dir or Path(self.project_dir) / "build" / "site")


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    pages: int
    files: int
    warnings: tuple[str, ...]


def generated_urls(content: Content) -> set[str]:
    """Pages the builder makes on its own, which root-absolute links may point at."""
    urls = {"/", "/tags/", "/search/"}
    urls.update(tag_url(t) for n in content.notes for t in n.tags)
    return urls


def render_all(notes: Sequence[Note], index: LinkIndex) -> dict[str, RenderedNote]:
    """The per-note stage: pure calls, the unit a process pool would distribute."""
    return {note.source: render_note(note, index) for note in notes}


def link_stage(content: Content, rendered: Mapping[str, RenderedNote], index: LinkIndex,
               allow_broken: bool) -> tuple[dict, list[str]]:
    """Check every link; broken ones stop the build (or become warnings).  Returns the
    backlinks and the warnings."""
    by_note = [(n, rendered[n.source].links) for n in (*content.notes, *content.intros)]
    ids = {source: r.ids for source, r in rendered.items()}
    broken, ambiguous = check_links(by_note, ids, index)
    if ambiguous or (broken and not allow_broken):
        problems = ambiguous + ([] if allow_broken else broken)
        lines = [str(p) for p in problems]
        if len(lines) > 1:
            lines.append(f"{len(problems)} link problems; fix them or build with "
                         "--allow-broken-links to publish anyway" if broken and not ambiguous
                         else f"{len(problems)} link problems")
        raise ContentError("\n".join(lines))
    warnings = [str(p) for p in broken]
    return backlinks(by_note, index), warnings


def feed_files(settings: Settings, notes: Sequence[Note], rendered: Mapping[str, RenderedNote],
               pages: Sequence[Page], sections: Mapping[str, SectionInfo]) -> list[OutputFile]:
    entries = [
        feeds.FeedEntry(n.title, n.url, n.date, n.updated, rendered[n.source].summary,
                        rendered[n.source].html)
        for n in notes if n.date
    ]
    dated = {n.url: n.updated or n.date for n in notes}
    site_map = [
        feeds.SitemapEntry("/" + p.path.removesuffix("index.html"),
                           dated.get("/" + p.path.removesuffix("index.html")))
        for p in pages if p.path.endswith("index.html") and not p.path.startswith("search/")
    ]
    base = settings.base_url
    return [
        OutputFile("feed.xml", "the feed", data=feeds.render_feed(
            entries, site_title=settings.title, base_url=base, author=settings.author)),
        OutputFile("sitemap.xml", "the sitemap", data=feeds.render_sitemap(site_map, base_url=base)),
        OutputFile("robots.txt", "robots.txt", data=feeds.render_robots(base_url=base)),
    ]


def page_stage(opts: BuildOptions, settings: Settings, content: Content,
               rendered: Mapping[str, RenderedNote], links_to: Mapping) -> list[OutputFile]:
    """Assemble every page, feed and asset as in-memory files."""
    assets = static_assets(pygments_css())
    sections = build_sections(content.notes, content.intros, rendered)
    nav = [(sections[k].title, sections[k].url) for k in sections[""].children]
    maker = PageMaker(make_env(Path(opts.project_dir)), Path(opts.project_dir), {
        "site": settings, "nav": nav, "sections": sections, "has_feed": True,
        "asset": lambda name: "/" + assets[name].path,
    })
    pages = note_pages(maker, content.notes, rendered, sections, links_to)
    pages += list_pages(maker, sections)
    if maker.has("search.html"):
        pages.append(maker.render("search.html", "search/index.html", "the search page",
                                  page_kind="list", canonical="/search/"))
    pages.append(maker.render("404.html", "404.html", "the 404 page"))
    files = [OutputFile(p.path, p.owner, data=p.html) for p in pages]
    files += feed_files(settings, content.notes, rendered, pages, sections)
    files += assets.values()
    files += [OutputFile(a.source, a.source, source=a.path) for a in content.assets]
    return check_unique(files)


def check_out_dir(opts: BuildOptions) -> None:
    """The output folder is replaced wholesale, so it must not hold the project or the notes."""
    out = opts.out.resolve()
    for name, keep in (("the project", Path(opts.project_dir)), ("the content", opts.content)):
        keep = keep.resolve()
        if out == keep or keep.is_relative_to(out) or out.is_relative_to(opts.content.resolve()):
            raise ContentError(f"refusing to build into {out}: it would replace {name} folder")


def build_site(opts: BuildOptions) -> BuildResult:
    """Build the whole site into ``opts.out`` (atomically); raises ContentError on bad
    content, leaving the previous output untouched."""
    project = Path(opts.project_dir)
    check_out_dir(opts)
    settings = load_settings(project)
    content = load_content(opts.content, project, drafts=opts.drafts)
    index = build_index(content, generated_urls(content))
    rendered = render_all((*content.notes, *content.intros), index)
    links_to, warnings = link_stage(content, rendered, index, opts.allow_broken_links)
    files = page_stage(opts, settings, content, rendered, links_to)
    if not settings.base_url:
        warnings.append(BASE_URL_WARNING)
    with staging(opts.out) as tmp:
        write_files(tmp, files)
        if opts.search:
            from site_builder.search import build_index as build_search_index

            build_search_index(tmp)
        total = sum(1 for p in tmp.rglob("*") if p.is_file())
        swap(tmp, opts.out)
    pages = sum(1 for f in files if f.path.endswith(".html"))
    return BuildResult(opts.out.resolve(), pages, total, tuple(warnings))
