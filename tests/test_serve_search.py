"""`notes serve` with search on: the tabs reload before the search index is rebuilt, the index
then catches up in the background and holds the edit, a page removed by a rebuild is never
findable through the served index, and a failing index is one line that leaves the server up.

The background index run is held back by a latch (the real ``search_stage`` runs once the test
opens it), so "before" and "after" are orders of events, never timings."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from searchview import search_view
from test_cli_serve import free_port, get, sse_state, wait_until

from site_builder.pipeline import search as search_module
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.search.pagefind import SearchIndexError
from site_builder.serve import devsite
from site_builder.serve.dev import DevOptions, run_serve
from site_builder.store.cache import BuildCache, fingerprint

NOTE = "---\ntitle: {title}\ndate: 2024-01-0{day}\n---\n{text}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "notes.toml").write_text('title = "Search Notes"\nbase_url = "http://e.org/"\n')
    (tmp_path / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Zebras graze quietly."))
    (tmp_path / "content" / "gone.md").write_text(
        NOTE.format(title="Gone", day=2, text="Ocelots hunt at night."))
    return tmp_path


class Latch:
    """Stands in for ``pipeline.search.search_stage`` in the background thread only: each call waits
    until the test opens the latch, then runs (or fails like) the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = search_module.search_stage
        self.gate = threading.Event()
        self.calls = 0
        self.fail: Exception | None = None
        monkeypatch.setattr(search_module, "search_stage", self)

    def __call__(self, out: Path, state, enabled: bool) -> bool:
        if threading.current_thread().name == "notes-search-index":
            self.calls += 1
            assert self.gate.wait(30), "the test never opened the latch"
            if self.fail is not None:
                raise self.fail
        return self.real(out, state, enabled)


def indexed_texts(site: Path) -> dict[str, str]:
    """URL -> indexed text of every page the index on disk shows the browser (Pagefind's
    fragments over every bundle, without those ``shards.json`` drops)."""
    return {url: json.loads(data[data.index(b"{"):])["content"]
            for url, data in search_view(site / "pagefind").items()}


def polled_text(site: Path, url: str) -> str:
    """``indexed_texts(site)[url]`` for a wait that polls while an index run may be moving
    files (the server holds search requests meanwhile; a test reading the disk does not):
    "" until the index on disk is whole again."""
    try:
        return indexed_texts(site).get(url, "")
    except (AssertionError, OSError, ValueError):
        return ""


@pytest.fixture
def serve(project):
    """Start `notes serve` on ``project`` (a free port; more DevOptions fields as keywords),
    wait for it to be serving, and stop it after the test: returns the loop and its port."""
    from tests.test_cli_serve import Running

    loops: list[Running] = []

    def start(**options) -> tuple[Running, int]:
        port = free_port()
        loops.append(Running(run_serve, DevOptions(project=project, port=port, **options)))
        loops[-1].wait_line("Serving")
        return loops[-1], port

    yield start
    for loop in loops:
        loop.close()


def searchable(port: int) -> bool:
    return get(port, "/pagefind/pagefind-entry.json")[0] == 200


def test_reload_comes_before_the_index_which_then_catches_up(project, monkeypatch,
                                                             serve) -> None:
    latch = Latch(monkeypatch)
    loop, port = serve()
    site = project / "build" / "site"
    assert "Zebras graze quietly." in indexed_texts(site)["/hello/"]

    (project / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Quokkas smile widely."))
    sse_state(port, lambda s: s["version"] >= 1)  # the tabs are told to reload...
    assert "Quokkas smile widely." in get(port, "/hello/")[2]
    wait_until(lambda: latch.calls == 1, what="the background index run")
    # ...while the index is still the previous one (its run is held), and still served:
    assert "Quokkas" not in indexed_texts(site)["/hello/"]
    assert searchable(port)

    latch.gate.set()
    wait_until(lambda: "Quokkas smile widely." in polled_text(site, "/hello/"),
               what="the index to hold the edit")
    loop.wait_line("Search index updated in ")
    assert "Quokkas smile widely." in indexed_texts(site)["/hello/"]  # whole once it is done
    assert searchable(port)
    # The state the index run left is saved: a fresh `notes build` has nothing to do.
    again = build_site(BuildOptions(project_dir=project))
    assert (again.made, again.searched) == ((), False)


def test_a_removed_page_is_never_findable_in_the_served_index(project, monkeypatch,
                                                              serve) -> None:
    latch = Latch(monkeypatch)
    monkeypatch.setattr(devsite, "INDEX_WAIT_SECONDS", 0.2)
    _loop, port = serve()
    site = project / "build" / "site"
    assert "/gone/" in indexed_texts(site) and searchable(port)

    (project / "content" / "gone.md").unlink()
    sse_state(port, lambda s: s["version"] >= 1)
    assert get(port, "/gone/")[0] == 404
    # The index on disk still names /gone/: the server hides it instead of serving it.
    assert "/gone/" in indexed_texts(site)
    assert get(port, "/pagefind/pagefind-entry.json")[0] == 404
    assert get(port, "/pagefind/pagefind.js")[0] == 404

    latch.gate.set()
    wait_until(lambda: searchable(port), what="the index to be served again")
    assert set(indexed_texts(site)) == {"/hello/"}
    status, _, body = get(port, "/pagefind/pagefind-entry.json")
    assert status == 200 and json.loads(body)["languages"]


def test_a_search_request_during_the_index_run_waits_for_it(project, monkeypatch,
                                                            serve) -> None:
    latch = Latch(monkeypatch)
    _loop, port = serve()
    (project / "content" / "gone.md").unlink()
    sse_state(port, lambda s: s["version"] >= 1)
    answers: list[int] = []
    asking = threading.Thread(target=lambda: answers.append(
        get(port, "/pagefind/pagefind-entry.json")[0]))
    asking.start()
    wait_until(lambda: latch.calls == 1, what="the background index run")
    assert answers == []  # held until an index without /gone/ is in place
    latch.gate.set()
    asking.join(30)
    assert answers == [200]
    assert "/gone/" not in indexed_texts(project / "build" / "site")


def test_a_failing_index_is_one_line_and_the_server_goes_on(project, monkeypatch, capsys,
                                                            serve) -> None:
    latch = Latch(monkeypatch)
    latch.fail = SearchIndexError("search index: Pagefind failed with exit status 1: boom")
    latch.gate.set()
    loop, port = serve()
    site = project / "build" / "site"

    (project / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Wombats dig burrows."))
    line = ("Error: search index: Pagefind failed with exit status 1: boom (search shows the "
            "previous index; the next save tries again)")
    wait_until(lambda: line in capsys.readouterr().err.splitlines(), what="the error line")
    assert get(port, "/hello/")[0] == 200 and searchable(port)
    assert "Wombats" not in indexed_texts(site)["/hello/"]
    assert sse_state(port, lambda s: s["version"] >= 1)["error"] is None

    latch.fail = RuntimeError("a bug")
    (project / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Wombats dig deeper burrows."))
    err = wait_until(lambda: [ln for ln in capsys.readouterr().err.splitlines()
                              if "a bug" in ln], what="the bug's line")
    assert len(err) == 1 and err[0].startswith("Error: internal error in the search index (")
    assert "RuntimeError: a bug (search shows the previous index" in err[0]
    assert "The full traceback is in " in err[0]

    latch.fail = None
    (project / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Wombats sleep by day."))
    wait_until(lambda: "Wombats sleep by day." in polled_text(site, "/hello/"),
               what="the index after the fix")
    assert not loop.result  # still running


def test_edits_during_an_index_run_are_coalesced_into_one_more_run(project, monkeypatch,
                                                                   serve) -> None:
    latch = Latch(monkeypatch)
    loop, port = serve()
    site = project / "build" / "site"
    hello = project / "content" / "hello.md"
    hello.write_text(NOTE.format(title="Hello", day=1, text="First edit."))
    wait_until(lambda: latch.calls == 1, what="the first index run")
    for n, word in enumerate(("Second", "Third"), start=2):
        hello.write_text(NOTE.format(title="Hello", day=1, text=f"{word} edit."))
        sse_state(port, lambda s, n=n: s["version"] >= n)
    latch.gate.set()
    wait_until(lambda: "Third edit." in polled_text(site, "/hello/"),
               what="the index of the last edit")
    loop.wait_line("Search index updated in ")
    assert "Third edit." in indexed_texts(site)["/hello/"]  # whole once it is done
    assert latch.calls == 2  # the held run, then one for both later edits
    assert len([ln for ln in loop.lines if ln.startswith("Search index updated")]) == 1


def test_kept_state_follows_a_save_made_by_another_process(project) -> None:
    """A `notes build` from another terminal saves the cache: the next kept-state build reads
    that one (its own copy would name blob packs the other build removed)."""
    opts = BuildOptions(project_dir=project, search=False)
    dev = devsite.DevSite()
    dev.build(opts)
    assert dev.save() is None
    store = BuildCache(opts.cache_dir, fingerprint(project, opts.content))
    assert dev.take(store) is not None
    (project / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Edited elsewhere."))
    assert build_site(opts).made  # another process's build, and its save
    assert dev.take(store) is None
    result = dev.build(opts)
    assert result.made == ()


def test_without_search_there_is_no_index_and_no_background_run(project, monkeypatch,
                                                                 serve) -> None:
    latch = Latch(monkeypatch)
    latch.gate.set()
    loop, port = serve(build=BuildOptions(project_dir=project, search=False))
    (project / "content" / "gone.md").unlink()
    sse_state(port, lambda s: s["version"] >= 1)
    assert get(port, "/gone/")[0] == 404 and get(port, "/hello/")[0] == 200
    assert not (project / "build" / "site" / "pagefind").exists()
    assert latch.calls == 0 and not any(ln.startswith("Search index") for ln in loop.lines)


def test_a_build_after_serve_stopped_before_the_index_caught_up_indexes(project, monkeypatch,
                                                                       serve) -> None:
    """The cache saved after a reload says the index is not up to date: the next `notes build`
    runs Pagefind (and the index then holds the edit), instead of finding nothing to do."""
    latch = Latch(monkeypatch)
    latch.fail = SearchIndexError("search index: interrupted")
    latch.gate.set()
    loop, port = serve()
    (project / "content" / "hello.md").write_text(
        NOTE.format(title="Hello", day=1, text="Narwhals sing."))
    sse_state(port, lambda s: s["version"] >= 1)
    wait_until(lambda: latch.calls == 1, what="the failed index run")
    loop.close()
    site = project / "build" / "site"
    assert "Narwhals" not in indexed_texts(site)["/hello/"]
    result = build_site(BuildOptions(project_dir=project))
    assert result.searched and result.made == ()
    assert "Narwhals sing." in indexed_texts(site)["/hello/"]
