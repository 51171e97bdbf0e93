"""The folder explorer: every folder and note as a collapsible tree, the current note marked.

Two parts, so the site stays small as it grows.  Every page carries only its own branch
(``branch_html``): the top folders, the folders down to the page's own, opened, and that
folder's notes (at most ``SHOWN`` of them), as ``<details>`` and links: it works without
JavaScript (a closed folder is a link to its section page).  The whole tree is one shared file (``explorer.json``, ``tree_json``) that
``site.js`` fetches once (the browser keeps it) and draws in place of the branch, with the
folders the reader opened remembered.  At 5,000 notes the tree is in one file, not in 5,000.

Order: a folder's ``_index.md`` or a note's ``order`` (or ``weight``) first, then the title.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from functools import lru_cache

from site_builder.site.pages import Card, SectionInfo, by_weight
from site_builder.vault.links import href_for

TREE_PATH = "explorer.json"
SHOWN = 30  # notes of the current folder listed in a page's own branch


def _notes(section: SectionInfo) -> list[Card]:
    return sorted(section.cards, key=lambda c: by_weight(c.weight, c.title))


def tree_json(sections: Mapping[str, SectionInfo]) -> bytes:
    """The whole tree: each folder ``[title, href, [folders], [[note title, href], ...]]``
    (addresses quoted as in every link: ``/c%23/``, as ``location.pathname`` has them)."""
    def node(key: str) -> list:
        s = sections[key]
        return [s.title, href_for(s.url, None), [node(k) for k in s.children],
                [[c.title, href_for(c.url, None)] for c in _notes(s)]]
    return json.dumps(node(""), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _link(title: str, url: str, here: str | None, cls: str = "") -> str:
    current = ' aria-current="page"' if url == here else ""
    klass = f' class="{cls}"' if cls else ""
    return f'<a href="{html.escape(href_for(url, None))}"{klass}{current}>{html.escape(title)}</a>'


def _folder(sections: Mapping[str, SectionInfo], key: str, chain: tuple[str, ...],
            here: str | None) -> str:
    s = sections[key]
    if key not in chain:
        return f"<li>{_link(s.title, s.url, here, 'folder')}</li>"
    inner = "".join(_folder(sections, k, chain, here) for k in s.children)
    if key == chain[-1]:
        inner += _note_items(s, here)
    # The name only: a link inside <summary> would be a control inside a control.
    return (f'<li><details open><summary class="folder">{html.escape(s.title)}</summary>'
            f"<ul>{inner}</ul></details></li>")


def _note_items(section: SectionInfo, here: str | None) -> str:
    notes = _notes(section)
    shown = notes[:SHOWN]
    current = next((c for c in notes if c.url == here), None)
    if current is not None and current not in shown:
        shown = [*shown[:SHOWN - 1], current]
    items = "".join(f"<li>{_link(c.title, c.url, here)}</li>" for c in shown)
    if len(notes) > len(shown):
        items += (f'<li><a href="{html.escape(href_for(section.url, None))}" class="more">'
                  f"All {len(notes)} notes</a></li>")
    return items


@lru_cache(maxsize=1 << 14)
def _chain(folder: str) -> tuple[str, ...]:
    parts = folder.split("/") if folder else []
    return ("", *("/".join(parts[:i]) for i in range(1, len(parts) + 1)))


def branch_html(sections: Mapping[str, SectionInfo], folder: str, here: str | None) -> str:
    """The explorer a page carries: the tree down to ``folder`` (the page's own, "" for the
    root), ``here`` (the page's URL) marked as the current page."""
    chain = tuple(k for k in _chain(folder) if k in sections)
    top = "".join(_folder(sections, k, chain, here) for k in sections[""].children)
    if chain[-1] == "":
        top += _note_items(sections[""], here)
    return (f'<nav id="explorer" class="explorer" aria-label="Folders and notes" '
            f'data-tree="/{TREE_PATH}"><a class="explorer-close" href="#main">Close</a>'
            f"<ul>{top}</ul></nav>")
