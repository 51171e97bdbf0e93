"""Full-text search index for the built site, made by Pagefind.

Pagefind runs over the finished HTML and writes a static index plus its UI under ``pagefind/``;
the browser does the searching, so no server and no CDN are involved.  We index only what the
builder marks with ``data-pagefind-body`` (the body of each note): once any page carries that
attribute, Pagefind ignores pages without it, which keeps the 404 page, the home page, sections
and tag lists out of the results.  Drafts are never built, so they are never indexed.

The index is a pure function of the HTML: Pagefind 1.5 names its files by content hash and writes
byte-identical output for identical input, so an unchanged site uploads nothing new.  More: it is
a function of the *indexed part* of each page only (``indexed_part``: the marked body element,
the page's first ``<h1>`` and ``<html>`` tag, and any ``data-pagefind-*`` tag), so the build keys
the index on those parts and does not run Pagefind at all when a settings, template, tags or
feed edit changed every page's chrome but no page's indexed text.

The index is made in shards, one Pagefind bundle each (``site_builder.search_shards``), so an
edit re-runs Pagefind over a few hundred pages; ``reindex`` is the call for anyone holding a
built site (the build itself goes through ``search_shards.update_index`` with its cached
digests).

The binary comes from the ``pagefind[bin]`` wheel (package ``pagefind_bin``); a ``pagefind`` on
PATH is the fallback.  Its progress chatter is captured and shown only when it fails.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from site_builder.cache import OutputEntry, digest
from site_builder.errors import NotesError

if TYPE_CHECKING:
    from site_builder.search_shards import IndexUpdate

OUTPUT_SUBDIR = "pagefind"
_TIMEOUT_SECONDS = 600
NO_NOTES = ("search index: no published note to index (publish at least one note, or build "
            "with --no-search)")
_INSTALL_HINT = "install it with `pip install 'pagefind[bin]'` (or `make install`)"
# The attribute as an attribute of a tag, not merely the word inside a note's text.
_BODY_MARKER = re.compile(rb"<[a-zA-Z][^<>]*\sdata-pagefind-body(?=[\s>=/])")
_ATTR = b"data-pagefind-"
_SPACE = frozenset(b" \t\n\r\f\v")
_AFTER_MARKER = (b" ", b"\t", b"\n", b"\r", b"\f", b"\v", b">", b"=", b"/")


class SearchIndexError(NotesError):
    """The search index could not be built; the message says what and how to fix it."""


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
    """Where the tag carrying ``data-pagefind-body`` starts, as ``_BODY_MARKER.search`` finds
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
                       b"".join(pagefind_tags(page)), page[span[0]:span[1]]))


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


def indexed_digests(out: Path, outputs: Mapping[str, OutputEntry],
                    known: Mapping[str, tuple], docs: Path) -> dict[str, tuple]:
    """Per HTML page: (its file digest, the digest of what Pagefind indexes of it, "" for a
    page it skips).  Only pages whose bytes changed since ``known`` are read again, on all
    cores, leaving their index documents in ``docs`` for ``update_index``."""
    from site_builder.search_shards import read_pages  # it builds on this module

    found, todo = {}, []
    for path, entry in outputs.items():
        if not path.endswith(".html"):
            continue
        kept = known.get(path)
        if kept is not None and kept[0] == entry.digest:
            found[path] = kept
        else:
            todo.append(path)
    read = read_pages(out, todo, docs)
    found.update((path, (outputs[path].digest, read[path])) for path in todo)
    return found


def pagefind_version() -> str:
    """The Pagefind that writes the index (part of its key: another version, another index)."""
    from importlib import metadata

    try:
        return metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:
        return "unknown"


def pagefind_executable() -> Path:
    """The Pagefind binary shipped in the ``pagefind_bin`` wheel, else one on PATH."""
    try:
        import pagefind_bin

        return Path(pagefind_bin.get_executable()).absolute()
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        if found:
            return Path(found)
    raise SearchIndexError(f"search index: the Pagefind binary was not found ({_INSTALL_HINT})")


def _html_pages(out_dir: Path) -> list[Path]:
    """Every ``.html`` file of the site outside ``pagefind/``, in path order (``os.scandir``
    knows most entries' types without a ``stat``: a sixth of the time ``rglob`` and its
    per-page parent checks took over 5,000 pages)."""
    found: list[str] = []
    index = os.path.join(out_dir, OUTPUT_SUBDIR)
    folders = [str(out_dir)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.path != index:
                        folders.append(entry.path)
                elif entry.name.endswith(".html") and entry.is_file():
                    found.append(entry.path)
    return [Path(p) for p in sorted(found)]


def _last_error_line(output: str) -> str:
    """Pagefind prints progress on stdout and ``Error: ...`` lines at the end; keep the first
    error line (they repeat), else the last non-empty line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["no output"])[0 if errors else -1]


# For Pagefind runs that share the cores with other Pagefind runs (the shards of a cold index,
# one run per core): one thread each in its tokio and rayon pools rather than one per core,
# and its allocator (jemalloc) on transparent huge pages, so fewer page faults and less
# zeroing.  At 5,000 notes on 2 cores that took the shards' Pagefind CPU from about 9.8 to
# 8.8 s (system time 1.9 to 1.3 s) and each run's peak from 42 to 75 MB.  The user's own
# settings of these variables win; a Pagefind without jemalloc ignores the last one.
_SIDE_BY_SIDE = {"RAYON_NUM_THREADS": "1", "TOKIO_WORKER_THREADS": "1",
                 "_RJEM_MALLOC_CONF": "thp:always,metadata_thp:always"}


def _run_pagefind(out_dir: Path, bundle: Path, side_by_side: bool = False) -> None:
    exe = pagefind_executable()
    cmd = [str(exe), "--site", str(out_dir), "--output-path", str(bundle)]
    env = {**_SIDE_BY_SIDE, **os.environ} if side_by_side else None
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False, env=env
        )
    except OSError as exc:
        raise SearchIndexError(
            f"search index: could not run {exe}: {exc.strerror or exc} ({_INSTALL_HINT})"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise SearchIndexError(
            f"search index: Pagefind did not finish within {_TIMEOUT_SECONDS}s "
            "(build with --no-search to skip the index)"
        ) from exc
    if proc.returncode != 0:
        reason = _last_error_line(proc.stderr + "\n" + proc.stdout)
        raise SearchIndexError(
            f"search index: Pagefind failed with exit status {proc.returncode}: {reason}"
        )


def _indexed_pages(bundle: Path) -> int:
    """Pages indexed, summed over languages from Pagefind's own ``pagefind-entry.json``."""
    entry = bundle / "pagefind-entry.json"
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        return sum(int(lang["page_count"]) for lang in data["languages"].values())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SearchIndexError(
            f"search index: Pagefind wrote no readable {entry} ({exc}); "
            "rerun the build, and report a bug if it persists"
        ) from exc


def build_index(out_dir: Path) -> int:
    """Index the built site in ``out_dir`` into ``out_dir/pagefind`` from scratch; return pages
    indexed.  Reads every page; the build keeps digests and calls ``update_index`` instead.

    Raises ``SearchIndexError`` (a ``NotesError``) with one line saying what went wrong and how to
    fix it: no HTML, no page marked for indexing, Pagefind missing or failing, or nothing indexed.
    """
    out_dir = Path(out_dir)
    pages = _html_pages(out_dir) if out_dir.is_dir() else []
    if not pages:
        raise SearchIndexError(
            f"search index: no HTML pages in {out_dir} to index (build the site first)"
        )
    return _index_pages(out_dir, pages, {}).pages


def reindex(out_dir: Path, known: Mapping[str, str] | None = None) -> IndexUpdate:
    """(Re)index the built site in ``out_dir``, re-running Pagefind only for the shards whose
    pages changed since the call that returned ``known`` (None: every shard).  For a server
    that indexes in the background after each rebuild: keep the result's ``keys`` for the
    next call.  Reads every page (~0.05 s per 1,000 on two cores); the build uses its cached
    digests."""
    out_dir = Path(out_dir)
    return _index_pages(out_dir, _html_pages(out_dir), known or {})


def _index_pages(out_dir: Path, pages: list[Path], known: Mapping[str, str]) -> IndexUpdate:
    """``update_index`` over ``pages`` read from disk: each read once, on all cores, its small
    copy for Pagefind left in a scratch folder and moved in from there."""
    from site_builder.search_shards import read_pages, scratch, update_index

    with scratch() as docs:
        found = read_pages(out_dir, [p.relative_to(out_dir).as_posix() for p in pages], docs)
        return update_index(out_dir, found, known, docs=docs)


def part_digest(part: bytes | None) -> str:
    """The digest ``update_index`` keys a page by: of its indexed part, "" for none."""
    return digest(part) if part is not None else ""


def remove_index(out_dir: Path) -> None:
    """Remove a previous index (a build without search must not keep a stale one)."""
    shutil.rmtree(Path(out_dir) / OUTPUT_SUBDIR, ignore_errors=True)


def sync_tree(src: Path, dest: Path, keep: Callable[[str], bool] | None = None) -> None:
    """Make ``dest`` hold exactly ``src``'s files: identical files are left alone, changed
    and new ones moved in, missing ones removed, except paths ``keep`` (given a path relative
    to ``dest``) says belong to someone else.  A ``dest`` that does not exist yet (a cold
    index) is ``src`` renamed: one rename, not one per file."""
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src, dest)
        return
    wanted = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}
    if dest.is_dir():
        for path in sorted(dest.rglob("*"), reverse=True):
            rel = path.relative_to(dest).as_posix()
            if keep is not None and keep(rel):
                continue
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif rel not in wanted:
                path.unlink()
    for rel in sorted(wanted):
        target = dest / rel
        if target.is_file() and filecmp.cmp(src / rel, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src / rel, target)
