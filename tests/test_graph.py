"""The local graph (issue 15): neighbourhood at depth 1-2, bounded, deterministic, an SVG of
ordinary links styled by the page's theme."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.site.graph import FIRST, SECOND, local_graph_svg, neighbourhood, undirected

NAMES = [f"n{i}" for i in range(14)]


def test_neighbourhood_depths_and_parents():
    both = undirected({"a": ["b", "c"], "b": ["d"], "d": ["e"], "x": ["y"]})
    got = neighbourhood(both, "a", {})
    assert got == [("a", 0, None), ("b", 1, "a"), ("c", 1, "a"), ("d", 2, "b")]
    assert neighbourhood(both, "x", {}) == [("x", 0, None), ("y", 1, "x")]


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=6),
                       max_size=14), st.sampled_from(NAMES))
def test_neighbourhood_is_bounded_unique_and_truly_near(edges, center):
    both = undirected(edges)
    nodes = neighbourhood(both, center, {})
    names = [n for n, _, _ in nodes]
    assert len(names) == len(set(names)) and nodes[0] == (center, 0, None)
    assert sum(d == 1 for _, d, _ in nodes) <= FIRST and sum(d == 2 for _, d, _ in nodes) <= SECOND
    depth = {n: d for n, d, _ in nodes}
    for n, d, parent in nodes[1:]:
        assert n in both[parent] and depth[parent] == d - 1
        assert d == 1 or n not in both.get(center, set())  # a direct neighbour is never depth 2
    assert neighbourhood(both, center, {}) == nodes  # deterministic


def test_svg_links_every_neighbour_and_marks_the_current_note():
    both = undirected({"a": ["b"], "b": ["c"]})
    svg = local_graph_svg("a", both, {"a": "Alpha", "b": "Beta <b>", "c": "A very long title "
                                      "indeed, cut"}, {"a": "/a/", "b": "/b/", "c": "/c/"})
    root = ET.fromstring(svg.replace('aria-label="', 'xmlns="" aria-label="'))
    links = {a.get("href"): (a.get("class"), a.find("text").text) for a in root.iter("a")}
    assert links == {"/b/": ("d1", "Beta <b>"), "/c/": ("d2", "A very long title i…")}
    here = root.find("g[@class='here']")
    assert here is not None and here.find("text").text == "Alpha"
    assert len(root.find("g[@class='edges']")) == 2
    assert local_graph_svg("z", both, {"z": "Z"}, {"z": "/z/"}) == ""


def test_note_pages_show_their_graph_and_it_follows_a_changed_title(tmp_path: Path):
    files = {"content/a.md": "# A\n\n[[b]]\n", "content/b.md": "# Bee\n\n[[c]]\n",
             "content/c.md": "# Sea\n\nx\n", "content/d.md": "# Alone\n\nx\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    opts = BuildOptions(project_dir=tmp_path, search=False)
    build_site(opts)
    out = tmp_path / "build" / "site"
    page = (out / "a" / "index.html").read_text()
    assert 'class="local-graph"' in page and ">Bee</text>" in page and ">Sea</text>" in page
    assert 'class="local-graph"' not in (out / "d" / "index.html").read_text()
    (tmp_path / "content/c.md").write_text("# Ocean\n\nx\n", "utf-8")
    result = build_site(opts)
    assert "a/index.html" in result.written
    assert ">Ocean</text>" in (out / "a" / "index.html").read_text()


def test_site_layout_places_every_note_once_and_every_link_once():
    from collections import namedtuple

    from site_builder.site.sitegraph import site_graph_svg, site_layout

    note = namedtuple("note", "source title url section")
    link = namedtuple("link", "target")
    notes = [note(f"s{i % 3}/n{i}.md", f"N{i}", f"/s{i % 3}/n{i}/", f"s{i % 3}") for i in range(9)]
    links = {n.source: [link("s0/n0.md"), link(n.source), link("gone.md")] for n in notes}
    whole = site_layout(notes, links)
    nodes, edges, spots, (width, height), clusters = whole
    assert sorted(t for t, *_ in nodes) == sorted(n.title for n in notes)
    assert len(edges) == 8 and len(set(edges)) == 8  # n0 to each other note, no self-links
    assert all(0 <= x <= width and 0 <= y <= height for x, y in spots)
    assert len(set(spots)) == len(spots)  # no two notes on one spot
    assert [name for name, *_ in clusters] == ["s0", "s1", "s2"]
    assert site_layout(list(reversed(notes)), links) == whole
    svg = site_graph_svg(whole)
    assert f'viewBox="0 0 {width} {height}"' in svg and svg.count("<a ") == 9
    assert site_layout([], {}) is None and site_graph_svg(None) == ""


def test_local_graphs_reused_in_one_process_only_while_titles_urls_and_links_are_unchanged(
) -> None:
    """`notes serve` rebuilds in one process: the layouts of the last call are reused when
    nothing they show changed, and computed again when a title, URL or link did."""
    from types import SimpleNamespace as NS

    from site_builder.site.graph import local_graphs

    def notes(title_b: str = "B") -> list:
        return [NS(source="a.md", title="A", url="/a/"), NS(source="b.md", title=title_b,
                                                           url="/b/")]

    links = {"a.md": [NS(target="b.md")], "b.md": []}
    first = local_graphs(notes(), links)
    assert first["a.md"][0][1][:2] == ("B", "/b/")
    assert local_graphs(notes(), links) == first
    assert local_graphs(notes("Bee"), links)["a.md"][0][1][:2] == ("Bee", "/b/")
    assert local_graphs(notes(), {"a.md": [], "b.md": []}) == {"a.md": None, "b.md": None}
    assert local_graphs(notes(), links) == first


def test_site_layout_reused_in_one_process_only_while_its_inputs_are_unchanged() -> None:
    from types import SimpleNamespace as NS

    from site_builder.site.sitegraph import site_layout

    def notes(title: str = "B", section: str = "s") -> list:
        return [NS(source="a.md", title="A", url="/a/", section=""),
                NS(source="b.md", title=title, url="/b/", section=section)]

    links = {"a.md": [NS(target="b.md")], "b.md": []}
    first = site_layout(notes(), links)
    assert site_layout(notes(), links) == first and first[1] == ((0, 1),)
    assert site_layout(notes("Bee"), links)[0][1][0] == "Bee"
    assert site_layout(notes(section=""), links)[2] != first[2]  # one cluster: other spots
    assert site_layout(notes(), {"a.md": [], "b.md": []})[1] == ()
    assert site_layout(notes(), links) == first
