"""The sample site as readers use it (issue 15), in headless Chromium: axe-core over every page
type in light and dark and at phone width, the theme toggle (remembered, applied before any
script of ours runs), search as you type in the header (over an index in several shards, merged
in the browser), terms highlighted on the opened page,
mermaid drawn from the self-hosted copy, the TOC folded on a phone."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.search import shards as search_shards

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# One page of every type the site makes, each with what it must show before axe runs.
PAGES = {
    "home": ("/", "main"),
    "section": ("/containers/", ".cards"),
    "nested section": ("/kubernetes/networking/", ".cards"),
    # Code, a table, a task list, math, a mermaid diagram (drawn), callouts, an embed.
    "note": ("/kubernetes/networking/cni/", ".mermaid svg"),
    "tag": ("/tags/networking/", ".cards"),
    "tags": ("/tags/", ".tag-cloud"),
    "search with results": ("/search/?q=docker", ".pagefind-ui__result"),
    "404": ("/404.html", ".not-found"),
    "graph": ("/graph/", ".graph-zoom:not([hidden])"),
    # A Base (reading-guide.md embeds notes.base): its views as tabs, tables and cards.
    "base": ("/reading-guide/", ".base-tabs"),
    "base file": ("/notes/", ".base-tabs"),
    # A note's own properties above its text (Obsidian's properties view).
    "properties": ("/kubernetes/services/", "dl.properties"),
}
# Moderate (or minor) findings kept on purpose, with the reason; none today.  Serious and
# critical findings are never allowed.
KEPT: dict[str, str] = {}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("reader-site") / "site"
    with pytest.MonkeyPatch.context() as patch:  # small shards: the browser merges several
        patch.setattr(search_shards, "PAGES_PER_SHARD", 4)
        build_site(BuildOptions(project_dir=REPO, out_dir=out, search=True))
    assert len(json.loads((out / "pagefind" / "shards.json").read_text())["bundles"]) >= 3
    with serve(out) as url:
        yield url


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A built site served on a free local port (its base URL), until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def browser_page(chromium_browser, **options) -> Iterator[object]:
    """A page in a context of its own (viewport, theme, touch...), closed after the block."""
    context = chromium_browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: `make test` runs npm ci, which installs axe-core")
        pytest.skip("axe-core is not installed (make node)")
    return AXE.read_text("utf-8")


def _violations(pg, axe_source: str) -> list[dict]:
    pg.add_script_tag(content=axe_source)
    result = pg.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"],
             "targets": [n["target"] for n in v["nodes"][:5]]} for v in result["violations"]]


def _search_overlay_in_header(pg, base_url: str):
    """Type "overlay" into the header box of a note page; returns the result link to the
    note about overlay networks once the search-as-you-type results show it."""
    pg.goto(base_url + "/containers/docker-cli/")
    pg.click(".site-search input")
    pg.keyboard.type("overlay")
    return pg.wait_for_selector("pagefind-searchbox a[href*='docker-networking']", timeout=15000)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_any_page_type(chromium_browser, base_url: str,
                                                     axe_source: str, theme: str, width: int):
    context = chromium_browser.new_context(color_scheme=theme,
                                           viewport={"width": width, "height": 900})
    pg = context.new_page()
    found = {}
    try:
        for kind, (path, ready) in PAGES.items():
            pg.goto(base_url + path)
            pg.wait_for_selector(ready, timeout=15000)
            assert pg.evaluate("document.documentElement.dataset.theme") == theme
            bad = [v for v in _violations(pg, axe_source) if v["id"] not in KEPT]
            if bad:
                found[kind] = bad
    finally:
        context.close()
    assert found == {}, json.dumps(found, indent=1)


def test_axe_on_the_header_search_with_results_open(chromium_browser, base_url: str,
                                                    axe_source: str):
    for theme in ("light", "dark"):
        context = chromium_browser.new_context(color_scheme=theme)
        pg = context.new_page()
        try:
            _search_overlay_in_header(pg, base_url)
            assert [v for v in _violations(pg, axe_source) if v["id"] not in KEPT] == []
        finally:
            context.close()


def test_search_as_you_type_in_the_header_then_terms_highlighted(page, base_url: str):
    link = _search_overlay_in_header(page, base_url)
    assert page.url.endswith("/containers/docker-cli/")  # no page load while typing
    assert "highlight=overlay" in (link.get_attribute("href") or "")
    link.click()
    page.wait_for_url("**/containers/docker-networking/**")
    marks = page.eval_on_selector_all(".prose mark.search-hit", "m => m.map(e => e.textContent)")
    assert marks and {m.lower() for m in marks} == {"overlay"}


def test_theme_toggle_cycles_is_remembered_and_applied_before_our_scripts(page, base_url: str):
    page.emulate_media(color_scheme="light")
    page.goto(base_url + "/")
    toggle = page.locator(".theme-toggle")
    assert toggle.get_attribute("aria-label") == "Theme: system (change)"
    seen = []
    for _ in range(3):
        toggle.click()
        seen.append((page.evaluate("localStorage.getItem('theme')"),
                     page.evaluate("document.documentElement.dataset.theme")))
    assert seen == [("light", "light"), ("dark", "dark"), ("system", "light")]
    toggle.click()
    toggle.click()  # dark again
    # No flash: with site.js blocked, the inline script alone paints the stored theme.
    page.route("**/assets/site.*.js", lambda route: route.abort())
    page.goto(base_url + "/containers/")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 26)"


def test_mermaid_follows_the_theme(page, base_url: str):
    page.emulate_media(color_scheme="dark")
    page.goto(base_url + "/kubernetes/networking/cni/")
    page.wait_for_selector(".mermaid svg", timeout=15000)
    dark_fill = page.eval_on_selector(".mermaid svg rect.actor", "r => getComputedStyle(r).fill")
    page.click(".theme-toggle")  # system -> light
    page.wait_for_function(
        "f => { const r = document.querySelector('.mermaid svg rect.actor');"
        " return r && getComputedStyle(r).fill !== f; }", arg=dark_fill, timeout=15000)


def test_phone_toc_folded_under_the_title_and_copy_buttons_visible(chromium_browser,
                                                                    base_url: str):
    context = chromium_browser.new_context(viewport={"width": 390, "height": 800},
                                           is_mobile=True, has_touch=True)
    pg = context.new_page()
    try:
        pg.goto(base_url + "/containers/docker-networking/")
        assert pg.evaluate("document.querySelector('.toc-panel details').open") is False
        title = pg.eval_on_selector("h1", "h => h.getBoundingClientRect().bottom")
        toc = pg.eval_on_selector(".toc-panel", "t => t.getBoundingClientRect()")
        assert title < toc["top"] and toc["height"] < 60
        header = pg.eval_on_selector(".site-header", "h => h.getBoundingClientRect().height")
        assert header < 110
        if pg.evaluate("!!navigator.clipboard"):
            assert pg.eval_on_selector(".copy-code", "b => getComputedStyle(b).opacity") == "1"
    finally:
        context.close()


def test_hover_and_keyboard_previews_show_the_target_note(page, base_url: str,
                                                          axe_source: str):
    page.goto(base_url + "/kubernetes/services/")
    headings = page.eval_on_selector_all(".prose h2", "hs => hs.map(h => h.textContent)")
    page.goto(base_url + "/kubernetes/networking/cni/")
    link = page.locator(".prose a.wikilink[href^='/kubernetes/services/']").first
    link.hover()
    page.wait_for_selector(".preview:not([hidden])", timeout=5000)
    assert page.inner_text(".preview-title") == "Kubernetes services"
    # The note itself, as on its page (every heading), scrolling inside the preview.
    shown = page.eval_on_selector_all(".preview-body h2", "hs => hs.map(h => h.textContent)")
    assert shown == [h.removesuffix("#") for h in headings] and len(shown) >= 5
    assert page.eval_on_selector(".preview", "p => p.scrollHeight > p.clientHeight + 100 && "
                                 "getComputedStyle(p).overflowY === 'auto'")
    assert page.eval_on_selector_all(".preview-body [id]", "e => e.length") == 0  # ids stay unique
    assert link.get_attribute("aria-describedby") == "note-preview-title"
    assert [v for v in _violations(page, axe_source) if v["id"] not in KEPT] == []
    # The pointer may move into the preview and scroll it; leaving it closes it.
    page.hover(".preview-body")
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(500)
    assert page.locator(".preview").is_visible()
    assert page.eval_on_selector(".preview", "p => p.scrollTop") > 0
    page.mouse.move(1, 1)
    page.wait_for_selector(".preview", state="hidden", timeout=2000)
    assert link.get_attribute("aria-describedby") is None
    # The keyboard gets the same preview; Escape closes it.
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    page.wait_for_selector(".preview:not([hidden])", timeout=5000)
    page.keyboard.press("Escape")
    assert page.locator(".preview").is_hidden()
    # A link to a heading previews that section only: up to the next heading of its level.
    page.locator(".prose a[href$='#network-drivers']").first.hover()
    page.wait_for_function("document.querySelector('.preview-title')?.textContent"
                           " === 'Docker networking' && !document.querySelector('.preview').hidden")
    assert page.eval_on_selector_all(".preview-body > h2", "hs => hs.map(h => h.textContent)") \
        == ["Network drivers"]
    assert page.locator(".preview-body table").count() == 1


def test_a_block_link_previews_that_block(page, base_url: str):
    page.goto(base_url + "/kubernetes/services/")
    page.locator(".prose a[href$='#%5Epod-model'], .prose a[href$='#^pod-model']").first.hover()
    page.wait_for_function("document.querySelector('.preview-title')?.textContent"
                           " === 'CNI plugins' && !document.querySelector('.preview').hidden")
    blocks = page.eval_on_selector_all(".preview-body > *", "b => b.map(e => e.textContent)")
    assert len(blocks) == 1 and "pod" in blocks[0].lower()


def _hit_contrast(pg) -> list[float]:
    """The contrast ratio of every search hit (<mark>) against the background it is on."""
    return pg.evaluate("""() => {
        const rgb = c => c.match(/[\\d.]+/g).map(Number);
        const lum = c => { const v = rgb(c).slice(0, 3).map(x => { x /= 255;
            return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
            return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
        const back = el => { for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor;
            if (rgb(c).length < 4 || rgb(c)[3] > 0) return c; } return 'rgb(255,255,255)'; };
        return [...document.querySelectorAll('pagefind-searchbox mark, .pagefind-ui mark')]
            .map(m => { const a = lum(getComputedStyle(m).color), b = lum(back(m));
                        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); });
    }""")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_search_hits_are_readable_in_both_themes(chromium_browser, base_url: str, theme: str):
    context = chromium_browser.new_context(color_scheme=theme)
    pg = context.new_page()
    try:
        _search_overlay_in_header(pg, base_url)
        pg.wait_for_selector("pagefind-searchbox mark", timeout=15000)
        header = _hit_contrast(pg)
        pg.goto(base_url + "/search/?q=docker")
        pg.wait_for_selector(".pagefind-ui mark", timeout=15000)
        results = _hit_contrast(pg)
    finally:
        context.close()
    assert header and results
    assert min(header + results) >= 4.5, (header, results)


def test_local_graph_links_work_without_javascript(chromium_browser, base_url: str):
    context = chromium_browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(base_url + "/containers/docker-networking/")
        names = pg.eval_on_selector_all(".graph a text", "t => t.map(e => e.textContent)")
        assert "CNI plugins" in names
        pg.locator(".graph a", has_text="CNI plugins").click()
        pg.wait_for_url("**/kubernetes/networking/cni/")
        assert pg.locator(".graph .here text").text_content() == "CNI plugins"
        assert pg.locator("math").count() >= 3  # MathML needs no script either
    finally:
        context.close()


def test_enter_in_the_header_opens_the_results_page_arrows_pick_one(page, base_url: str):
    _search_overlay_in_header(page, base_url)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=overlay")
    page.wait_for_selector(".pagefind-ui__result", timeout=15000)
    _search_overlay_in_header(page, base_url)
    # The first result (which note ranks first depends on the shards' statistics).
    first = page.locator("pagefind-searchbox a.pf-searchbox-result").first.get_attribute("href")
    assert first and first.endswith("?highlight=overlay")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{first}")


def test_graph_page_pans_and_zooms(page, base_url: str):
    page.goto(base_url + "/graph/")
    svg = page.locator(".site-graph svg")
    start = [float(v) for v in svg.get_attribute("viewBox").split()]
    page.click("button[aria-label='Zoom in']")
    zoomed = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert zoomed[2] < start[2] and zoomed[3] < start[3]
    page.focus(".site-graph")
    page.keyboard.press("ArrowRight")
    assert float(svg.get_attribute("viewBox").split()[0]) > zoomed[0]
    page.click("button[aria-label='Reset zoom']")
    assert [float(v) for v in svg.get_attribute("viewBox").split()] == start
    assert page.locator(".site-graph a", has_text="CNI plugins").count() == 1


def previews_held_back(context, seconds: float) -> None:
    """preview.js answered ``seconds`` late in ``context``, as a slow network answers it."""

    def slow(route) -> None:
        time.sleep(seconds)
        route.continue_()

    context.route("**/preview*.js", slow)


def test_a_pointer_gone_before_previews_load_opens_none(chromium_browser, base_url: str):
    """The first hover loads preview.js (held back here, as a slow network does); a mouse
    that has left the link by the time it arrives gets no preview, and the next hover does."""
    context = chromium_browser.new_context()
    previews_held_back(context, 0.5)
    pg = context.new_page()
    link = pg.locator(".prose a.wikilink[href^='/kubernetes/services/']").first
    try:
        pg.goto(base_url + "/kubernetes/networking/cni/")
        link.hover()
        pg.mouse.move(1, 1)
        pg.wait_for_function("typeof window.notesPreview === 'function'", timeout=5000)
        pg.wait_for_timeout(800)
        assert pg.locator(".preview").is_hidden()
        link.hover()
        pg.wait_for_selector(".preview:not([hidden])", timeout=5000)
        assert pg.inner_text(".preview-title") == "Kubernetes services"
    finally:
        context.close()


def test_long_press_previews_on_touch_and_a_tap_does_not(chromium_browser, base_url: str):
    """The first touch loads preview.js; it is held back here longer than the tap lasts, as
    a slow network (or a loaded CI machine) does.  A tap whose finger was lifted before the
    script arrived once became a long press when it did: the preview opened by itself."""
    context = chromium_browser.new_context(viewport={"width": 390, "height": 800},
                                           is_mobile=True, has_touch=True)
    previews_held_back(context, 0.4)
    pg = context.new_page()
    press = """([sel, ms]) => new Promise(done => {
        const a = document.querySelector(sel);
        const opts = {pointerType: 'touch', bubbles: true, isPrimary: true};
        a.dispatchEvent(new PointerEvent('pointerdown', opts));
        setTimeout(() => { a.dispatchEvent(new PointerEvent('pointerup', opts)); done(); }, ms);
    })"""
    link = ".prose a.wikilink[href^='/kubernetes/services/']"
    try:
        pg.goto(base_url + "/kubernetes/networking/cni/")
        pg.evaluate(press, [link, 100])  # a tap
        pg.wait_for_timeout(700)
        assert pg.locator(".preview").is_hidden()
        pg.evaluate(press, [link, 800])  # a long press
        pg.wait_for_selector(".preview:not([hidden])", timeout=5000)
        assert pg.inner_text(".preview-title") == "Kubernetes services"
    finally:
        context.close()


def test_a_notes_cssclasses_never_take_the_sites_own_styles(page, tmp_path: Path) -> None:
    """``cssclasses: [cards]`` (Minimal theme's card layout, common in vaults) goes on the
    note's article for the writer's own CSS; the site's card list style must not apply to it
    (it made the article a grid), while the section page's card list keeps it."""

    from test_search_browser import static_servers

    project = tmp_path / "project"
    (project / "content" / "s").mkdir(parents=True)
    (project / "content" / "s" / "a.md").write_text(
        "---\ncssclasses: [cards]\n---\n# A\n\nText.\n")
    site = tmp_path / "site"
    build_site(BuildOptions(project_dir=project, out_dir=site, search=False))
    servers = static_servers(_Quiet)
    start = next(servers)
    try:
        base = start(site)
        page.goto(f"{base}/s/a/")
        article = page.locator("article.cards")
        assert article.count() == 1
        assert article.evaluate("e => getComputedStyle(e).display") != "grid"
        page.goto(f"{base}/s/")
        assert page.locator("ul.cards").evaluate("e => getComputedStyle(e).display") == "grid"
    finally:
        servers.close()
