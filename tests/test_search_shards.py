"""The search index in shards (issue 17): pages split by a stable hash of their path, one
Pagefind bundle per shard, and a build re-runs Pagefind only for the shards whose pages'
indexed text changed.  Small shards (``PAGES_PER_SHARD`` patched) give a small site several."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from searchview import listed as listed_bundles
from searchview import search_view

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult
from site_builder.search import index as search
from site_builder.search import pagefind, recent
from site_builder.search import parts as page_parts_module
from site_builder.search import shards as search_shards
from site_builder.search.shards import plan_bundles, shard_count, shard_of, update_index

EXAMPLES = 400 if os.environ.get("NOTES_DEEP_TESTS") else 60
NOTES = {f"{s}/n{i}.md": f"---\ntitle: Note {s}{i}\n---\nWord{s}{i} and common text.\n"
         for s in "ab" for i in range(6)}
PATHS = st.lists(st.from_regex(r"[a-z]{1,6}/[a-z0-9]{1,6}/index\.html", fullmatch=True),
                 unique=True, max_size=40)


def site_digests(out: Path) -> dict[str, str]:
    """Every page's digest of its indexed part, read serially in this process: the plain
    reading that ``read_pages`` (on all cores) must agree with."""
    return {page.relative_to(out).as_posix():
            page_parts_module.part_digest(page_parts_module.indexed_part(page.read_bytes()))
            for page in search.html_pages(out)}


def test_shard_count_is_a_power_of_two_sized_by_the_pages(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setattr(search_shards, "PAGES_PER_SHARD", 100)
    assert [shard_count(n) for n in (0, 1, 100)] == [1, 1, 1]
    assert [shard_count(101), shard_count(200), shard_count(201)] == [2, 2, 4]
    assert shard_count(5000) == 64


def test_shard_of_is_the_same_in_another_process() -> None:
    """Not Python's salted ``hash``: a fresh interpreter puts every page in the same shard."""
    paths = [f"s{i}/note-{i}/index.html" for i in range(50)]
    code = ("import json,sys; from site_builder.search.shards import shard_of; "
            "print(json.dumps([shard_of(p, 32) for p in json.loads(sys.argv[1])]))")
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(paths)], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out) == [shard_of(p, 32) for p in paths]
    assert len(set(json.loads(out))) > 10  # and spread over the shards


@settings(max_examples=EXAMPLES, deadline=None)
@given(PATHS, st.lists(st.booleans(), max_size=40), st.integers(1, 8))
def test_every_indexed_page_is_in_exactly_one_bundle(paths: list[str], skipped: list[bool],
                                                     per: int) -> None:
    indexed = {p: ("" if i < len(skipped) and skipped[i] else f"d{i}")
               for i, p in enumerate(paths)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_shards, "PAGES_PER_SHARD", per)
        plan = plan_bundles(indexed)
        more = plan_bundles({**indexed, "zz/new/index.html": "dnew"})
        same_count = shard_count(len(plan_pages(plan))) == shard_count(len(plan_pages(more)))
    placed = [p for pages in plan.values() for p in pages]
    assert sorted(placed) == sorted(p for p, d in indexed.items() if d)
    assert all(plan.values()) and ("" in plan) == bool(placed)
    # One page more (same shard count): every other page stays in its bundle.
    if same_count and "" in plan:
        where = {p: name for name, pages in plan.items() for p in pages}
        where_more = {p: name for name, pages in more.items() for p in pages}
        moved = {p for p in where if where[p] != where_more[p]}
        # Only the primary may change its name (a new page in a lower, empty shard).
        assert not moved or {where[p] for p in moved} == {""}


def plan_pages(plan: dict[str, tuple[str, ...]]) -> list[str]:
    return [p for pages in plan.values() for p in pages]


def build(project: Path) -> BuildResult:
    return build_site(BuildOptions(project_dir=project, search=True))


def spy_pagefind(monkeypatch: pytest.MonkeyPatch, seen: Callable[[Path, bool], object]
                 ) -> None:
    """Every (real) Pagefind run told to ``seen``: its site folder, and whether it ran side by
    side with others."""
    real = pagefind.run_pagefind

    def spying(site: Path, bundle: Path, side_by_side: bool = False) -> None:
        seen(site, side_by_side)
        real(site, bundle, side_by_side)

    monkeypatch.setattr(pagefind, "run_pagefind", spying)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Small shards, and every Pagefind run as the sorted pages it was given."""
    monkeypatch.setattr(search_shards, "PAGES_PER_SHARD", 3)
    seen: list[list[str]] = []
    spy_pagefind(monkeypatch, lambda site, _: seen.append(
        sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))))
    return seen


@pytest.fixture
def project(tmp_path: Path, runs: list[list[str]]) -> Path:
    for rel, text in NOTES.items():
        path = tmp_path / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    assert build(tmp_path).searched
    return tmp_path


def fragments(root: Path) -> dict[str, str]:
    """URL -> indexed text, as the merged search shows it: the primary, the listed bundles,
    without the fragments set aside (``searchview.search_view``)."""
    return {url: json.loads(data[len(b"pagefind_dcd"):])["content"]
            for url, data in search_view(root).items()}


def test_layout_primary_bundle_shards_and_their_list(project: Path, runs: list) -> None:
    root = project / "build/site/pagefind"
    listed = listed_bundles(root)
    shards = sorted(p.name for p in root.iterdir() if p.name.startswith("shard-"))
    assert len(shards) >= 2 and listed == {"bundles": [f"/pagefind/{s}/" for s in shards],
                                           "drop": []}
    assert (root / "merged" / "pagefind.js").is_file()
    assert len(runs) == len(shards) + 1  # one Pagefind run per bundle
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-component-ui.js", "wasm.en.pagefind"):
        assert (root / name).is_file()
    for shard in shards:  # only what a merged index loads
        kept = {p.name for p in (root / shard).iterdir()}
        assert "pagefind-entry.json" in kept and {"index", "fragment"} <= kept
        assert not any(n.endswith((".js", ".css")) or n.startswith("wasm.") for n in kept), kept
    found = fragments(root)
    assert set(found) == {f"/{k[:-3]}/" for k in NOTES}
    assert "Worda3" in found["/a/n3/"]


def test_a_body_edit_indexes_only_the_edited_page(project: Path, runs: list) -> None:
    """The edited page goes into the recent bundle (one Pagefind run over it alone); its old
    fragment in its shard is set aside, and its shard is left as it was."""
    root = project / "build/site/pagefind"
    shards = {p.name: tree(p) for p in root.iterdir() if p.name.startswith("shard-")}
    before = len(runs)
    edit = project / "content/b/n2.md"
    edit.write_text(edit.read_text().replace("common text", "changed zanzibar text"))
    assert build(project).searched
    assert runs[before:] == [["b/n2/index.html"]]
    assert "zanzibar" in fragments(root)["/b/n2/"]
    assert listed_bundles(root)["bundles"][-1] == "/pagefind/recent/"
    assert len(listed_bundles(root)["drop"]) == 1
    assert shards == {p.name: tree(p) for p in root.iterdir() if p.name.startswith("shard-")}
    assert not build(project).searched and len(runs) == before + 1  # unchanged: no run
    other = project / "content/a/n1.md"
    other.write_text(other.read_text().replace("common text", "quokka text"))
    assert build(project).searched  # the recent bundle again, with both pages
    assert runs[before + 1:] == [["a/n1/index.html", "b/n2/index.html"]]
    assert "quokka" in fragments(root)["/a/n1/"] and "zanzibar" in fragments(root)["/b/n2/"]


def test_a_deleted_note_is_gone_from_the_index_in_the_same_build(project: Path, runs: list
                                                                 ) -> None:
    before = len(runs)
    (project / "content/a/n4.md").unlink()
    build(project)
    assert len(runs) == before  # its fragment set aside, no Pagefind run
    assert "/a/n4/" not in fragments(project / "build/site/pagefind")


def test_past_the_limit_the_shards_are_made_again_as_a_clean_build_makes_them(
        project: Path, runs: list, monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every build in between shows what a clean build shows; once past ``RECENT_LIMIT``
    pending pages the index is byte-identical to a clean build's (no recent bundle)."""
    monkeypatch.setattr(recent, "RECENT_LIMIT", 2)
    root = project / "build/site/pagefind"
    for step, rel in enumerate(("a/n0.md", "b/n3.md", "a/n5.md")):
        path = project / "content" / rel
        path.write_text(path.read_text().replace("common", f"edit{step}"))
        build(project)
        clean = tmp_path_factory.mktemp("clean")
        shutil.copytree(project / "content", clean / "content")
        build(clean)
        assert search_view(root) == search_view(clean / "build/site/pagefind")
        assert (root / "recent").is_dir() == (step < 2)
    assert tree(clean / "build/site/pagefind") == tree(root)


def test_emptied_shard_goes_and_cached_equals_clean(project: Path, runs: list,
                                                    tmp_path_factory: pytest.TempPathFactory
                                                    ) -> None:
    root = project / "build/site/pagefind"
    shard = max(p for p in root.iterdir() if p.name.startswith("shard-"))
    urls = {u for u in fragments(root) if u not in fragments_of(shard)}
    keep = {f"{u.strip('/')}.md" for u in urls}
    for rel in NOTES:
        if rel not in keep:
            (project / "content" / rel).unlink()
    build(project)
    assert not shard.exists()
    assert f"/pagefind/{shard.name}/" not in listed_bundles(root)["bundles"]
    assert set(fragments(root)) == urls
    clean = tmp_path_factory.mktemp("clean")
    shutil.copytree(project / "content", clean / "content")
    build(clean)
    assert tree(clean / "build/site/pagefind") == tree(root)


def fragments_of(bundle: Path) -> set[str]:
    return {json.loads(gzip.decompress(p.read_bytes())[len(b"pagefind_dcd"):])["url"]
            for p in (bundle / "fragment").glob("*.pf_fragment")}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_update_index_for_a_server_reindexes_what_changed(tmp_path: Path, runs: list) -> None:
    """The call a background indexer makes: digests read from disk, keys kept between calls."""
    site = tmp_path / "site"
    for i in range(8):
        page = site / f"p{i}/index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f'<html lang="en"><body><h1>P{i}</h1>'
                        f'<div data-pagefind-body>text{i} here</div></body></html>')
    first = search.reindex(site)
    assert first.pages == 8 and len(first.ran) == len(first.keys) >= 2
    again = update_index(site, site_digests(site), first.keys)
    assert again.ran == () and again.keys == first.keys
    (site / "p5/index.html").write_text((site / "p5/index.html").read_text().replace(
        "text5", "other5"))
    third = search.reindex(site, again.keys)
    assert len(third.ran) == 1 and "p5/index.html" in runs[-1] and len(runs[-1]) < 8


def test_a_failing_shard_leaves_the_old_index_whole(project: Path, runs: list,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = project / "build/site/pagefind"
    old = tree(root)

    def broken(site: Path, bundle: Path, side_by_side: bool = False) -> None:
        raise pagefind.SearchIndexError("search index: Pagefind failed with exit status 1: boom")

    monkeypatch.setattr(pagefind, "run_pagefind", broken)
    for rel in ("a/n1.md", "b/n5.md"):
        path = project / "content" / rel
        path.write_text(path.read_text().replace("common", "altered"))
    with pytest.raises(pagefind.SearchIndexError, match="boom"):
        build(project)
    assert tree(root) == old
    assert not list((project / "build").glob(".pagefind-*"))  # no temporary folder left


def test_small_index_documents_give_the_same_bundles_as_whole_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the sample content (code, math, embeds with data-pagefind-ignore, images): the
    bundles made from ``index_document`` pages equal those made from the pages themselves."""
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "site"
    build_site(BuildOptions(project_dir=repo, out_dir=out, search=False))
    pages = [p for p in out.rglob("*.html") if page_parts_module.index_document(p.read_bytes())]
    assert len(pages) > 10
    search.build_index(out)
    small = tree(out / "pagefind")
    monkeypatch.setattr(page_parts_module, "index_document", lambda page, span=None: None)
    shutil.rmtree(out / "pagefind")
    search.build_index(out)
    assert tree(out / "pagefind") == small


def test_pagefind_side_by_side_writes_the_same_bundles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One thread per Pagefind and huge pages (``pagefind.SIDE_BY_SIDE``) change its speed,
    not its output: the sample content in several shards, indexed both ways."""
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "site"
    build_site(BuildOptions(project_dir=repo, out_dir=out, search=False))
    monkeypatch.setattr(search_shards, "PAGES_PER_SHARD", 4)
    flags: list[bool] = []
    spy_pagefind(monkeypatch, lambda _, side_by_side: flags.append(side_by_side))
    search.build_index(out)
    together = tree(out / "pagefind")
    assert len(flags) > 2 and all(flags) == (search_shards._JOBS > 1)
    monkeypatch.setattr(pagefind, "SIDE_BY_SIDE", {})
    shutil.rmtree(out / "pagefind")
    search.build_index(out)
    assert tree(out / "pagefind") == together


def test_side_by_side_reaches_pagefind_and_the_users_settings_win(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text('#!/bin/sh\nmkdir -p "$4" && env > "$4/env.txt"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(pagefind, "pagefind_executable", lambda: fake)
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:1")
    pagefind.run_pagefind(tmp_path, tmp_path / "alone")
    pagefind.run_pagefind(tmp_path, tmp_path / "shared", side_by_side=True)
    alone = (tmp_path / "alone/env.txt").read_text().splitlines()
    shared = (tmp_path / "shared/env.txt").read_text().splitlines()
    assert "RAYON_NUM_THREADS=1" not in alone and "TOKIO_WORKER_THREADS=1" not in alone
    assert "RAYON_NUM_THREADS=1" in shared and "TOKIO_WORKER_THREADS=1" in shared
    assert "_RJEM_MALLOC_CONF=narenas:1" in shared and "_RJEM_MALLOC_CONF=narenas:1" in alone


def test_one_bundle_to_remake_runs_pagefind_with_its_own_threads(project: Path, runs: list,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    flags: list[bool] = []
    spy_pagefind(monkeypatch, lambda _, side_by_side: flags.append(side_by_side))
    edit = project / "content/a/n0.md"
    edit.write_text(edit.read_text().replace("common", "other"))
    assert build(project).searched
    assert flags == [False]


def test_index_document_keeps_the_title_language_and_body_only() -> None:
    page = (b'<html lang="de"><head><title>T</title></head><body><nav>menu</nav><h1>Title</h1>'
            b'<div data-pagefind-body><p>text <span data-pagefind-ignore>x</span></p></div>'
            b"<footer>f</footer></body></html>")
    doc = page_parts_module.index_document(page)
    assert doc is not None and doc.startswith(b'<html lang="de">')
    assert b"<h1>Title</h1><div data-pagefind-body>" in doc and b"menu" not in doc
    assert b"footer" not in doc and b"data-pagefind-ignore" in doc
    outside = page.replace(b"<nav>", b'<nav data-pagefind-meta="author">')
    assert page_parts_module.index_document(outside) is None  # its content is read: whole page indexed
    assert page_parts_module.index_document(page.replace(b" data-pagefind-body", b"")) is None


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(st.lists(st.sampled_from([b"<", b">", b"data-pagefind-", b"body", b"a", b"1", b" ", b"\n",
                                 b"=", b'"', b"<div ", b"<p>", b"</div>"]), max_size=40))
def test_pagefind_tags_finds_what_the_regex_finds(parts: list[bytes]) -> None:
    page = b"".join(parts)
    assert page_parts_module.pagefind_tags(page) == page_parts_module._PAGEFIND_TAG.findall(page)


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(st.lists(st.sampled_from([b"<", b">", b"data-pagefind-body", b"data-pagefind-", b"body",
                                 b"a", b"1", b" ", b"\t", b"=", b"/", b'"', b"<div ", b"<p>",
                                 b"</div>", b"\xc3\xa9"]), max_size=40))
def test_body_marker_finds_what_the_regex_finds(parts: list[bytes]) -> None:
    page = b"".join(parts)
    match = page_parts_module.BODY_MARKER.search(page)
    assert page_parts_module._body_marker(page) == (match.start() if match else None)


def test_a_build_after_one_killed_mid_index_removes_what_that_one_left(
        project: Path) -> None:
    """kill -9 during the search step leaves its pages in memory (``/dev/shm``) and its
    bundles beside the output: the next build removes both, and its own."""
    scratch = search_shards._scratch_dir() or tempfile.gettempdir()
    left = [Path(scratch) / "notes-pagefind-999999999-x",
            project / "build" / ".pagefind-999999999-x",
            project / "build" / ".site.building-999999999-x"]
    for folder in left:
        (folder / "a").mkdir(parents=True)
    edit = project / "content/a/n0.md"
    edit.write_text(edit.read_text().replace("common", "other"))
    assert build(project).searched
    assert [f for f in left if f.exists()] == []
    assert not [p for p in (project / "build").iterdir() if "pagefind" in p.name
                or "building" in p.name]


def test_read_pages_reads_each_page_once_on_all_cores(tmp_path: Path) -> None:
    """The cold index's one pass (two forced workers): the digests ``site_digests`` (above) gives,
    and each page's index document left in the scratch folder, where ``update_index`` takes
    it from instead of reading the page again."""
    out = tmp_path / "site"
    for i in range(6):
        body = b"" if i == 5 else b" data-pagefind-body"
        page = out / f"s/p{i}/index.html"
        page.parent.mkdir(parents=True)
        page.write_bytes(b'<html lang="en"><body><nav>m</nav><h1>T%d</h1><main%s><p>w%d</p>'
                         b"</main></body></html>" % (i, body, i))
    pages = [f"s/p{i}/index.html" for i in range(6)]
    with search_shards.scratch() as docs:
        found = search_shards.read_pages(out, pages, docs, jobs=2)
        assert found == site_digests(out)
        assert found[pages[5]] == "" and all(found[p] for p in pages[:5])
        for page in pages[:5]:
            doc = search_shards.doc_path(docs, page)
            assert doc.parent == docs  # flat: no folder made per page
            assert doc.read_bytes() == page_parts_module.index_document((out / page).read_bytes())
        assert len(list(docs.iterdir())) == 5  # one document per marked page, none for p5
        assert not search_shards.doc_path(docs, pages[5]).exists()
        update_index(out, found, {}, docs=docs)
        assert not list(docs.iterdir())  # every document moved in, none made again
    assert pagefind.indexed_pages(out / "pagefind") == 5


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the error comes back from a worker
def test_read_pages_error_names_the_page(tmp_path: Path, jobs: int) -> None:
    with pytest.raises(pagefind.SearchIndexError) as info:
        search_shards.read_pages(tmp_path, ["gone/index.html", "gone/2.html"], tmp_path / "d",
                                 jobs=jobs)
    assert str(info.value).startswith("search index: could not copy gone/index.html for "
                                      "Pagefind into ")


def test_scratch_is_tmpdir_when_set_else_memory_with_room(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert search_shards._scratch_dir() is None  # tempfile's own choice: $TMPDIR
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(search_shards, "_SHM", str(tmp_path))
    assert search_shards._scratch_dir() == str(tmp_path)
    monkeypatch.setattr(search_shards, "_SHM_ROOM", 2**62)  # not that much room
    assert search_shards._scratch_dir() is None
    monkeypatch.setattr(search_shards, "_SHM", str(tmp_path / "missing"))
    assert search_shards._scratch_dir() is None


def test_scratch_without_room_is_a_one_line_error(project: Path, runs: list,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if "notes-pagefind-" in str(self):
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    edit = project / "content/a/n0.md"
    edit.write_text(edit.read_text().replace("common", "other"))
    with pytest.raises(pagefind.SearchIndexError) as info:
        build(project)
    assert str(info.value).startswith("search index: could not copy a/n0/index.html for Pagefind")
    assert str(info.value).endswith(": No space left on device (set TMPDIR to a folder with room, "
                                    "or build with --no-search)")
