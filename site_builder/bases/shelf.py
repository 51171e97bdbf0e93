"""Every Base a site shows, for the page stage: what each page's key adds, and its HTML.

A note that embeds a Base (``![[Books.base]]``) is rendered with a placeholder
(``markdown.embeds.BASE_PLACEHOLDER``) and the Base's source among its ``embeds``.  Here the
page's key gains the HTML of every view of each Base it shows, computed from the notes of
this build: a page is made again exactly when what its Bases show changed (a selected
note's property, a new note matching a filter, a renamed link target), and never because an
unrelated note changed.  A Base whose expressions never mention ``this`` is computed once and
shared by every page embedding it.
"""

from __future__ import annotations

import html as htmllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from site_builder.bases.html import base_html
from site_builder.bases.records import Record, Vault, read_vault
from site_builder.bases.run import run_base
from site_builder.bases.spec import BaseSpec, read_base
from site_builder.markdown.embeds import BASE_EXTENSION, BASE_PLACEHOLDER
from site_builder.store.cache import page_key
from site_builder.vault.content import Content, decode, display_path, url_segment
from site_builder.vault.links import LinkIndex, Target


def shown_bases(embeds: Iterable[str]) -> tuple[str, ...]:
    return tuple(e for e in embeds if e.lower().endswith(BASE_EXTENSION))


def base_pages(content: Content) -> dict[str, tuple[str, str]]:
    """Every published ``.base`` file is a page of its own: source -> (URL, title).  Its URL
    is a note's (``Reading/Books.base`` -> ``/Reading/Books/``), so links find it there."""
    pages = {}
    for asset in content.assets:
        if shown_bases((asset.source,)):
            folder, _, name = asset.source.rpartition("/")
            title = name[: -len(BASE_EXTENSION)]
            segments = [url_segment(s) for s in (*folder.split("/"), title) if s]
            pages[asset.source] = ("/" + "/".join(segments) + "/", title)
    return pages


def with_base_pages(index: LinkIndex, content: Content) -> LinkIndex:
    """``index`` with each Base file leading to its page rather than to its YAML."""
    pages = base_pages(content)
    if not pages:
        return index
    targets = {**index.targets, **{s: Target(url, title) for s, (url, title) in pages.items()}}
    return replace(index, targets=targets)


class BaseShelf:
    """The Bases of one build: specs read once, the vault's records read once (lazily), and
    each (Base, view, this) drawn once, before the page workers fork."""

    def __init__(self, content: Content, content_dir: Path, project_dir: Path,
                 index: LinkIndex, rendered: Mapping[str, Any]):
        self.content, self.content_dir, self.project_dir = content, content_dir, project_dir
        self.index, self.rendered = index, rendered
        self.pages = {n.source: shown_bases(rendered[n.source].embeds)
                      for n in (*content.notes, *content.intros)
                      if shown_bases(rendered[n.source].embeds)}
        self.standalone = base_pages(content)
        self._specs: dict[str, BaseSpec] = {}
        self._vault: Vault | None = None
        self._drawn: dict[tuple, str] = {}

    def spec(self, source: str) -> BaseSpec:
        if source not in self._specs:
            path = self.content_dir / source
            shown = display_path(path, self.project_dir)
            self._specs[source] = read_base(decode(path.read_bytes(), shown), source, shown)
        return self._specs[source]

    @property
    def warnings(self) -> list[str]:
        """What the Bases shown hold that we cannot show (each Base once, by path)."""
        used = sorted({*self.standalone, *(b for bases in self.pages.values() for b in bases)})
        return [w for source in used for w in self.spec(source).warnings]

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            links = {s: r.links for s, r in self.rendered.items()}
            embeds = {s: r.embeds for s, r in self.rendered.items()}
            self._vault = read_vault(self.content, self.content_dir, self.index, links, embeds)
        return self._vault

    def _this(self, spec: BaseSpec, this: str | None) -> Record | None:
        return self.vault.records.get(this) if this and spec.uses_this else None

    def draw(self, source: str, view: str, this: str | None) -> str:
        """The HTML of one Base (all its views, or the one named ``view``) as the note
        ``this`` shows it."""
        spec = self.spec(source)
        record = self._this(spec, this)
        key = (source, view, record.source if record else None)
        if key not in self._drawn:
            results = run_base(spec, self.vault, record, view or None)
            title = source.rpartition("/")[2].removesuffix(BASE_EXTENSION)
            self._drawn[key] = base_html(results, self.vault, title)
        return self._drawn[key]

    def key(self, note: str) -> str | None:
        """What the page of ``note`` shows of its Bases (None when it shows none)."""
        bases = self.pages.get(note)
        if not bases:
            return None
        return page_key([(b, self.draw(b, "", note)) for b in bases])

    def fill(self, body: str, note: str) -> str:
        """The page body with every Base placeholder drawn."""
        return BASE_PLACEHOLDER.sub(
            lambda m: self.draw(htmllib.unescape(m.group(1)), htmllib.unescape(m.group(2)),
                                note), body)
