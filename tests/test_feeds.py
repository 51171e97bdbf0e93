"""Atom feed, sitemap and robots.txt: parsed back with xml.etree and checked field by field."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from site_builder.feeds import (
    FeedEntry,
    SitemapEntry,
    render_feed,
    render_robots,
    render_sitemap,
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
    assert [u.findtext(SM + "loc") for u in root.findall(SM + "url")] == ["/q/%3Fa=1&b=2"]


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
