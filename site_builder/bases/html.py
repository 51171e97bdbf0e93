"""A Base's views as HTML: one section per view (a table, cards or a list), readable without
JavaScript; ``site.js`` turns the sections into tabs.

Cells are escaped text, except that a link (a ``[[wiki link]]`` property, ``file.name``, a
``link()``) becomes a link to the published note, and a bare ``https://`` text a link to it.
A link to a note that is not published stays text.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

from site_builder.bases.records import Vault
from site_builder.bases.run import Group, Line, ViewResult
from site_builder.bases.values import FileRef, LinkVal, make_link, number_text, text
from site_builder.vault.links import href_for

_WIKI_IN_TEXT = re.compile(r"!?\[\[([^\[\]\n]+?)\]\]")
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_SUMMARY_NAMES = {"count": "Count", "sum": "Sum", "average": "Average", "min": "Min",
                  "max": "Max", "earliest": "Earliest", "latest": "Latest", "empty": "Empty",
                  "filled": "Filled", "unique": "Unique", "median": "Median", "range": "Range"}


class Cells:
    """Turns values into cell HTML for one vault (links resolve against its index)."""

    def __init__(self, vault: Vault):
        self.vault = vault

    def url_of(self, source: str | None) -> str | None:
        if not source:
            return None
        target = self.vault.index.targets.get(source)
        return target.url if target and not target.hidden else None  # no draft, no template

    def link(self, source: str | None, label: str) -> str:
        url = self.url_of(source)
        shown = html.escape(label)
        if url is None:
            return f'<span class="base-unlinked">{shown}</span>'
        return f'<a href="{html.escape(href_for(url, None))}">{shown}</a>'

    def value(self, value: Any, source: str = "") -> str:
        if value is None:
            return ""
        if isinstance(value, LinkVal):
            return self.link(value.target, value.display or value.name)
        if isinstance(value, FileRef):
            return self.link(value.source, text(value))
        if isinstance(value, tuple):
            return ", ".join(self.value(v, source) for v in value if v is not None)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, float):
            return html.escape(number_text(round(value, 4)))
        if isinstance(value, (dt.date, int)):
            return html.escape(text(value))
        return self.text(text(value), source)

    def text(self, value: str, source: str) -> str:
        if _URL.match(value):
            return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
        parts, at = [], 0
        for match in _WIKI_IN_TEXT.finditer(value):
            parts.append(html.escape(value[at:match.start()]))
            link = make_link(match.group(1), lambda name: self.vault.resolve(name, source))
            parts.append(self.link(link.target, link.display or link.name))
            at = match.end()
        parts.append(html.escape(value[at:]))
        return "".join(parts)

    def cell(self, prop: str, value: Any, line: Line) -> str:
        """A column's cell: ``file.name`` links to the note the row is, by its title (the
        file name unless the note has another), as every link of the site does."""
        if prop in ("file.name", "file.basename"):
            record = self.vault.records.get(line.source)
            return self.link(line.source, record.title if record else text(value))
        return self.value(value, line.source)


def _summary(name: str, value: Any, cells: Cells) -> str:
    if not name:
        return "<td></td>"
    shown = cells.value(round(value, 2) if isinstance(value, float) else value)
    return (f'<td><span class="base-summary-name">{_SUMMARY_NAMES[name]}</span> '
            f"{shown or '—'}</td>")


def _group_label(group: Group, cells: Cells) -> str:
    return cells.value(group.value) or "(none)"


def table(result: ViewResult, cells: Cells) -> str:
    cols = result.view.columns
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in result.labels)
    body = []
    for group in result.groups:
        if result.view.group_by:
            body.append(f'<tr class="base-group"><th scope="rowgroup" colspan="{len(cols)}">'
                        f"{_group_label(group, cells)}</th></tr>")
        for line in group.lines:
            tds = "".join(f"<td>{cells.cell(c, v, line)}</td>" for c, v in zip(cols, line.cells))
            body.append(f"<tr>{tds}</tr>")
    foot = ""
    if any(name for name, _ in result.summaries):
        foot = "<tfoot><tr>" + "".join(_summary(n, v, cells) for n, v in result.summaries) + \
            "</tr></tfoot>"
    return (f'<div class="base-scroll" tabindex="0" role="region" '
            f'aria-label="{html.escape(result.view.name)}"><table class="base-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>{foot}</table></div>")


def cards(result: ViewResult, cells: Cells) -> str:
    items = []
    cols = result.view.columns
    for group in result.groups:
        for line in group.lines:
            title = cells.cell("file.name", None, line)
            rest = "".join(f"<dt>{html.escape(h)}</dt><dd>{cells.cell(c, v, line)}</dd>"
                           for h, c, v in zip(result.labels, cols, line.cells)
                           if c != "file.name" and cells.cell(c, v, line))
            items.append(f'<li class="base-card"><p class="base-card-title">{title}</p>'
                         + (f"<dl>{rest}</dl>" if rest else "") + "</li>")
    return f'<ul class="base-cards">{"".join(items)}</ul>'


def listing(result: ViewResult, cells: Cells) -> str:
    items = []
    cols = result.view.columns
    for group in result.groups:
        for line in group.lines:
            extra = [cells.cell(c, v, line) for c, v in zip(cols, line.cells)
                     if c != "file.name"]
            shown = " · ".join(e for e in extra if e)
            items.append(f"<li>{cells.cell('file.name', None, line)}"
                         + (f' <span class="base-extra">{shown}</span>' if shown else "")
                         + "</li>")
    return f'<ul class="base-list">{"".join(items)}</ul>'


_KINDS: dict[str, Callable[[ViewResult, Cells], str]] = {
    "table": table, "cards": cards, "list": listing}


def base_html(results: tuple[ViewResult, ...], vault: Vault, title: str) -> str:
    """Every view of one Base, one section each (``site.js`` makes them tabs)."""
    cells = Cells(vault)
    sections = []
    for result in results:
        count = sum(len(g.lines) for g in result.groups)
        name = html.escape(result.view.name)
        sections.append(
            f'<section class="base-view" aria-label="{name}">'
            f'<p class="base-view-title">{name}</p>{_KINDS[result.view.kind](result, cells)}'
            f'<p class="base-count">{count} note{"" if count == 1 else "s"}</p></section>')
    return (f'<div class="base" data-pagefind-ignore aria-label="{html.escape(title)}" '
            f'role="group">{"".join(sections)}</div>')
