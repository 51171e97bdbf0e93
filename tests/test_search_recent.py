"""Pages changed since their shard was made, in the recent bundle (issue 28): the cache's
record of them, finding their old fragments, and the fallback to making the shards again."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from searchview import listed, search_view
from test_search_shards import site_digests

from site_builder.search import recent
from site_builder.search import shards as search_shards
from site_builder.search.shards import update_index

EXAMPLES = 400 if os.environ.get("NOTES_DEEP_TESTS") else 80
PAGES = st.sampled_from([f"s{i}/index.html" for i in range(12)])
DIGESTS = st.dictionaries(PAGES, st.sampled_from(["", "d1", "d2", "d3"]), max_size=12)


@settings(max_examples=EXAMPLES, deadline=None)
@given(DIGESTS, DIGESTS, st.dictionaries(PAGES, st.sampled_from(["f1", "f2"])))
def test_the_pending_record_gives_back_what_the_shards_hold(made: dict[str, str],
                                                             current: dict[str, str],
                                                             drops: dict[str, str]) -> None:
    """The cache keeps only the pending pages; with this update's digests they give back
    exactly what the shards hold, and a page is pending exactly when the two differ."""
    held = {p: d for p, d in made.items() if d}
    entries = recent.pending_entries(held, current, drops)
    assert recent.made_digests(current, entries) == held
    assert set(entries) == {p for p in held.keys() | current.keys()
                            if held.get(p, "") != current.get(p, "")}
    assert all(fragment == drops.get(p, "") for p, (_, fragment) in entries.items())


def test_page_url_is_pagefinds() -> None:
    assert recent.page_url("index.html") == "/"
    assert recent.page_url("a/b/index.html") == "/a/b/"
    assert recent.page_url("a/b.html") == "/a/b.html"


def fragment(bundle: Path, fid: str, url: str) -> None:
    path = bundle / "fragment" / f"{fid}.pf_fragment"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = json.dumps({"url": url}, separators=(",", ":")).encode()
    path.write_bytes(gzip.compress(b"pagefind_dcd" + record))


def test_find_drops_finds_old_fragments_and_unique_drops_refuses_a_shared_id(
        tmp_path: Path) -> None:
    fragment(tmp_path, "en_1", "/a/")
    fragment(tmp_path / "shard-1", "en_2", "/b/")
    fragment(tmp_path / "shard-1", "en_3", "/c/")
    where = {"a/index.html": "", "b/index.html": "shard-1", "c/index.html": "shard-1"}
    found = recent.find_drops(tmp_path, where, ["a/index.html", "b/index.html", "new.html"],
                              {"c/index.html": "en_9"})
    assert found == {"a/index.html": "en_1", "b/index.html": "en_2"}
    assert recent.find_drops(tmp_path, {"d/index.html": "shard-1"}, ["d/index.html"], {}) is None
    bundles = [tmp_path, tmp_path / "shard-1"]
    assert recent.unique_drops(bundles, found)
    fragment(tmp_path / "shard-1", "en_1", "/elsewhere/")  # the same id, another page
    assert not recent.unique_drops(bundles, found)
    assert not recent.unique_drops(bundles, {"a/index.html": "en_2", "b/index.html": "en_2"})


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(search_shards, "PAGES_PER_SHARD", 3)
    out = tmp_path / "site"
    for i in range(8):
        page(out, i, f"text{i} here")
    return out


def page(out: Path, i: int, text: str) -> None:
    path = out / f"p{i}/index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<html lang="en"><body><h1>P{i}</h1>'
                    f'<div data-pagefind-body>{text}</div></body></html>')


def test_an_id_in_two_bundles_makes_the_shards_again(site: Path) -> None:
    """A dropped id that also names a fragment of another bundle would hide that page too:
    the shards holding the pending pages are made again instead (no recent bundle)."""
    first = update_index(site, site_digests(site), {})
    root = site / "pagefind"
    page(site, 5, "other5")
    shard = next(name for name, pages in search_shards.plan_bundles(first.made).items()
                 if "p5/index.html" in pages)
    old = recent.fragment_urls(root / shard if shard else root)["/p5/"]
    second = update_index(site, site_digests(site), first.keys, made=first.made)
    assert second.ran == (recent.RECENT,) and second.drops == {"p5/index.html": old}
    other = next(name for name in first.keys if name != shard)
    fragment(root / other if other else root, old, "/planted/")
    page(site, 6, "other6")
    third = update_index(site, site_digests(site), second.keys, made=second.made,
                         drops=second.drops)
    assert recent.RECENT not in third.ran and third.drops == {}
    assert not (root / recent.RECENT).exists() and listed(root)["drop"] == []
    assert {u: d for u, d in search_view(root).items() if u != "/planted/"}.keys() == {
        f"/p{i}/" for i in range(8)}
