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


def neighbourhood(both: Mapping[str, set[str]], center: str,
                  order: Mapping[str, str]) -> list[tuple[str, int, str | None]]:
    """(node, depth, parent) for the center, its nearest neighbours and theirs, in a stable
    order (``order`` maps a node to its sort key, its title)."""
    key = lambda n: (order.get(n, n).lower(), n)
    near = both.get(center, set())
    first = sorted(near, key=key)[:FIRST]
    nodes: list[tuple[str, int, str | None]] = [(center, 0, None)]
    nodes += [(n, 1, center) for n in first]
    seen = {center, *near}  # a neighbour left out for room is not shown as a farther one
    second: list[tuple[str, int, str | None]] = []
    for parent in first:
        for n in sorted(both.get(parent, ()), key=key):
            if n not in seen and len(second) < SECOND:
                seen.add(n)
                second.append((n, 2, parent))
    return nodes + second


def _place(nodes: list[tuple[str, int, str | None]]) -> dict[str, tuple[float, float]]:
    """Depth-1 nodes evenly round the center; depth-2 ones fanned out behind their parent."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    firsts = [n for n, d, _ in nodes if d == 1]
    angle = {n: -math.pi / 2 + 2 * math.pi * i / max(1, len(firsts)) for i, n in
             enumerate(firsts)}
    spots = {nodes[0][0]: (cx, cy)}
    for n in firsts:
        spots[n] = (cx + RADII[1] * math.cos(angle[n]), cy + RADII[1] * math.sin(angle[n]))
    children: dict[str, list[str]] = {}
    for n, d, parent in nodes:
        if d == 2 and parent is not None:
            children.setdefault(parent, []).append(n)
    spread = math.pi / max(3, len(firsts)) / 1.5
    for parent, kids in children.items():
        for k, n in enumerate(kids):
            a = angle[parent] + (k - (len(kids) - 1) / 2) * spread
            spots[n] = (cx + RADII[2] * math.cos(a), cy + RADII[2] * math.sin(a))
    return spots


def _label(title: str) -> str:
    return html.escape(title if len(title) <= LABEL else title[: LABEL - 1].rstrip() + "…")


def local_graph_svg(center: str, both: Mapping[str, set[str]], titles: Mapping[str, str],
                    urls: Mapping[str, str]) -> str:
    """The SVG for ``center``'s page, or "" when it links nowhere and nothing links to it."""
    nodes = neighbourhood(both, center, titles)
    if len(nodes) == 1:
        return ""
    spots = _place(nodes)
    shown = [n for n, _, _ in nodes]
    lines = []
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            if b in both.get(a, ()):
                (x1, y1), (x2, y2) = spots[a], spots[b]
                lines.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}"/>')
    dots = []
    for n, depth, _ in nodes:
        x, y = spots[n]
        dot = (f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{7 if depth == 0 else 5}"/>'
               f'<text x="{x:.0f}" y="{y + 17:.0f}">{_label(titles[n])}</text>')
        if depth == 0:
            dots.append(f'<g class="here" aria-current="page">{dot}</g>')
        else:
            dots.append(f'<a href="{html.escape(urls[n])}" class="d{depth}">{dot}</a>')
    return (f'<svg class="graph" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'aria-label="Notes linked with this one">'
            f'<g class="edges">{"".join(lines)}</g>{"".join(dots)}</svg>')


def local_graphs(notes: Iterable, links_of: Mapping[str, Iterable]) -> dict[str, str]:
    """Every note's graph SVG: ``notes`` are the published notes, ``links_of`` maps a note's
    source to its links (anything with a ``.target`` source key)."""
    notes = list(notes)
    titles = {n.source: n.title for n in notes}
    urls = {n.source: n.url for n in notes}
    both = undirected({n.source: {k.target for k in links_of[n.source] if k.target in titles}
                       for n in notes})
    return {n.source: local_graph_svg(n.source, both, titles, urls) for n in notes}
