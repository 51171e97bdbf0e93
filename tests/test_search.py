"""build_index over hand-written HTML: what Pagefind indexes, determinism, and every failure."""

from __future__ import annotations

import gzip
import hashlib
import json
import stat
from pathlib import Path

import pytest

from site_builder.core.errors import NotesError
from site_builder.search import pagefind
from site_builder.search.index import build_index

NOTE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="notes:page" content="note"></head><body><header><form role="search" action="/search/">
<input type="search" name="q"></form></header>
<main><article data-pagefind-body><h1>{title}</h1><p>{body}</p></article></main></body></html>
"""
PLAIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{body}</p></body></html>
"""


def write(root: Path, rel: str, template: str, title: str, body: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template.format(title=title, body=body), encoding="utf-8")


def make_site(root: Path) -> Path:
    """Two notes, plus a home page, a list page and a 404 that must stay out of the index."""
    write(root, "docker/networking/index.html", NOTE, "Docker networking", "bridge zebrafish")
    write(root, "python/asyncio/index.html", NOTE, "Asyncio & friends", "event loop quokka")
    write(root, "index.html", PLAIN, "Home", "zebrafish listed on home")
    write(root, "tags/index.html", PLAIN, "Tags", "quokka tag list")
    write(root, "404.html", PLAIN, "Not found", "zebrafish page not found")
    return root


def fragments(site: Path) -> dict[str, dict]:
    """Pagefind's per-page records (gzip, ``pagefind_dcd`` + JSON), keyed by URL."""
    out = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(b"pagefind_dcd")
        record = json.loads(raw[len(b"pagefind_dcd") :])
        out[record["url"]] = record
    return out


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_indexes_only_marked_note_bodies(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    assert build_index(site) == 2
    bundle = site / "pagefind"
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (bundle / name).is_file(), name
    records = fragments(site)
    assert set(records) == {"/docker/networking/", "/python/asyncio/"}
    assert records["/python/asyncio/"]["meta"]["title"] == "Asyncio & friends"
    # Only the marked body is indexed: not the header's search form, not the 404.
    assert records["/docker/networking/"]["content"] == "Docker networking. bridge zebrafish."


def test_two_runs_are_byte_identical_and_stale_files_go(tmp_path: Path) -> None:
    first = make_site(tmp_path / "one")
    second = make_site(tmp_path / "two")
    build_index(first)
    stale = second / "pagefind" / "fragment" / "en_stale.pf_fragment"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    build_index(second)
    assert not stale.exists()
    assert digest_tree(first / "pagefind") == digest_tree(second / "pagefind")
    build_index(first)  # again in place: same bytes
    assert digest_tree(first / "pagefind") == digest_tree(second / "pagefind")


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotesError) as info:
        build_index(tmp_path)
    assert str(info.value) == (
        f"search index: no HTML pages in {tmp_path} to index (build the site first)"
    )
    missing = tmp_path / "nope"
    with pytest.raises(NotesError, match="no HTML pages in .*nope to index"):
        build_index(missing)


def test_no_marked_page_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "404.html", PLAIN, "Not found", "gone")
    # The attribute's name as text in a page is not the attribute itself.
    write(tmp_path, "index.html", PLAIN, "Home", "&lt;main data-pagefind-body&gt;")
    with pytest.raises(NotesError) as info:
        build_index(tmp_path)
    assert str(info.value) == (
        "search index: none of the 2 built HTML pages has a data-pagefind-body "
        "element, so there is nothing to index (publish at least one note, or build with "
        "--no-search)"
    )
    assert not (tmp_path / "pagefind").exists()


def test_missing_binary_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pagefind_bin

    def gone() -> Path:
        raise FileNotFoundError("no binary")

    monkeypatch.setattr(pagefind_bin, "get_executable", gone)
    monkeypatch.setattr(pagefind.shutil, "which", lambda name: None)
    with pytest.raises(NotesError) as info:
        build_index(make_site(tmp_path))
    assert str(info.value) == (
        "search index: the Pagefind binary was not found "
        "(install it with `pip install 'pagefind[bin]'` (or `make install`))"
    )


def fake_pagefind(tmp_path: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = tmp_path / "fake-pagefind"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(pagefind, "pagefind_executable", lambda: exe)


def test_pagefind_failure_reports_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_pagefind(tmp_path, 'echo "Running"\necho "Error: disk full" >&2\nexit 3\n', monkeypatch)
    site = make_site(tmp_path / "site")
    with pytest.raises(NotesError) as info:
        build_index(site)
    assert str(info.value) == ("search index: Pagefind failed with exit status 3: Error: disk full")


def test_zero_pages_indexed_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = '{"version":"x","languages":{"en":{"hash":"h","wasm":"en","page_count":0}}}'
    script = f'mkdir -p "$4"\necho \'{entry}\' > "$4/pagefind-entry.json"\n'
    fake_pagefind(tmp_path, script, monkeypatch)
    site = make_site(tmp_path / "site")
    with pytest.raises(NotesError, match=r"Pagefind indexed 0 of 5 built HTML pages \(check that"):
        build_index(site)


def test_missing_entry_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pagefind(tmp_path, "exit 0\n", monkeypatch)
    with pytest.raises(NotesError, match=r"Pagefind wrote no readable .*pagefind-entry\.json"):
        build_index(make_site(tmp_path / "site"))


def test_note_urls_are_percent_encoded_in_the_index(tmp_path: Path) -> None:
    """Pagefind keeps a page's path as its URL: ``/c#/`` in a result would open ``/c``."""
    from urllib.parse import unquote

    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    names = {"c#": "/c%23/", "what?": "/what%3F/", "100%": "/100%25/",
             "back\\slash": "/back%5Cslash/", "plain": "/plain/"}
    for name in names:
        (tmp_path / "content").mkdir(exist_ok=True)
        (tmp_path / "content" / f"{name}.md").write_text(f"# {name}\n\nwombat {name}\n")
    build_site(BuildOptions(project_dir=tmp_path))
    site = tmp_path / "build" / "site"
    records = fragments(site)
    assert set(records) == set(names.values())
    for name, url in names.items():  # each one leads to its page
        assert (site / unquote(url).strip("/") / "index.html").is_file(), name
