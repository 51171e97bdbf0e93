"""What of a built page Pagefind indexes, found without parsing the whole page.

We index only what the builder marks with ``data-pagefind-body`` (the body of each note): once
any page carries that attribute, Pagefind ignores pages without it, which keeps the 404 page,
the home page, sections and tag lists out of the results.  The index is a function of the
*indexed part* of each page only (``indexed_part``: the marked body element, the page's first
``<h1>`` and ``<html>`` tag, and any ``data-pagefind-*`` tag), so the build keys the index on
those parts and does not run Pagefind when an edit changed every page's chrome but no page's
indexed text.
"""

from __future__ import annotations

import re

from site_builder.store.cache import digest

# The attribute as an attribute of a tag, not merely the word inside a note's text.
BODY_MARKER = re.compile(rb"<[a-zA-Z][^<>]*\sdata-pagefind-body(?=[\s>=/])")


_ATTR = b"data-pagefind-"


_SPACE = frozenset(b" \t\n\r\f\v")


_AFTER_MARKER = (b" ", b"\t", b"\n", b"\r", b"\f", b"\v", b">", b"=", b"/")


def _tag_end(page: bytes, start: int, name: bytes) -> int:
    """Where the element opened at ``start`` ends (after its closing tag), counting nested
    elements of the same name; the end of the page when it is not closed."""
    depth = 0
    tags = re.compile(rb"<(/?)" + re.escape(name) + rb"(?=[\s>/])", re.IGNORECASE)
    for m in tags.finditer(page, start):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            close = page.find(b">", m.end())
            return len(page) if close < 0 else close + 1
    return len(page)


_TAG_NAME = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)")


_HTML_TAG = re.compile(rb"<html[\s>][^>]*>?", re.IGNORECASE)


_FIRST_H1 = re.compile(rb"<h1[\s>].*?</h1>", re.IGNORECASE | re.DOTALL)


_PAGEFIND_TAG = re.compile(rb"<[a-zA-Z][^<>]*\sdata-pagefind-[^<>]*>")


_MARKER = b"data-pagefind-body"


def _body_marker(page: bytes) -> int | None:
    """Where the tag carrying ``data-pagefind-body`` starts, as ``BODY_MARKER.search`` finds
    it, but from the places the name occurs: that regex tries every ``<`` of an 18 KB page,
    a third of the time of reading the page for its index (tested equal by hypothesis)."""
    at = page.find(_MARKER)
    while at >= 0:
        start = page.rfind(b"<", 0, at)
        if (start >= 0 and at >= start + 3 and page[at - 1] in _SPACE
                and page[start + 1:start + 2].isalpha()
                and page[at + len(_MARKER):at + len(_MARKER) + 1] in _AFTER_MARKER
                and b">" not in page[start:at]):
            return start
        at = page.find(_MARKER, at + 1)
    return None


def _marked_span(page: bytes) -> tuple[int, int] | None:
    """Where the ``data-pagefind-body`` element starts and ends, or None for an unmarked page."""
    start = _body_marker(page)
    if start is None:
        return None
    name = _TAG_NAME.match(page, start)
    return start, _tag_end(page, start, name.group(1)) if name else len(page)


_UNSET: tuple[int, int] = (-1, -1)


def page_parts(page: bytes) -> tuple[bytes | None, bytes | None]:
    """``indexed_part`` and ``index_document`` of one page, finding its marked element once
    (the cold index reads every page for both)."""
    span = _marked_span(page)
    return indexed_part(page, span), index_document(page, span)


def indexed_part(page: bytes, span: tuple[int, int] | None = _UNSET) -> bytes | None:
    """Everything of one page that Pagefind's output depends on, or None for a page it skips
    (no ``data-pagefind-body``): the marked element, the first ``<h1>`` (the result's title),
    the ``<html>`` tag (its language) and every tag with a ``data-pagefind-*`` attribute
    (meta, filters, sort).  Errs on the side of more: a page whose marked element does not
    close counts up to its end.  ``span``: the marked element's, when already known."""
    span = _marked_span(page) if span is _UNSET else span
    if span is None:
        return None
    html_tag, h1 = _HTML_TAG.search(page), _FIRST_H1.search(page)
    return b"\0".join((html_tag.group(0) if html_tag else b"", h1.group(0) if h1 else b"",
                       b"".join(pagefind_tags(page)), _without_ignored(page[span[0]:span[1]])))


_IGNORE = b"data-pagefind-ignore"
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr".split())


def _without_ignored(part: bytes) -> bytes:
    """``part`` with the content of each ``data-pagefind-ignore`` element left out (its opening
    tag kept): Pagefind indexes none of it, and the ``data-pagefind-*`` tags inside it are in
    ``pagefind_tags`` anyway.  Without this a Base's table (ignored: it lists other notes)
    changed a page's key when a listed note's size changed, though its fragment did not, and
    the edit's recent bundle then held a fragment id its shard held too."""
    at = part.find(_IGNORE)
    if at < 0:
        return part
    pieces, last = [], 0
    while at >= 0:
        start = part.rfind(b"<", last, at)
        name = _TAG_NAME.match(part, start) if start >= 0 else None
        if name is None or part[at - 1] not in _SPACE or b">" in part[start:at]:
            at = part.find(_IGNORE, at + 1)
            continue
        open_end = part.find(b">", at)
        if open_end < 0:
            break
        if name.group(1).lower() in _VOID or part[open_end - 1:open_end] == b"/":
            at = part.find(_IGNORE, open_end)  # no content to leave out
            continue
        end = _tag_end(part, start, name.group(1))
        if not re.search(rb"</" + re.escape(name.group(1)) + rb"\s*>\Z",
                         part[max(start, end - 64):end], re.IGNORECASE):
            break  # not closed: keep the rest, erring on the side of more
        pieces += [part[last:open_end + 1]]
        last = end
        at = part.find(_IGNORE, last)
    return b"".join(pieces) + part[last:]


def pagefind_tags(page: bytes) -> list[bytes]:
    """The tags with a ``data-pagefind-*`` attribute, as ``_PAGEFIND_TAG.findall`` finds them,
    but from the few places the name occurs instead of a regex over every tag of the page."""
    found: list[bytes] = []
    last_end = 0
    at = page.find(_ATTR)
    while at >= 0:
        start, end = page.rfind(b"<", 0, at), page.find(b">", at)
        if (start >= last_end and end >= 0 and page[at - 1] in _SPACE
                and page[start + 1:start + 2].isalpha()
                and b">" not in page[start:at] and b"<" not in page[at:end]):
            found.append(page[start:end + 1])
            last_end = end + 1
        at = page.find(_ATTR, max(at + 1, last_end))
    return found


def index_document(page: bytes, span: tuple[int, int] | None = _UNSET) -> bytes | None:
    """A small page that Pagefind indexes exactly as ``page`` (byte-identical bundles, and
    about 15% less Pagefind CPU than the whole page with its navigation): the ``<html>`` tag,
    the first ``<h1>`` and the marked element, in page order.  None when that cannot be
    promised: an unmarked page, or ``data-pagefind-*`` tags outside the marked element (whose
    content Pagefind reads).  ``span``: the marked element's, when already known."""
    span = _marked_span(page) if span is _UNSET else span
    if span is None:
        return None
    if page.count(_ATTR) != page.count(_ATTR, span[0], span[1]) and any(
            not span[0] <= m.start() < span[1] for m in _PAGEFIND_TAG.finditer(page)):
        return None  # (counting first: the tags' regex over a whole page is the slow part)
    html_tag, h1 = _HTML_TAG.search(page), _FIRST_H1.search(page)
    pieces = [(span[0], page[span[0]:span[1]])]
    if h1 is not None and not span[0] <= h1.start() < span[1]:
        pieces.append((h1.start(), h1.group(0)))
    return (html_tag.group(0) if html_tag else b"<html>") + \
        b'<head><meta charset="utf-8"></head><body>' + \
        b"".join(piece for _, piece in sorted(pieces)) + b"</body></html>"


def part_digest(part: bytes | None) -> str:
    """The digest ``update_index`` keys a page by: of its indexed part, "" for none."""
    return digest(part) if part is not None else ""
