"""Reading a vault of many folders (issue 29): the folder explorer (a page's own branch inline,
the whole tree in one shared file), the order notes and folders are given, and a graph that
shows the vault's clusters; in Chromium at 1280 and 390 px, with axe."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from htmldom import parse_html
from test_reader_browser import (  # noqa: F401 (axe_source: a fixture)
    KEPT,
    _violations,
    axe_source,
    browser_page,
    serve,
)

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.site.explorer import branch_html, tree_json
from site_builder.site.pages import build_sections
from site_builder.site.sitegraph import site_graph_svg, site_layout

FOLDERS = [f"Area {chr(65 + i)}{' projects' if i % 3 == 0 else ''}" for i in range(18)]


def vault(root: Path, notes: int = 170) -> Path:
    """``notes`` notes in 18 top folders (some nested), each linking to two notes of its own
    folder and now and then to another folder: a vault with clusters."""
    content = root / "content"
    for i in range(notes):
        folder = FOLDERS[i % 18] + ("/Deeper" if i % 7 == 0 else "")
        mine = [j for j in range(notes) if j % 18 == i % 18 and j != i][:2]
        links = " ".join(f"[[Note {j}]]" for j in mine)
        if i % 10 == 0:
            links += f" [[Note {(i + 5) % notes}]]"
        path = content / folder / f"Note {i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntags: [t{i % 5}]\n---\n# Note {i}\n\nAbout {folder}: {links}.\n")
    return root


# -- order -------------------------------------------------------------------------------


def test_order_sets_the_place_of_notes_and_folders_everywhere(tmp_path: Path) -> None:
    files = {"b/_index.md": "---\ntitle: Beta\norder: 1\n---\n", "a/x.md": "# Xylophone\n",
             "a/y.md": "---\norder: 2\n---\n# Yak\n", "a/z.md": "---\nweight: 1\n---\n# Zebra\n",
             "b/n.md": "# N\n", "c/m.md": "# M\n"}
    for rel, text in files.items():
        (tmp_path / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / rel).write_text(text)
    out = build_site(BuildOptions(project_dir=tmp_path, search=False)).out_dir
    tree = json.loads((out / "explorer.json").read_text())
    assert [f[0] for f in tree[2]] == ["Beta", "A", "C"]  # ordered Beta first, then by title
    assert [n[0] for n in tree[2][1][3]] == ["Zebra", "Yak", "Xylophone"]
    section = parse_html((out / "a" / "index.html").read_text())
    assert [a.text for a in section.select("main .card-title a")] == ["Zebra", "Yak", "Xylophone"]
    home = parse_html((out / "index.html").read_text())
    assert [s.text for s in home.select("main .section-list strong")] == ["Beta", "A", "C"]
    (tmp_path / "content" / "a" / "x.md").write_text("---\norder: first\n---\n")
    with pytest.raises(Exception, match=r"content/a/x.md:2: order must be a number, not 'first'"):
        build_site(BuildOptions(project_dir=tmp_path, search=False))


# -- page weight: the tree is shared, a page carries its branch ----------------------------


def _sections(count: int) -> dict:
    notes = [NS(source=f"{FOLDERS[i % 18]}/n{i}.md", title=f"Note number {i}",
                url=f"/{FOLDERS[i % 18].replace(' ', '-')}/n{i}/", section=FOLDERS[i % 18],
                date=None, updated=None, tags=(), weight=None) for i in range(count)]
    meta = {n.source: NS(summary="", reading_minutes=1) for n in notes}
    return build_sections(notes, [], meta, {})


def test_a_page_carries_its_branch_and_the_whole_tree_is_one_file_at_5000_notes() -> None:
    sections = _sections(5000)
    tree = tree_json(sections)
    assert tree.count(b'"Note number ') == 5000
    page = branch_html(sections, FOLDERS[3], "/Area-D-projects/n3/")
    assert len(page.encode()) < 6000, len(page)  # 18 folders + 30 of the 278 notes here
    assert 'aria-current="page">Note number 3<' in page and "All 278 notes" in page
    assert len(branch_html(sections, "", "/").encode()) < 2500


# -- the graph -----------------------------------------------------------------------------


def _graph_notes(count: int) -> tuple[list, dict]:
    notes = [NS(source=f"{FOLDERS[i % 18]}/n{i}.md", title=f"Note {i}", url=f"/n{i}/",
                section=FOLDERS[i % 18]) for i in range(count)]
    link = lambda j: NS(target=notes[j].source)
    links = {n.source: [link((i + 18) % count), link((i + 36) % count)]
             + ([link((i + 5) % count)] if i % 10 == 0 else []) for i, n in enumerate(notes)}
    return notes, links


@pytest.mark.parametrize("count", [170, 1000])
def test_the_graph_shows_clusters_and_stays_within_its_budget(count: int) -> None:
    notes, links = _graph_notes(count)
    started = time.perf_counter()
    nodes, edges, spots, (width, height), clusters = site_layout(notes, links)
    took = time.perf_counter() - started
    assert len(clusters) == 18 and 0.7 <= width / height <= 3  # screen-shaped, not a strip
    by_cluster: dict[int, list] = {}
    for node, spot in zip(nodes, spots):
        by_cluster.setdefault(node[3], []).append(spot)
    centres = {c: (sum(x for x, _ in s) / len(s), sum(y for _, y in s) / len(s))
               for c, s in by_cluster.items()}
    spread = max(max(math.dist(p, centres[c]) for p in s) for c, s in by_cluster.items())
    apart = min(math.dist(a, b) for i, a in centres.items() for j, b in centres.items() if i < j)
    assert apart > 2 * spread * 0.9, (apart, spread)  # clusters do not overlap
    svg = site_graph_svg((nodes, edges, spots, (width, height), clusters))
    assert len(svg.encode()) < 160 * count, len(svg)  # about 100 bytes a note and its links
    assert took < 2.0


# -- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = vault(tmp_path_factory.mktemp("folders"))
    with serve(build_site(BuildOptions(project_dir=root, search=False)).out_dir) as url:
        yield url


NOTE = "/Area-D-projects/Deeper/Note-21/"


@pytest.mark.browser
def test_a_170_note_vault_of_18_folders_reads_with_the_explorer_at_1280(chromium_browser,
                                                                        site: str) -> None:
    pg = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        pg.goto(site + NOTE)
        pg.wait_for_function("document.querySelectorAll('#explorer a').length > 170")
        header = pg.eval_on_selector(".site-header", "h => h.getBoundingClientRect().height")
        assert header < 80  # one row: no section list wrapping to four
        assert pg.locator(".site-nav a").all_inner_texts() == ["Tags"]
        box = pg.eval_on_selector("#explorer", "e => e.getBoundingClientRect().toJSON()")
        assert box["x"] < 10 and 200 < box["width"] < 300 and box["height"] > 300
        here = pg.locator("#explorer [aria-current=page]")
        assert here.inner_text() == "Note 21" and here.is_visible()
        opened = pg.eval_on_selector_all("#explorer details[open] > summary",
                                         "s => s.map(a => a.textContent)")
        assert opened == ["Area D projects", "Deeper"]
        # A folder opened by the reader stays open on the next page.
        pg.locator("#explorer summary", has_text="Area K").click()
        pg.goto(site + "/Area-A-projects/Note-18/")
        pg.wait_for_function("document.querySelectorAll('#explorer a').length > 170")
        opened = pg.eval_on_selector_all("#explorer details[open] > summary",
                                         "s => s.map(a => a.textContent)")
        assert opened == ["Area A projects", "Area K"]
        assert pg.evaluate("document.documentElement.scrollWidth") <= 1280
    finally:
        pg.close()


@pytest.mark.browser
def test_the_explorer_without_javascript_is_the_pages_own_branch(chromium_browser,
                                                                  site: str) -> None:
    with browser_page(chromium_browser, java_script_enabled=False) as pg:
        pg.goto(site + NOTE)
        assert pg.locator("#explorer [aria-current=page]").inner_text() == "Note 21"
        # The other 17 top folders link to their pages; the note's own two are open.
        assert pg.locator("#explorer a.folder").count() == 17
        assert pg.locator("#explorer details[open] > summary").all_inner_texts() == \
            ["Area D projects", "Deeper"]
        pg.locator("#explorer a", has_text="Area K").click()
        pg.wait_for_url("**/Area-K/")


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_on_a_phone_browse_opens_the_explorer_and_axe_finds_nothing(chromium_browser, site: str,
                                                                     axe_source: str,  # noqa: F811
                                                                     theme: str) -> None:
    with browser_page(chromium_browser, viewport={"width": 390, "height": 800},
                      is_mobile=True, has_touch=True, color_scheme=theme) as pg:
        pg.goto(site + NOTE)
        assert pg.locator("#explorer").is_hidden()
        assert pg.eval_on_selector(".site-header", "h => h.getBoundingClientRect().height") < 70
        pg.click(".menu-button")
        assert pg.locator(".menu-button").get_attribute("aria-expanded") == "true"
        pg.wait_for_function("document.querySelectorAll('#explorer a').length > 170")
        box = pg.eval_on_selector("#explorer", "e => e.getBoundingClientRect().toJSON()")
        assert box["x"] == 0 and box["width"] <= 390 and box["height"] == 800
        assert pg.locator("#explorer [aria-current=page]").is_visible()
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        assert [v for v in _violations(pg, axe_source) if v["id"] not in KEPT] == []
        pg.keyboard.press("Escape")
        assert pg.locator("#explorer").is_hidden()


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_graph_of_170_notes_fits_the_screen_by_folder(chromium_browser, site: str,
                                                           axe_source: str,  # noqa: F811
                                                           theme: str) -> None:
    with browser_page(chromium_browser, viewport={"width": 1280, "height": 900},
                      color_scheme=theme) as pg:
        pg.goto(site + "/graph/")
        box = pg.eval_on_selector(".site-graph svg", "s => s.getBoundingClientRect().toJSON()")
        assert box["width"] > 1000 and box["height"] < 900  # not a 1200 x 7638 strip
        clusters = pg.eval_on_selector_all(".site-graph text.cluster", "t => t.length")
        assert clusters == 18
        colours = pg.eval_on_selector_all(
            ".site-graph a circle", "cs => new Set(cs.map(c => getComputedStyle(c).fill)).size")
        assert colours == 12
        label = pg.locator(".site-graph a", has_text="Note 3").first
        assert label.locator("text").evaluate("t => getComputedStyle(t).opacity") == "0"
        label.hover()
        assert label.locator("text").evaluate("t => getComputedStyle(t).opacity") == "1"
        for _ in range(4):
            pg.click("button[aria-label='Zoom in']")
        assert pg.eval_on_selector(".site-graph svg", "s => s.classList.contains('labels')")
        assert [v for v in _violations(pg, axe_source) if v["id"] not in KEPT] == []
