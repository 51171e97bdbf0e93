"""The page left at a URL that leads to another: a note's old URL under a ``permalink``, or an
alias's URL (Obsidian Publish answers both).  S3's website endpoint has no redirect rule per
key that a deploy could keep in step with the notes, so the redirect is a page: a refresh to
the note's URL, with a canonical link and a plain link for readers without it.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote


def redirect_page(url: str, title: str) -> bytes:
    """The bytes of a page that sends its reader to ``url`` (a root-relative note URL)."""
    href = escape(quote(url, safe="/"))
    name = escape(title)
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<title>{name}</title>\n<link rel="canonical" href="{href}">\n'
            f'<meta name="robots" content="noindex">\n'
            f'<meta http-equiv="refresh" content="0; url={href}">\n</head>\n'
            f'<body>\n<p>This page has moved to <a href="{href}">{name}</a>.</p>\n'
            f'</body>\n</html>\n').encode()
