"""Every address in a built site that a browser cannot follow.

An ``href`` or ``src`` that is relative or root-relative must name a file of the site (a
pretty URL ``/a/b/`` is its ``index.html``), and a ``#fragment`` must be an id on the page it
names.  Other schemes are the browser's business, except our own placeholder
(``notes-wiki:``), which must never be published.  ``conftest.py`` runs this over every site
the suite builds; ``dead_addresses`` is also what the kepano vault's test asserts on.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FOLLOWED = ("http:", "https:", "mailto:", "tel:", "data:", "javascript:")
# Generated at run time or by Pagefind after the pages: not checked as files.
_SKIP_PREFIXES = ("/pagefind/",)


class _Addresses(HTMLParser):
    """(attribute value, tag) of every href and src, and every id, of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None and tag not in ("link", "script"):
                self.addresses.append((value, tag))
            elif value and (name == "id" or name == "name" and tag == "a"):
                self.ids.add(value)


@lru_cache(maxsize=4096)
def _parse(path: Path, mtime: int) -> _Addresses:
    found = _Addresses()
    found.feed(path.read_text("utf-8", errors="replace"))
    return found


def _page(path: Path) -> _Addresses:
    return _parse(path, path.stat().st_mtime_ns)


def _file_for(site: Path, path: str) -> Path | None:
    """The file a root-relative path names, as S3's website endpoint serves it."""
    target = site / unquote(path).lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    if target.is_file():
        return target
    if (target / "index.html").is_file():
        return target / "index.html"
    return None


def dead_addresses(site: Path) -> list[str]:
    """"page: address (why)" for every address in ``site``'s pages a browser cannot follow."""
    site = Path(site)
    dead = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if rel.startswith(("pagefind/", "_notes/")):
            continue
        base = "/" + rel.removesuffix("index.html")
        for value, _tag in _page(page).addresses:
            why = _why_dead(site, page, base, value.strip())
            if why:
                dead.append(f"{rel}: {value} ({why})")
    return dead


def _why_dead(site: Path, page: Path, base: str, value: str) -> str | None:
    if value.startswith("notes-wiki:") or value == "":
        return "a placeholder" if value else "empty"
    if _SCHEME.match(value) or value.startswith("//"):
        return None if value.lower().startswith(_FOLLOWED) else "unknown scheme"
    parts = urlsplit(urljoin(base, value))
    if parts.path.startswith(_SKIP_PREFIXES):
        return None
    target = page if value.startswith("#") else _file_for(site, parts.path)
    if target is None:
        return "no such file"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in _page(target).ids:
        return f"no id '{fragment}' there"
    return None
