"""Independent readings of a vault for ``bench/real_vault.py``: simpler than the builder's, so
that a disagreement points at one of the two.

``link_suspects`` re-reads each broken-link warning against the files themselves (by name
anywhere, by partial path, by alias; a heading by its words, a block by its ``^id``), and
``list_mismatches`` renders each note's lists with our renderer and with markdown-it-py's
CommonMark renderer and compares their nesting, and ``raw_syntax`` finds Obsidian syntax that a
built page shows as text (``[[link]]``, ``[!callout]``, ``^block-id``) outside code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from site_builder.markdown.render import markdown_mode, render_note
from site_builder.vault.content import Content, Note
from site_builder.vault.links import build_index

_WARNING = re.compile(r"^(?P<file>.+?):(?P<line>\d+): broken link to '(?P<target>.*)' \(")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
_FOOTNOTES = re.compile(r'<div class="footnote">.*?</div>\s*\Z', re.DOTALL)
_COMMONMARK = MarkdownIt("commonmark")
_CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL)
_LEFT_AS_TEXT = re.compile(r"!?\[\[[^\]<]*\]\]|>\s*\[![a-z-]+\]|[\s>]\^[A-Za-z0-9-]+\s*<")


def vault_files(vault: Path) -> list[Path]:
    """Every file of the vault, hidden files and folders (``.obsidian/``, ``.trash/``) left out."""
    return sorted(p for p in vault.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(vault).parts))


def _front(text: str) -> dict:
    match = _FRONT.match(text)
    try:
        data = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _names(vault: Path) -> dict[str, list[Path]]:
    """Lower-case name -> files: a note by its name without ``.md``, by its path without it and
    by each alias; any other file by its name and path with the extension."""
    names: dict[str, list[Path]] = {}
    for path in vault_files(vault):
        rel = path.relative_to(vault).as_posix()
        keys = {path.name.lower(), rel.lower()}
        if path.suffix == ".md":
            keys |= {path.stem.lower(), rel[:-3].lower()}
            aliases = _front(path.read_text("utf-8", errors="replace")).get("aliases") or []
            keys |= {str(a).lower() for a in ([aliases] if isinstance(aliases, str) else aliases)}
        for key in keys:
            names.setdefault(key, []).append(path)
    return names


def _find(names: dict[str, list[Path]], name: str) -> list[Path]:
    key = name.strip().lower()
    found = names.get(key) or names.get(key.removesuffix(".md")) or []
    if found or "/" not in key:
        return found
    return [p for k, ps in names.items() if k.endswith("/" + key) for p in ps]


def _words(text: str) -> str:
    return re.sub(r"[^\w]+", "", text.lower())


def _has_part(path: Path, parts: list[str]) -> bool:
    """Whether the last ``#part`` (a heading's words, or a ``^block`` id) is in the file."""
    if path.suffix != ".md" or not parts:
        return not parts
    text = path.read_text("utf-8", errors="replace")
    last = parts[-1].strip()
    if last.startswith("^"):
        return re.search(rf"\s\^{re.escape(last[1:])}\s*$", text, re.MULTILINE) is not None
    return any(_words(h) == _words(last) for h in _HEADING.findall(text))


def link_suspects(vault: Path, warnings: Iterable[str]) -> list[str]:
    """The warnings whose target the vault does hold: each is the builder's mistake."""
    names = _names(vault)
    suspects = []
    for warning in warnings:
        match = _WARNING.match(warning)
        if not match:
            suspects.append(f"{warning} (not understood)")
            continue
        name, *parts = match["target"].split("#")
        files = [Path(match["file"])] if not name.strip() else _find(names, name)
        if any(_has_part(f, parts) for f in files):
            suspects.append(warning)
    return suspects


def skeleton(html: str) -> str:
    """The lists of a page only: its <ul>, <ol> and <li> tags, in order."""
    return "".join(re.findall(r"</?(?:ul|ol|li)\b", html))


def _ours(body: str) -> str:
    note = Note(source="n.md", display_path="n.md", title="n", url="/n/", section="",
                body=body, body_line=1)
    index = build_index(Content((note,), (), (), ()))
    html = render_note(note, index, raw_html=markdown_mode("keep", False)).html
    return _FOOTNOTES.sub("", html)  # footnotes: an <ol> of ours, not CommonMark


def list_mismatches(vault: Path) -> list[str]:
    """Notes (vault-relative) whose list nesting differs from CommonMark's."""
    found = []
    for path in vault_files(vault):
        if path.suffix != ".md":
            continue
        text = path.read_text("utf-8", errors="replace")
        body = _COMMENT.sub("", _FRONT.sub("", text, count=1))
        if skeleton(_ours(body)) != skeleton(_COMMONMARK.render(body)):
            found.append(path.relative_to(vault).as_posix())
    return found


def _escaped_links(vault: Path) -> set[str]:
    """The ``[[text]]`` a writer escaped (``\\[\\[text\\]\\]``) to show it as it is."""
    escaped = re.compile(r"\\\[\\\[(.*?)\\?\]\\?\]")
    return {f"[[{m.group(1)}]]" for p in vault_files(vault) if p.suffix == ".md"
            for m in escaped.finditer(p.read_text("utf-8", errors="replace"))}


def raw_syntax(site: Path, vault: Path) -> list[str]:
    """"page: text" for Obsidian syntax a page shows as text, outside ``<pre>`` and ``<code>``
    (a ``[[link]]`` the writer escaped is meant to show)."""
    shown = _escaped_links(vault)
    found = []
    for page in sorted(site.rglob("*.html")):
        html = page.read_text("utf-8", errors="replace")
        if "data-pagefind-body" not in html:
            continue
        body = _CODE.sub("", html.split("data-pagefind-body", 1)[1])
        found += [f"{page.relative_to(site).as_posix()}: {m.group(0).strip()}"
                  for m in _LEFT_AS_TEXT.finditer(body) if m.group(0).strip() not in shown]
    return found
