"""The local graph on every note page: the note, the notes it links to or is linked from
(depth 1) and their neighbours (depth 2), as an inline SVG made at build time.

Inline, so it works with JavaScript off, its nodes are ordinary links (keyboard and screen
readers reach them), and its colours are the page's CSS variables: readable in both themes
without a second copy.  The layout is radial and deterministic (the same links give the same
bytes), small enough for the page budget: at most ``FIRST`` + ``SECOND`` neighbours.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from functools import cached_property, lru_cache

from site_builder.store.cache import digest
from site_builder.vault.links import href_for

FIRST = 8  # depth-1 neighbours drawn at most
SECOND = 8  # depth-2 neighbours drawn at most
WIDTH, HEIGHT = 360, 300
RADII = (0, 78, 128)
LABEL = 20  # characters


def undirected(edges: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Neighbours of every node, whichever way the link goes (self-links dropped)."""
    both: dict[str, set[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            if target != source:
                both.setdefault(source, set()).add(target)
                both.setdefault(target, set()).add(source)
    return both


def neighbourhood(both: Mapping[str, Iterable[str]], center: str,
                  order: Mapping[str, str]) -> list[tuple[str, int, str | None]]:
    """(node, depth, parent) for the center, its nearest neighbours and theirs, in a stable
    order (``order`` maps a node to its sort key, its title)."""
    key = lambda n: (order.get(n, n).lower(), n)
    ranked = {n: sorted(both.get(n, ()), key=key) for n in (center, *both.get(center, ()))}
    return _near(ranked, center)


def _near(ranked: Mapping[str, list[str]], center: str) -> list[tuple[str, int, str | None]]:
    """``neighbourhood`` over neighbour lists already in display order."""
    near = ranked.get(center, [])
    first = near[:FIRST]
    nodes: list[tuple[str, int, str | None]] = [(center, 0, None)]
    nodes += [(n, 1, center) for n in first]
    seen = {center, *near}  # a neighbour left out for room is not shown as a farther one
    second: list[tuple[str, int, str | None]] = []
    for parent in first:
        for n in ranked.get(parent, ()):
            if len(second) == SECOND:
                break
            if n not in seen:
                seen.add(n)
                second.append((n, 2, parent))
    return nodes + second


@lru_cache(maxsize=4096)
def _place(parents: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Positions for a graph's shape (each node's parent index, -1 for the center; depth-1
    nodes come first, then depth-2 ones grouped by parent): depth-1 nodes evenly round the
    center, depth-2 ones fanned out behind their parent.  Graphs share a few shapes, so this
    is computed once per shape."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    firsts = [i for i, p in enumerate(parents) if p == 0]
    angle = {n: -math.pi / 2 + 2 * math.pi * k / max(1, len(firsts)) for k, n in
             enumerate(firsts)}
    spots = [(cx, cy)] * len(parents)
    for n in firsts:
        spots[n] = (cx + RADII[1] * math.cos(angle[n]), cy + RADII[1] * math.sin(angle[n]))
    children: dict[int, list[int]] = {}
    for i, parent in enumerate(parents):
        if parent > 0:
            children.setdefault(parent, []).append(i)
    spread = math.pi / max(3, len(firsts)) / 1.5
    for parent, kids in children.items():
        for k, n in enumerate(kids):
            a = angle[parent] + (k - (len(kids) - 1) / 2) * spread
            spots[n] = (cx + RADII[2] * math.cos(a), cy + RADII[2] * math.sin(a))
    return tuple((round(x), round(y)) for x, y in spots)


@lru_cache(maxsize=1 << 14)
def _label(title: str) -> str:
    return html.escape(title if len(title) <= LABEL else title[: LABEL - 1].rstrip() + "…")


class Layout(tuple):
    """((title, url, depth, parent index), ...), ((i, j), ...): what a graph shows.  A tuple
    whose ``key`` (its digest, for the page key) is computed once per layout: `notes serve`
    reuses the layouts of an unchanged link graph build after build, and the ``repr`` of
    5,000 layouts was ~60 ms of every rebuild."""

    @cached_property
    def key(self) -> str:
        return digest(repr(tuple(self)).encode("utf-8"))


def layout(ranked: Mapping[str, list[str]], center: str, titles: Mapping[str, str],
           urls: Mapping[str, str],
           near_sets: Mapping[str, AbstractSet[str]] | None = None) -> Layout | None:
    """What ``center``'s graph shows: its nodes and which pairs are linked (positions follow
    from the shape); None when the note links nowhere and nothing links to it.  Cheap, so
    every build computes it for every note page's key; the SVG is drawn only for pages made
    again.  ``near_sets``: ``ranked``'s lists as sets (faster to ask), when the caller has them."""
    nodes = _near(ranked, center)
    if len(nodes) == 1:
        return None
    index = {n: i for i, (n, _, _) in enumerate(nodes)}
    names = list(index)
    near = [(near_sets or ranked).get(n, ()) for n in names]
    # Each pair once, in order (links go both ways): a graph has at most 17 nodes.
    edges = [(i, j) for i in range(len(names) - 1) for j in range(i + 1, len(names))
             if names[j] in near[i]]
    shown = tuple((titles[n], urls[n], d, index[p] if p is not None else -1)
                  for n, d, p in nodes)
    return Layout((shown, tuple(edges)))


def graph_svg(graph: Layout | None, spots: tuple | None = None) -> str:
    """The inline SVG of a layout ("" for None): nodes are links, the current note is not.
    ``spots`` overrides the positions (the site-wide graph places its own)."""
    if graph is None:
        return ""
    nodes, edges = graph
    spots = spots or _place(tuple(node[3] for node in nodes))
    lines = "".join(f'<line x1="{spots[a][0]}" y1="{spots[a][1]}" x2="{spots[b][0]}" '
                    f'y2="{spots[b][1]}"/>' for a, b in edges)
    dots = []
    for (title, url, depth, _), (x, y) in zip(nodes, spots):
        dot = (f'<circle cx="{x}" cy="{y}" r="{7 if depth == 0 else 5}"/>'
               f'<text x="{x}" y="{y + 17}">{_label(title)}</text>')
        if depth == 0:
            dots.append(f'<g class="here" aria-current="page">{dot}</g>')
        else:
            dots.append(f'<a href="{html.escape(href_for(url, None))}" class="d{depth}">'
                        f'{dot}</a>')
    return (f'<svg class="graph" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'aria-label="Notes linked with this one">'
            f'<g class="edges">{lines}</g>{"".join(dots)}</svg>')


def local_graph_svg(center: str, both: Mapping[str, Iterable[str]], titles: Mapping[str, str],
                    urls: Mapping[str, str]) -> str:
    """The SVG for ``center``'s page (one note; ``local_graphs`` does a whole site)."""
    key = lambda n: (titles.get(n, n).lower(), n)
    ranked = {n: sorted(both.get(n, ()), key=key) for n in both}
    return graph_svg(layout(ranked, center, titles, urls))


def local_graphs(notes: Iterable, links_of: Mapping[str, Iterable]) -> dict[str, Layout | None]:
    """Every note's graph layout: ``notes`` are the published notes, ``links_of`` maps a
    note's source to its links (anything with a ``.target`` source key)."""
    notes = list(notes)
    titles = {n.source: n.title for n in notes}
    urls = {n.source: n.url for n in notes}
    edges = {n.source: frozenset(k.target for k in links_of[n.source] if k.target in titles)
             for n in notes}
    inputs = (tuple(titles.items()), tuple(urls.items()), tuple(edges.items()))
    if _last_graphs and _last_graphs[0] == inputs:  # a rebuild in the same process
        return dict(_last_graphs[1])
    both = undirected(edges)
    sort_key = {n: (t.lower(), n) for n, t in titles.items()}
    ranked = {n: sorted(near, key=sort_key.__getitem__) for n, near in both.items()}
    graphs = {n.source: layout(ranked, n.source, titles, urls, both) for n in notes}
    _last_graphs[:] = [inputs, graphs]
    return dict(graphs)


# The last call's inputs and layouts: `notes serve` rebuilds in one long-lived process, and most
# edits change no title, URL or link, so its next build reuses all 5,000 layouts (~0.2 s).
_last_graphs: list = []


def site_layout(notes: Iterable, links_of: Mapping[str, Iterable]) -> Layout | None:
    """The whole vault for the graph page: each section's notes on a ring of their own, the
    rings laid out in rows (deterministic, linear in the number of notes; a force layout
    would cost seconds on a large site at every build)."""
    notes = sorted(notes, key=lambda n: (n.section, n.title.lower(), n.source))
    if not notes:
        return None
    inputs = (tuple((n.source, n.section, n.title, n.url) for n in notes),
              tuple(tuple(k.target for k in links_of[n.source]) for n in notes))
    if _last_site and _last_site[0] == inputs:  # a rebuild in the same process
        return _last_site[1]
    whole = _site_layout(notes, links_of)
    _last_site[:] = [inputs, whole]
    return whole


_last_site: list = []  # the last call's inputs and layout (see _last_graphs)


def _site_layout(notes: list, links_of: Mapping[str, Iterable]) -> Layout:
    by_section: dict[str, list] = {}
    for n in notes:
        by_section.setdefault(n.section, []).append(n)
    spots: dict[str, tuple[int, int]] = {}
    x = y = row = 0
    for members in by_section.values():
        radius = max(70, round(len(members) * 130 / (2 * math.pi)))  # room for labels
        size = 2 * radius + 160
        if x and x + size > SITE_WIDTH:
            x, y, row = 0, y + row, 0
        cx, cy = x + size // 2, y + size // 2
        for i, n in enumerate(members):
            a = -math.pi / 2 + 2 * math.pi * i / len(members)
            spots[n.source] = (round(cx + radius * math.cos(a)), round(cy + radius * math.sin(a)))
        x, row = x + size, max(row, size)
    index = {n.source: i for i, n in enumerate(notes)}
    edges = sorted({(min(index[n.source], index[k.target]), max(index[n.source], index[k.target]))
                    for n in notes for k in links_of[n.source]
                    if k.target in index and k.target != n.source})
    nodes = tuple((n.title, n.url, 1, -1) for n in notes)
    return nodes, tuple(edges), tuple(spots[n.source] for n in notes), (SITE_WIDTH, y + row)


SITE_WIDTH = 1200


def site_graph_svg(graph: Layout | None) -> str:
    """Every note as a link, every link between notes as a line."""
    if graph is None:
        return ""
    nodes, edges, spots, (width, height) = graph
    svg = graph_svg((nodes, edges), spots)
    return svg.replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {width} {height}"', 1) \
        .replace('aria-label="Notes linked with this one"', 'aria-label="Every note and its links"')
