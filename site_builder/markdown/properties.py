"""A note's own properties, shown above its text as Obsidian's properties view shows them.

A vault keeps much of what a note is about in properties (``categories: ["[[Trips]]"]``,
``author``, ``rating``): published without them, a note loses its links to its categories,
and those notes their backlinks.  So the writer's properties (``Note.properties``: not the
builder's keys, not Obsidian's own) become a ``<dl>`` before the body, each wiki link in them
a link resolved and recorded like any other (with its front matter line), so backlinks and
the graph count it; an address is a link, anything else is text.
"""

from __future__ import annotations

import html
import re

from site_builder.vault.content import Note
from site_builder.vault.links import Link, LinkIndex, href_for, resolve_wiki

_PIECES = re.compile(r"\[\[([^\[\]\n]+?)\]\]|(https?://\S+)")


def properties_html(note: Note, index: LinkIndex) -> tuple[str, list[Link]]:
    """The properties list of ``note`` and the links it holds ("" and none when it has none)."""
    if not note.properties:
        return "", []
    links: list[Link] = []
    rows = []
    for key, line, values in note.properties:
        shown = ", ".join(_value_html(v, note, index, line, links) for v in values)
        rows.append(f"<dt>{html.escape(key)}</dt><dd>{shown}</dd>")
    return f'<dl class="properties">{"".join(rows)}</dl>\n', links


def _value_html(value: str, note: Note, index: LinkIndex, line: int, links: list[Link]) -> str:
    out, pos = [], 0
    for match in _PIECES.finditer(value):
        out.append(html.escape(value[pos:match.start()]))
        pos = match.end()
        if match.group(2):
            url = html.escape(match.group(2))
            out.append(f'<a href="{url}" rel="nofollow">{url}</a>')
            continue
        target, _, alias = match.group(1).partition("|")
        link = resolve_wiki(index, note.source, target.strip(), line)
        links.append(link)
        label = html.escape(alias.strip() or target.split("#")[0].strip())
        if link.target:
            address = href_for(index.targets[link.target].url, link.anchor)
            out.append(f'<a class="wikilink" href="{html.escape(address)}">{label}</a>')
        elif link.target is None:
            out.append(f'<a class="broken-link">{label}</a>')
        else:
            out.append(label)
    out.append(html.escape(value[pos:]))
    return "".join(out)
