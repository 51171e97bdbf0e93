"""Atom feed, sitemap and robots.txt for the built site.

Every function here is pure: values in, bytes out.  The output depends only on its inputs (no
clock, no dict order, entries sorted explicitly), so rebuilding unchanged content produces
byte-identical files and the deploy engine, which uploads only changed bytes, leaves them alone.

URLs are absolute when the site's ``base_url`` is configured and root-relative otherwise (feed
readers and search engines want absolute ones; the builder warns once when ``base_url`` is unset).
XML is built with ``xml.etree`` so titles such as ``Tom & "Jerry" <x>`` are always escaped.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
FEED_PATH = "/feed.xml"
SITEMAP_PATH = "/sitemap.xml"
# Atom ids must be absolute IRIs; without a base URL we still need stable, valid ones.
_RELATIVE_ID_PREFIX = "urn:notes-publisher:"
# Used as the feed's <updated> when there is no entry at all, so even that output is stable.
_EPOCH = datetime.date(1970, 1, 1)
# Characters XML 1.0 forbids outright; one stray control character would make the feed unparsable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Paths are encoded exactly as the pages' hrefs are (``vault.links.href_for``): everything but "/"
# and unreserved characters, so "/sec/c++/" is "/sec/c%2B%2B/" (a "+" in an S3 key path would
# be read as a space) and a "%", "#" or "?" in a file name cannot end or escape the path.
_URL_SAFE = "/"


@dataclass(frozen=True)
class FeedEntry:
    """One note in the feed; ``path`` is root-relative, e.g. ``/docker/networking/``."""

    title: str
    path: str
    published: datetime.date
    updated: datetime.date | None
    summary: str
    content_html: str

    @property
    def last_changed(self) -> datetime.date:
        return self.updated or self.published


@dataclass(frozen=True)
class SitemapEntry:
    """One published page; ``lastmod`` comes from the note's ``updated`` or ``date``."""

    path: str
    lastmod: datetime.date | None


def site_url(path: str, base_url: str | None) -> str:
    """The URL of a root-relative ``path``: absolute under ``base_url`` when set."""
    if not path.startswith("/"):
        raise ValueError(f"site path must start with '/': {path!r}")
    quoted = quote(path, safe=_URL_SAFE)
    return base_url.rstrip("/") + quoted if base_url else quoted


def _atom_id(path: str, base_url: str | None) -> str:
    url = site_url(path, base_url)
    return url if base_url else _RELATIVE_ID_PREFIX + url


def _atom_time(day: datetime.date) -> str:
    """Atom wants RFC 3339 date-times; notes only carry dates, so midnight UTC."""
    return f"{day.isoformat()}T00:00:00Z"


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def newest_entries(entries: Iterable[FeedEntry], limit: int) -> list[FeedEntry]:
    """Newest first by publication date; ties broken by path so the order never wobbles."""
    ordered = sorted(entries, key=lambda e: e.path)
    ordered.sort(key=lambda e: (e.published, e.last_changed), reverse=True)
    return ordered[: max(limit, 0)]


def _add_entry(feed: ET.Element, entry: FeedEntry, base_url: str | None) -> None:
    node = _sub(feed, "entry")
    _sub(node, "id", _atom_id(entry.path, base_url))
    _sub(node, "title", entry.title, type="text")
    _sub(node, "link", rel="alternate", type="text/html", href=site_url(entry.path, base_url))
    _sub(node, "published", _atom_time(entry.published))
    _sub(node, "updated", _atom_time(entry.last_changed))
    _sub(node, "summary", entry.summary, type="text")
    _sub(node, "content", entry.content_html, type="html")


def render_feed(
    entries: Iterable[FeedEntry],
    *,
    site_title: str,
    base_url: str | None,
    author: str | None,
    limit: int = 20,
) -> bytes:
    """The Atom 1.0 feed of the newest ``limit`` notes, as UTF-8 bytes.

    The feed's ``updated`` is the newest entry's updated-or-published date rather than "now",
    so the file only changes when a note in it changes.
    """
    chosen = newest_entries(entries, limit)
    newest = max((e.last_changed for e in chosen), default=_EPOCH)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    if base_url:
        # Root-relative links inside the notes' HTML then resolve against the site, not the
        # reader's idea of where the feed came from.
        feed.set(XML_BASE, base_url.rstrip("/") + "/")
    _sub(feed, "id", _atom_id("/", base_url))
    _sub(feed, "title", site_title, type="text")
    _sub(feed, "updated", _atom_time(newest))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=site_url(FEED_PATH, base_url))
    _sub(feed, "link", rel="alternate", type="text/html", href=site_url("/", base_url))
    # Atom requires an author on the feed or on every entry; fall back to the site's title.
    _sub(_sub(feed, "author"), "name", author or site_title)
    _sub(feed, "generator", "notes-publisher")
    for entry in chosen:
        _add_entry(feed, entry, base_url)
    return _serialize(feed)


def render_sitemap(entries: Iterable[SitemapEntry], *, base_url: str | None) -> bytes:
    """A sitemaps.org ``urlset`` of every given page, sorted by path, as UTF-8 bytes."""
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    seen: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.path):
        if entry.path in seen:
            continue
        seen.add(entry.path)
        url = _sub(urlset, "url")
        _sub(url, "loc", site_url(entry.path, base_url))
        if entry.lastmod is not None:
            _sub(url, "lastmod", entry.lastmod.isoformat())
    return _serialize(urlset)


def render_robots(*, base_url: str | None) -> bytes:
    """robots.txt allowing everything and pointing crawlers at the sitemap."""
    sitemap = site_url(SITEMAP_PATH, base_url)
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n".encode()
