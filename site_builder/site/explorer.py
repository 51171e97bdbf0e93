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


class Explorer:
    """Every page's branch over one build's sections.  Pages of one folder share all of their
    branch but the folder's notes (where the current one is marked), so the rest (the frame)
    is made once per folder and each note's item once: at 1,000 notes, making every branch
    from scratch was 0.2 s of each build, an edit's included (every page's key holds it)."""

    def __init__(self, sections: Mapping[str, SectionInfo]) -> None:
        self.sections = sections
        self._frames: dict[tuple[str, ...], tuple[str, str]] = {}
        self._notes: dict[str, tuple[list[Card], list[str], dict[str, int]]] = {}

    def branch(self, folder: str, here: str | None) -> str:
        """The explorer a page carries: the tree down to ``folder`` (the page's own, "" for
        the root), ``here`` (the page's URL) marked as the current page."""
        chain = tuple(k for k in _chain(folder) if k in self.sections)
        frame = self._frames.get(chain)
        if frame is None:
            frame = self._frames[chain] = self._frame(chain)
        return frame[0] + self._note_items(chain[-1], here) + frame[1]

    def _frame(self, chain: tuple[str, ...]) -> tuple[str, str]:
        """The branch around the notes of ``chain[-1]``: before them, after them.  No link in
        it can be the page's own: a page's folders are in its chain, shown as names."""
        sections = self.sections
        top = "".join(_folder(sections, k, chain) for k in sections[""].children)
        if chain[-1] == "":
            top += _NOTES
        page = (f'<nav id="explorer" class="explorer" aria-label="Folders and notes" '
                f'data-tree="/{TREE_PATH}"><a class="explorer-close" href="#main">Close</a>'
                f"<ul>{top}</ul></nav>")
        before, _, after = page.partition(_NOTES)
        return before, after

    def _note_items(self, key: str, here: str | None) -> str:
        known = self._notes.get(key)
        if known is None:
            notes = _notes(self.sections[key])
            known = self._notes[key] = (notes, [f"<li>{_link(c.title, c.url, None)}</li>"
                                                for c in notes],
                                        {c.url: i for i, c in reversed(list(enumerate(notes)))})
        notes, items, where = known
        at = where.get(here) if here is not None else None
        shown = list(range(min(len(notes), SHOWN)))
        if at is not None and at >= SHOWN:
            shown = [*shown[:SHOWN - 1], at]
        out = "".join(f"<li>{_link(notes[i].title, notes[i].url, here)}</li>" if i == at
                      else items[i] for i in shown)
        if len(notes) > len(shown):
            section = self.sections[key]
            out += (f'<li><a href="{html.escape(href_for(section.url, None))}" class="more">'
                    f"All {len(notes)} notes</a></li>")
        return out


_NOTES = "\0notes\0"  # where a folder's notes go in a frame (no page holds a NUL)


def _folder(sections: Mapping[str, SectionInfo], key: str, chain: tuple[str, ...]) -> str:
    s = sections[key]
    if key not in chain:
        return f"<li>{_link(s.title, s.url, None, 'folder')}</li>"
    inner = "".join(_folder(sections, k, chain) for k in s.children)
    if key == chain[-1]:
        inner += _NOTES
    # The name only: a link inside <summary> would be a control inside a control.
    return (f'<li><details open><summary class="folder">{html.escape(s.title)}</summary>'
            f"<ul>{inner}</ul></details></li>")


@lru_cache(maxsize=1 << 14)
def _chain(folder: str) -> tuple[str, ...]:
    parts = folder.split("/") if folder else []
    return ("", *("/".join(parts[:i]) for i in range(1, len(parts) + 1)))


def branch_html(sections: Mapping[str, SectionInfo], folder: str, here: str | None) -> str:
    """One page's branch (``Explorer.branch``, for a single page)."""
    return Explorer(sections).branch(folder, here)
