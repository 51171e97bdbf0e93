"""Stage 4 of the build: every page, feed and asset of the site, each an ``OutputFile`` made
on demand from its inputs key (``write_stage`` makes the ones whose key changed, on all
cores).  What each page shows is ``site_builder.site``; this stage only gathers it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from markupsafe import Markup

from site_builder.bases.shelf import BaseShelf, base_pages, shown_bases
from site_builder.core.config import Settings
from site_builder.markdown.render import RenderMeta, pygments_css
from site_builder.pipeline.options import BuildOptions
from site_builder.site import feeds
from site_builder.site.assets import static_assets
from site_builder.site.explorer import TREE_PATH, Explorer, tree_json
from site_builder.site.favicon import favicon_ico
from site_builder.site.graph import local_graphs
from site_builder.site.page_maker import PageMaker, make_env
from site_builder.site.pages import build_sections, list_pages, note_pages, sections_key
from site_builder.site.redirect import redirect_page
from site_builder.site.sitegraph import site_graph_svg, site_layout
from site_builder.store.blobs import BlobStore
from site_builder.store.cache import page_key
from site_builder.store.output import OutputFile, check_unique, source_key
from site_builder.vault.content import Asset, Content, Note, url_to_output
from site_builder.vault.links import LinkIndex

FEED_LIMIT = 20
NAV_CHARACTERS = 56  # what the header's section list holds at 1280 px beside the search box


def published_assets(content: Content, rendered: Mapping[str, RenderMeta],
                     shown_intros: Sequence[Note]) -> list[Asset]:
    """The attachments a published page links to (Markdown links and images, wiki links):
    a file beside a draft, or one nothing links to, stays on this machine.  A favicon at the
    content root is linked by every page's head."""
    used = {link.target for n in (*content.notes, *shown_intros)
            for link in rendered[n.source].links if link.target}
    # A Base is drawn into the pages that embed it, never published as its YAML.
    return [a for a in content.assets if (a.source in used or a.source.startswith("favicon."))
            and not shown_bases((a.source,))]


def feed_files(settings: Settings, notes: Sequence[Note], rendered: Mapping[str, RenderMeta],
               pages: Sequence[OutputFile], body_of: Callable[[str], str]) -> list[OutputFile]:
    """Feed, sitemap and robots.txt, each keyed by exactly what it lists."""
    entries = [
        feeds.FeedEntry(n.title, n.url, n.date, n.updated, rendered[n.source].summary,
                        rendered[n.source].html_digest)  # the body's digest until made
        for n in _newest_candidates(notes, FEED_LIMIT)
    ]
    newest = feeds.newest_entries(entries, FEED_LIMIT)
    dated = {n.url: n.updated or n.date for n in notes}
    site_map = [
        feeds.SitemapEntry("/" + p.path.removesuffix("index.html"),
                           dated.get("/" + p.path.removesuffix("index.html")))
        for p in pages if p.path.endswith("index.html") and not p.path.startswith("search/")
    ]
    base = settings.base_url

    def feed() -> bytes:
        full = [replace(e, content_html=body_of(e.content_html)) for e in newest]
        return feeds.render_feed(full, site_title=settings.title, base_url=base,
                                 author=settings.author, limit=FEED_LIMIT)

    return [
        OutputFile("feed.xml", "the feed", make=feed,
                   key=page_key("feed", newest, settings.title, base, settings.author)),
        OutputFile("sitemap.xml", "the sitemap", key=page_key("sitemap", site_map, base),
                   make=lambda: feeds.render_sitemap(site_map, base_url=base)),
        OutputFile("robots.txt", "robots.txt", data=feeds.render_robots(base_url=base)),
    ]


def _newest_candidates(notes: Sequence[Note], limit: int) -> list[Note]:
    """The dated notes that can be among the ``limit`` newest (ties at the edge included), so
    the feed's entries are made for those only, not for all 5,000 notes at every build."""
    dated = [n for n in notes if n.date]
    if len(dated) <= limit or limit <= 0:
        return dated
    edge = heapq.nlargest(limit, ((n.date, n.updated or n.date) for n in dated))[-1]
    return [n for n in dated if (n.date, n.updated or n.date) >= edge]


def base_shelf(opts: BuildOptions, content: Content, index: LinkIndex,
               rendered: Mapping[str, RenderMeta]) -> BaseShelf | None:
    """The Bases the pages show (None for a site that embeds none: nothing more is read)."""
    if not base_pages(content) and not any(
            shown_bases(rendered[n.source].embeds) for n in (*content.notes, *content.intros)):
        return None
    return BaseShelf(content, opts.content, Path(opts.project_dir), index, rendered)


def standalone_bases(maker: PageMaker, bases: BaseShelf | None,
                     branch: Callable[[str, str | None], str]) -> list[OutputFile]:
    """A page for each Base file, showing every view (``this`` is the Base itself)."""
    files = []
    for source, (url, title) in sorted((bases.standalone if bases else {}).items()):
        body = bases.draw(source, "", None)
        explorer = branch(source.rpartition("/")[0], url)
        files.append(maker.page(
            "base_file.html", url_to_output(url), source, (title, url, body, explorer),
            partial(dict, page_kind="list", title=title, canonical=url, body=Markup(body),
                    explorer=Markup(explorer), has_base=True)))
    return files


def page_stage(opts: BuildOptions, settings: Settings, content: Content,
               rendered: Mapping[str, RenderMeta], links_to: Mapping, blobs: BlobStore,
               static: Sequence[Asset] = (),
               bases: BaseShelf | None = None) -> tuple[list[OutputFile], Callable[[], None]]:
    """Every page, feed and asset of the site, each made on demand from its inputs key; and
    what the page workers need ready before they fork (the compiled templates)."""
    assets = static_assets(pygments_css())
    intros = {i.source: blobs.get(rendered[i.source].html_digest) for i in content.intros}
    if bases:  # a folder's _index.md may show a Base too: drawn here, so its pages' keys hold it
        intros = {s: bases.fill(h, s) if s in bases.pages else h for s, h in intros.items()}
    sections = build_sections(content.notes, content.intros, rendered, intros)
    nav = [(sections[k].title, sections[k].url) for k in sections[""].children]
    # The header lists the sections while they fit on one line; the explorer has them all.
    nav = nav if sum(len(t) + 3 for t, _ in nav) <= NAV_CHARACTERS else []
    branch = Explorer(sections).branch
    asset_urls = {name: "/" + a.path for name, a in assets.items()}
    project = Path(opts.project_dir)
    # Packaged templates show only what each page's key covers; a user's templates/ may show
    # anything (every section's cards on every page), so their pages depend on all of it.
    everything = sections_key(sections) if (project / "templates").is_dir() else None
    # A favicon of the user's (content/favicon.* or static/favicon.*) replaces the shipped one.
    own_icons = {a.source: a.url for a in (*content.assets, *static)
                 if a.source.startswith("favicon.")}
    favicon = min(own_icons.items())[1] if own_icons else asset_urls["favicon.svg"]
    maker = PageMaker(make_env(project), project, {
        "site": settings, "nav": nav, "sections": sections, "has_feed": True,
        "asset": asset_urls.__getitem__, "favicon": favicon,
    }, common_key=page_key(settings, nav, sorted(asset_urls.items()), everything, favicon))
    graphs = local_graphs(content.notes, {s: r.links for s, r in rendered.items()})
    pages = note_pages(maker, content.notes, rendered, sections, links_to, blobs.get, graphs,
                       bases, branch)
    pages += list_pages(maker, sections, branch)
    if maker.has("graph.html"):
        whole = site_layout(content.notes, {n.source: rendered[n.source].links
                                            for n in content.notes})
        pages.append(maker.page("graph.html", "graph/index.html", "the graph page", (whole,),
                                lambda: {"page_kind": "list", "canonical": "/graph/",
                                         "graph": Markup(site_graph_svg(whole))}))
    pages += standalone_bases(maker, bases, branch)
    if maker.has("search.html"):
        pages.append(maker.page("search.html", "search/index.html", "the search page", (),
                                partial(dict, page_kind="list", canonical="/search/",
                                        no_header_search=True)))
    pages.append(maker.page("404.html", "404.html", "the 404 page", (), dict))
    files = pages + feed_files(settings, content.notes, rendered, pages, blobs.get)
    files.append(OutputFile(TREE_PATH, "the folder explorer", data=tree_json(sections)))
    files += assets.values()
    shown_intros = [i for i in content.intros if i.section in sections]
    attachments = published_assets(content, rendered, shown_intros)
    if "favicon.ico" not in own_icons:
        files.append(OutputFile("favicon.ico", "the favicon", data=favicon_ico()))
    files += [OutputFile(a.source, a.source, source=a.path, key=source_key(a.path))
              for a in attachments]
    files += [OutputFile(a.source, f"static/{a.source}", source=a.path, key=source_key(a.path))
              for a in static]
    return check_unique(files + redirect_files(content.notes, files)), maker.preload


def redirect_files(notes: Sequence[Note], files: Sequence[OutputFile]) -> list[OutputFile]:
    """A page at each URL that leads to a note (its default URL under a ``permalink``, each
    alias beside it), sending the browser on; a URL the site already has keeps its page."""
    taken = {f.path for f in files}
    redirects = []
    for note in notes:
        for url in note.redirects:
            path = url_to_output(url)
            if path not in taken:
                taken.add(path)
                redirects.append(OutputFile(path, f"the redirect from {url}",
                                            data=redirect_page(note.url, note.title)))
    return redirects
