"""Search in a real browser: headless Chromium against a site served on 127.0.0.1.

First over hand-written pages with the real search.html template (so it is tested without the
builder), then over the sample content in content/ built by build_site, in one bundle and in
small shards (the browser merges several bundles): a word found only in one note's body finds
that note (first, when sharded), and a draft's word finds nothing.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from site_builder.search import shards as search_shards
from site_builder.search.index import build_index

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "site_builder" / "site" / "templates"
# Top-level results only, not the nested sub-results (headings inside a note).
RESULT_TITLE = ".pagefind-ui__result-inner > .pagefind-ui__result-title"
MINIMAL_BASE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{% block title %}{% endblock %}</title>{% block head %}{% endblock %}</head>
<body><header><form role="search" action="/search/"><input type="search" name="q"></form></header>
<main>{% block content %}{% endblock %}</main></body></html>"""
NOTE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><article data-pagefind-body><h1>{title}</h1><p>{body}</p></article></main></body>
</html>"""
PLAIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{body}</p></body></html>"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[object]:
    """``serve(folder) -> base URL``: a threaded static server on a free 127.0.0.1 port,
    always shut down when the test ends."""
    yield from static_servers(_QuietHandler)


def static_servers(handler_class: type[SimpleHTTPRequestHandler]) -> Iterator[object]:
    """The body of a ``serve``-like fixture for any request handler (test_cdn_browser adds
    the CDN's headers): yields ``start(folder) -> base URL``, shuts every server down after."""
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(handler_class, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def render_search_page() -> str:
    """search.html rendered over a stand-in base.html (the builder's own is tested in its build)."""
    from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=ChoiceLoader([DictLoader({"base.html": MINIMAL_BASE}), FileSystemLoader(TEMPLATES)]),
        autoescape=True,
        undefined=StrictUndefined,
    )
    return env.get_template("search.html").render(site={"title": "Test notes"})


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def hand_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write(
        site,
        "docker/networking/index.html",
        NOTE.format(title="Docker networking", body="zebrafish"),
    )
    write(
        site,
        "python/asyncio/index.html",
        NOTE.format(title="Asyncio & friends", body="quokka loop"),
    )
    write(site, "index.html", PLAIN.format(title="Home", body="zebrafish quokka on the home page"))
    write(site, "404.html", PLAIN.format(title="Not found", body="zebrafish is not here"))
    write(site, "search/index.html", render_search_page())
    assert build_index(site) == 2
    return site


def result_titles(page) -> list[str]:
    """The titles of the results shown, once every result has loaded: Pagefind's UI first
    draws a placeholder title (``pagefind-ui__loading``, ". . . .") per result, and under load
    a test could read those."""
    page.wait_for_selector(RESULT_TITLE, timeout=10_000)
    wait_for_loaded_results(page)
    return [t.strip() for t in page.locator(RESULT_TITLE).all_inner_texts()]


def wait_for_loaded_results(page) -> None:
    """Until no result shows Pagefind's placeholder (its data not loaded yet)."""
    page.wait_for_function(
        "(sel) => !document.querySelector(sel + '.pagefind-ui__loading')", arg=RESULT_TITLE,
        timeout=10_000)


def wait_for_no_results(page) -> str:
    message = page.locator(".pagefind-ui__message")
    message.wait_for(timeout=10_000)
    page.wait_for_function(
        "() => /no results/i.test(document.querySelector('.pagefind-ui__message').textContent)",
        timeout=10_000,
    )
    assert page.locator(RESULT_TITLE).count() == 0
    return message.inner_text()


def test_search_page_prefills_from_q_and_finds_only_notes(page, serve, hand_site: Path) -> None:
    base = serve(hand_site)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base}/search/?q=zebrafish")
    assert page.title() == "Search · Test notes"
    assert page.locator("head link[href='/pagefind/pagefind-ui.css']").count() == 1
    assert page.locator("#search input").input_value() == "zebrafish"
    # The home page and the 404 also say "zebrafish" but are not indexed.
    assert result_titles(page) == ["Docker networking"]
    # The result carries the terms, which the opened page marks (issue 15).
    assert page.locator(".pagefind-ui__result-link").first.get_attribute("href") == (
        "/docker/networking/?highlight=zebrafish"
    )
    # Nothing is fetched from anywhere but this site (no CDN).
    assert requested and all(url.startswith(base + "/") for url in requested)


def test_typing_searches_and_updates_q(page, serve, hand_site: Path) -> None:
    page.goto(f"{serve(hand_site)}/search/")
    page.locator("#search input").fill("quokka")
    assert result_titles(page) == ["Asyncio & friends"]
    assert page.url.endswith("/search/?q=quokka")
    page.locator("#search input").fill("xylophone")
    assert "xylophone" in wait_for_no_results(page)


def test_search_page_without_javascript_says_so(chromium_browser, serve, hand_site) -> None:
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{serve(hand_site)}/search/?q=zebrafish")
        text = page.locator("main").inner_text()
        assert re.search(r"Search needs JavaScript", text)
        assert page.locator(RESULT_TITLE).count() == 0
    finally:
        context.close()


# --- The sample content built by build_site ----------------------------------------------------

WORD = re.compile(r"[a-z]{7,}")


class _BodyText(HTMLParser):
    """Collects the text inside the element carrying ``data-pagefind-body``."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        marked = self.depth or any(name == "data-pagefind-body" for name, _ in attrs)
        if marked and tag not in VOID_TAGS:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


def indexed_text(html: str) -> str:
    parser = _BodyText()
    parser.feed(html)
    return " ".join(parser.parts).lower()


def _build_sample(out: Path, pages_per_shard: int) -> Path:
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_shards, "PAGES_PER_SHARD", pages_per_shard)
        build_site(BuildOptions(project_dir=REPO, out_dir=out))
    assert (out / "search" / "index.html").is_file()
    assert (out / "pagefind" / "pagefind-ui.js").is_file()
    return out


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample content in one bundle, as a site of up to PAGES_PER_SHARD notes gets it."""
    out = _build_sample(tmp_path_factory.mktemp("sample") / "site", 256)
    assert json.loads((out / "pagefind" / "shards.json").read_text()) == {"bundles": [],
                                                                         "drop": []}
    return out


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample content in shards of about four notes: the browser merges the bundles."""
    out = _build_sample(tmp_path_factory.mktemp("sharded") / "site", 4)
    assert len(json.loads((out / "pagefind" / "shards.json").read_text())["bundles"]) >= 3
    return out


def unique_body_word(site: Path) -> tuple[str, str]:
    """(word, page title) for a word in exactly one note's indexed body.  Pagefind stems and
    prefix-matches, so the word's first five letters must appear in no other indexed page."""
    bodies: dict[str, tuple[str, str]] = {}
    for html_file in sorted(site.rglob("*.html")):
        html = html_file.read_text("utf-8")
        if "data-pagefind-body" in html:
            title = unescape(re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1))
            bodies[str(html_file)] = (indexed_text(html), title)
    assert len(bodies) >= 2, "the sample site should have several notes"
    candidates = []
    for key, (text, title) in bodies.items():
        others = " ".join(t for k, (t, _) in bodies.items() if k != key)
        candidates += [(w, title) for w in set(WORD.findall(text)) if w[:5] not in others]
    assert candidates, "no note in the sample content has a word of its own"
    # The longest such word is the most distinctive; ties go alphabetically (stable choice).
    return min(candidates, key=lambda c: (-len(c[0]), c[0]))


def test_sample_site_search_finds_a_note_by_a_body_word(page, serve, sample_site: Path) -> None:
    word, page_title = unique_body_word(sample_site)
    page.goto(f"{serve(sample_site)}/search/?q={word}")
    titles = result_titles(page)
    assert len(titles) == 1, (word, titles)
    # The result shows the note's title; the page <title> may add the site's name after it.
    assert page_title.startswith(titles[0]) or titles[0] in page_title, (word, titles, page_title)


def test_sharded_site_ranks_the_note_with_a_body_word_first(page, serve,
                                                             sharded_site: Path) -> None:
    """Merged shards are sorted by score.  A shard without the word answers with Pagefind's
    longest-prefix fallback (as one index does for a word no page has): those near misses are
    listed too, ranked by their own (here lower) score, after the note that has the word."""
    word, page_title = unique_body_word(sharded_site)
    page.goto(f"{serve(sharded_site)}/search/?q={word}")
    titles = result_titles(page)
    assert titles[0] in page_title or page_title.startswith(titles[0]), (word, titles)


@pytest.mark.parametrize("site", ["sample_site", "sharded_site"])
def test_sample_site_search_never_finds_a_draft(page, serve, site: str,
                                                request: pytest.FixtureRequest) -> None:
    sample_site = request.getfixturevalue(site)
    from site_builder.vault.load import load_content

    drafts = load_content(REPO / "content", REPO).hidden_drafts
    if not drafts:
        pytest.skip("the sample content has no draft")
    everything = " ".join(p.read_text("utf-8").lower() for p in sample_site.rglob("*.html"))
    candidates = sorted(
        (w for d in drafts for w in set(WORD.findall(d.body.lower())) if w[:5] not in everything),
        key=lambda w: (-len(w), w),
    )
    assert candidates, "the drafts should have a word that no published page uses"
    word = candidates[0]
    page.goto(f"{serve(sample_site)}/search/?q={word}")
    # Pagefind stems and tolerates near misses, so other notes may match; the draft never may.
    page.wait_for_function(
        "() => /result/i.test(document.querySelector('.pagefind-ui__message')?.textContent || '')",
        timeout=10_000,
    )
    wait_for_loaded_results(page)
    hrefs = page.locator(".pagefind-ui__result-link").evaluate_all("els => els.map(e => e.href)")
    titles = [t.strip() for t in page.locator(RESULT_TITLE).all_inner_texts()]
    for draft in drafts:
        assert not [h for h in hrefs if draft.url in h], (word, hrefs)
        assert draft.title not in titles, (word, titles)


# --- A note edited after its shard was made: its new text in the recent bundle ---------------

NEW_WORD = "quixotrabble"


@pytest.fixture(scope="module")
def edited_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """The sample content in shards of four, then one note's own word replaced by
    ``NEW_WORD`` and built again (cached): (site, the old word, the note's URL and title)."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    project = tmp_path_factory.mktemp("edited")
    shutil.copytree(REPO / "content", project / "content")
    shutil.copy(REPO / "notes.toml", project / "notes.toml")
    out = project / "build" / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_shards, "PAGES_PER_SHARD", 4)
        build_site(BuildOptions(project_dir=project))
        word, title = unique_body_word(out)
        source = next(p for p in sorted((project / "content").rglob("*.md"))
                      if word in p.read_text("utf-8").lower())
        text = source.read_text("utf-8")
        source.write_text(re.sub(word, NEW_WORD, text, flags=re.IGNORECASE), "utf-8")
        build_site(BuildOptions(project_dir=project))
    listed = json.loads((out / "pagefind" / "shards.json").read_text())
    assert listed["bundles"][-1] == "/pagefind/recent/" and len(listed["drop"]) == 1
    page = next(p for p in out.rglob("index.html") if NEW_WORD in indexed_text(p.read_text()))
    return out, word, "/" + page.parent.relative_to(out).as_posix() + "/", title


MERGED_SEARCH = """async (q) => {
  const pf = await import('/pagefind/merged/pagefind.js');
  await pf.options({});
  const found = await pf.search(q);
  return Promise.all(found.results.map(async (r) => [r.id, (await r.data()).url]));
}"""


def test_an_edited_note_is_found_by_its_new_text_once_and_not_by_its_old(
        page, serve, edited_site: tuple[Path, str, str, str]) -> None:
    """Its shard still holds the old text; shards.json's drop list sets that fragment aside,
    and the recent bundle holds the new one (Pagefind's API as both UIs load it).  The old
    word may still list the note as a near miss (Pagefind's longest-prefix fallback in the
    recent bundle, which lacks the word), never by its old fragment."""
    site, old, url, _ = edited_site
    dropped = set(json.loads((site / "pagefind" / "shards.json").read_text())["drop"])
    page.goto(f"{serve(site)}/")
    new_hits, old_hits = (page.evaluate(MERGED_SEARCH, q) for q in (NEW_WORD, old))
    assert new_hits[0][1] == url and [u for _, u in new_hits].count(url) == 1
    assert [u for _, u in old_hits].count(url) <= 1
    assert not dropped & {i for i, _ in new_hits + old_hits}


def test_the_search_page_and_the_header_box_find_an_edited_note_by_its_new_text(
        page, serve, edited_site: tuple[Path, str, str, str]) -> None:
    """The same through the search page (Pagefind's default UI) and the header box (its
    component UI), which load that API from /pagefind/merged/."""
    site, _, url, title = edited_site
    base = serve(site)
    page.goto(f"{base}/search/?q={NEW_WORD}")
    titles = result_titles(page)
    assert titles[0] in title or title.startswith(titles[0]), titles
    page.goto(f"{base}/containers/docker-cli/")
    page.click(".site-search input")
    page.keyboard.type(NEW_WORD)
    link = page.wait_for_selector("pagefind-searchbox a.pf-searchbox-result", timeout=15000)
    assert url in (link.get_attribute("href") or "")
