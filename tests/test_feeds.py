"""Atom feed, sitemap and robots.txt: parsed back with xml.etree and checked field by field."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from site_builder.site.feeds import (
    FeedEntry,
    SitemapEntry,
    newest_entries,
    render_feed,
    render_robots,
    render_sitemap,
    site_url,
)

A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://notes.example.org"


def entry(n: int, published: dt.date, updated: dt.date | None = None, **kw) -> FeedEntry:
    values = {
        "title": f"Note {n}",
        "path": f"/notes/n{n}/",
        "published": published,
        "updated": updated,
        "summary": f"Summary {n}",
        "content_html": f"<p>Body <b>{n}</b> &amp; more</p>",
    }
    values.update(kw)
    return FeedEntry(**values)


def parse(data: bytes) -> ET.Element:
    assert isinstance(data, bytes)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(data)


def test_feed_every_field_absolute() -> None:
    e = entry(1, dt.date(2024, 3, 1), dt.date(2024, 4, 2))
    root = parse(render_feed([e], site_title="My notes", base_url=BASE + "/", author="Ada"))
    assert root.tag == A + "feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}base") == BASE + "/"
    assert root.findtext(A + "id") == BASE + "/"
    assert root.findtext(A + "title") == "My notes"
    assert root.findtext(A + "updated") == "2024-04-02T00:00:00Z"
    assert root.findtext(f"{A}author/{A}name") == "Ada"
    links = {link.get("rel"): link.get("href") for link in root.findall(A + "link")}
    assert links == {"self": BASE + "/feed.xml", "alternate": BASE + "/"}
    [node] = root.findall(A + "entry")
    assert node.findtext(A + "id") == BASE + "/notes/n1/"
    assert node.findtext(A + "title") == "Note 1"
    assert node.find(A + "link").get("href") == BASE + "/notes/n1/"
    assert node.findtext(A + "published") == "2024-03-01T00:00:00Z"
    assert node.findtext(A + "updated") == "2024-04-02T00:00:00Z"
    assert node.findtext(A + "summary") == "Summary 1"
    content = node.find(A + "content")
    assert content.get("type") == "html"
    assert content.text == "<p>Body <b>1</b> &amp; more</p>"


def test_feed_relative_urls_and_author_fallback() -> None:
    e = entry(1, dt.date(2024, 3, 1))
    root = parse(render_feed([e], site_title="Site", base_url=None, author=None))
    node = root.find(A + "entry")
    assert node.find(A + "link").get("href") == "/notes/n1/"
    # Atom ids must be absolute IRIs even when links are root-relative.
    assert node.findtext(A + "id") == "urn:notes-publisher:/notes/n1/"
    assert node.findtext(A + "updated") == "2024-03-01T00:00:00Z"
    assert root.findtext(f"{A}author/{A}name") == "Site"
    assert root.get("{http://www.w3.org/XML/1998/namespace}base") is None
    assert {x.get("href") for x in root.findall(A + "link")} == {"/feed.xml", "/"}


def test_feed_escapes_titles_and_content() -> None:
    nasty = 'Tom & "Jerry" <x>'
    e = entry(1, dt.date(2024, 1, 1), title=nasty, summary=nasty, content_html="<p>a\x01b</p>")
    data = render_feed([e], site_title=nasty, base_url=None, author=nasty)
    assert b"<x>" not in data
    root = parse(data)
    assert root.findtext(A + "title") == nasty
    assert root.findtext(f"{A}entry/{A}title") == nasty
    assert root.findtext(f"{A}entry/{A}summary") == nasty
    assert root.findtext(f"{A}author/{A}name") == nasty
    assert root.findtext(f"{A}entry/{A}content") == "<p>ab</p>"  # control char dropped


def test_feed_orders_newest_first_limits_and_is_deterministic() -> None:
    days = [dt.date(2024, 1, d) for d in (5, 1, 9, 3, 7)]
    entries = [entry(i, day) for i, day in enumerate(days)]
    # An older note edited recently does not jump ahead, but does move the feed's updated.
    entries.append(entry(9, dt.date(2023, 1, 1), dt.date(2025, 6, 1)))
    data = render_feed(entries, site_title="S", base_url=BASE, author=None, limit=3)
    root = parse(data)
    titles = [n.findtext(A + "title") for n in root.findall(A + "entry")]
    assert titles == ["Note 2", "Note 4", "Note 0"]
    assert root.findtext(A + "updated") == "2024-01-09T00:00:00Z"
    again = render_feed(
        list(reversed(entries)), site_title="S", base_url=BASE, author=None, limit=3
    )
    assert again == data
    full = parse(render_feed(entries, site_title="S", base_url=BASE, author=None))
    assert len(full.findall(A + "entry")) == 6
    assert full.findtext(A + "updated") == "2025-06-01T00:00:00Z"


def test_feed_ties_broken_by_path_and_empty_feed_is_valid() -> None:
    same = dt.date(2024, 2, 2)
    entries = [entry(3, same), entry(1, same), entry(2, same)]
    root = parse(render_feed(entries, site_title="S", base_url=None, author=None))
    assert [n.findtext(A + "title") for n in root.findall(A + "entry")] == [
        "Note 1",
        "Note 2",
        "Note 3",
    ]
    empty = parse(render_feed([], site_title="S", base_url=None, author=None))
    assert empty.findall(A + "entry") == []
    assert empty.findtext(A + "updated") == "1970-01-01T00:00:00Z"


def test_sitemap_absolute_sorted_with_lastmod() -> None:
    entries = [
        SitemapEntry("/zeta/", dt.date(2024, 5, 6)),
        SitemapEntry("/", None),
        SitemapEntry("/a b/é/", dt.date(2023, 12, 31)),
    ]
    root = parse(render_sitemap(entries, base_url=BASE + "/"))
    assert root.tag == SM + "urlset"
    urls = [(u.findtext(SM + "loc"), u.findtext(SM + "lastmod")) for u in root.findall(SM + "url")]
    assert urls == [
        (BASE + "/", None),
        (BASE + "/a%20b/%C3%A9/", "2023-12-31"),
        (BASE + "/zeta/", "2024-05-06"),
    ]


def test_sitemap_relative_and_escaped() -> None:
    root = parse(render_sitemap([SitemapEntry("/q/?a=1&b=2", None)], base_url=None))
    assert [u.findtext(SM + "loc") for u in root.findall(SM + "url")] == ["/q/%3Fa%3D1%26b%3D2"]


def test_rejects_paths_that_are_not_root_relative() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        render_sitemap([SitemapEntry("docker/", None)], base_url=None)


@pytest.mark.parametrize(
    ("base_url", "line"),
    [
        (BASE, f"Sitemap: {BASE}/sitemap.xml"),
        (BASE + "/", f"Sitemap: {BASE}/sitemap.xml"),
        (None, "Sitemap: /sitemap.xml"),
    ],
)
def test_robots_points_to_sitemap(base_url: str | None, line: str) -> None:
    text = render_robots(base_url=base_url).decode("utf-8")
    assert text.splitlines()[0] == "User-agent: *"
    assert line in text.splitlines()


# --- The sample content built end to end (needs the builder and content/ notes) ---------------

REPO = Path(__file__).resolve().parents[1]


def built_sample(tmp_path: Path) -> Path:
    """Build content/ into tmp_path (no search index: it is not what these tests look at)."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    out = tmp_path / "site"
    build_site(BuildOptions(project_dir=REPO, out_dir=out, search=False))
    return out


def page_url(site: Path, html: Path) -> str:
    rel = html.relative_to(site).as_posix()
    return "/" + rel.removesuffix("index.html") if rel.endswith("index.html") else "/" + rel


def strip_base(url: str, base_url: str | None) -> str:
    if base_url:
        assert url.startswith(base_url.rstrip("/") + "/"), url
        return url[len(base_url.rstrip("/")) :]
    assert url.startswith("/"), url
    return url


def test_sample_site_feed_lists_newest_dated_notes(tmp_path: Path) -> None:
    from site_builder.core.config import load_settings
    from site_builder.vault.load import load_content

    site = built_sample(tmp_path)
    settings = load_settings(REPO)
    content = load_content(REPO / "content", REPO)
    dated = [n for n in content.notes if n.date is not None]
    assert dated, "the sample content should have notes with a date"
    dated.sort(key=lambda n: n.url)
    dated.sort(key=lambda n: (n.date, n.updated or n.date), reverse=True)
    expected = [(n.url, n.title) for n in dated[:20]]

    root = parse((site / "feed.xml").read_bytes())
    assert root.findtext(A + "title") == settings.title
    entries = root.findall(A + "entry")
    got = [
        (strip_base(e.find(A + "link").get("href"), settings.base_url), e.findtext(A + "title"))
        for e in entries
    ]
    assert got == expected
    for node, note in zip(entries, dated, strict=False):
        assert node.findtext(A + "published") == f"{note.date.isoformat()}T00:00:00Z"
        assert (
            node.findtext(A + "updated") == f"{(note.updated or note.date).isoformat()}T00:00:00Z"
        )
        assert node.find(A + "content").get("type") == "html"
        assert "<" in node.findtext(A + "content")  # the rendered note, as HTML text
    drafts = {d.url for d in content.hidden_drafts}
    assert drafts, "the sample content should have a draft"
    assert not drafts & {url for url, _ in got}


def test_sample_site_sitemap_lists_every_published_page(tmp_path: Path) -> None:
    from site_builder.core.config import load_settings
    from site_builder.vault.load import load_content

    site = built_sample(tmp_path)
    base_url = load_settings(REPO).base_url
    content = load_content(REPO / "content", REPO)
    # Every page a reader can land on: not the 404 page, not the search page (it has no content).
    pages = {page_url(site, p) for p in site.rglob("*.html") if p.name != "404.html"}
    assert "/search/" in pages
    pages.discard("/search/")
    root = parse((site / "sitemap.xml").read_bytes())
    locs = [strip_base(u.findtext(SM + "loc"), base_url) for u in root.findall(SM + "url")]
    assert len(locs) == len(set(locs))
    assert set(locs) == pages
    assert {n.url for n in content.notes} <= set(locs)
    assert not {d.url for d in content.hidden_drafts} & set(locs)
    lastmods = {
        strip_base(u.findtext(SM + "loc"), base_url): u.findtext(SM + "lastmod")
        for u in root.findall(SM + "url")
    }
    for note in content.notes:
        when = note.updated or note.date
        assert lastmods[note.url] == (when.isoformat() if when else None), note.url
    robots = (site / "robots.txt").read_text("utf-8").splitlines()
    sitemap_url = (base_url.rstrip("/") if base_url else "") + "/sitemap.xml"
    assert f"Sitemap: {sitemap_url}" in robots


@pytest.mark.parametrize("path, expected", [
    ("/sec/c++/", "/sec/c%2B%2B/"), ("/100%/", "/100%25/"), ("/c#note/", "/c%23note/"),
    ("/a b/", "/a%20b/"), ("/q?/", "/q%3F/"), ("/é/", "/%C3%A9/"),
])
def test_feed_and_sitemap_urls_are_encoded_like_page_hrefs(path: str, expected: str) -> None:
    from site_builder.vault.links import href_for

    assert href_for(path, None) == expected
    sitemap = parse(render_sitemap([SitemapEntry(path, None)], base_url=BASE))
    assert sitemap.findtext(f"{SM}url/{SM}loc") == BASE + expected
    entry = FeedEntry("T", path, dt.date(2024, 1, 1), None, "s", "<p>x</p>")
    feed = parse(render_feed([entry], site_title="S", base_url=BASE, author=None))
    assert feed.find(f"{A}entry/{A}link").get("href") == BASE + expected


@given(st.text(min_size=1, max_size=30).map(lambda t: "/" + t + "/"))
def test_site_url_is_href_for_for_any_path(path: str) -> None:
    from site_builder.vault.links import href_for

    assert site_url(path, None) == href_for(path, None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.integers(0, 6))),
                max_size=40), st.integers(0, 8))
def test_feed_entries_made_only_for_the_newest_candidates_give_the_same_feed(dates, limit):
    """page_stage._newest_candidates keeps every note that may be among the newest (ties too):
    the feed made from them equals the feed made from all notes."""
    from types import SimpleNamespace as NS

    from site_builder.pipeline.pages import _newest_candidates

    day = lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n)
    notes = [NS(url=f"/n{i}/", date=day(p) if p else None, updated=u and day(p + u))
             for i, (p, u) in enumerate(dates)]
    make = lambda n: FeedEntry(n.url, n.url, n.date, n.updated, "", "")
    everything = newest_entries([make(n) for n in notes if n.date], limit)
    assert newest_entries([make(n) for n in _newest_candidates(notes, limit)], limit) \
        == everything
