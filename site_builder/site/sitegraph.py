"""The graph page: every note and every link between notes, drawn so that a vault of 170 or
1,000 notes shows its clusters (issue 29: the old rows of rings were a 1200 x 7638 strip).

Each top folder is a cluster: its notes packed in a sunflower spiral, the most linked at the
centre, in one colour.  The clusters are placed by a small force layout of their own (a few
dozen bodies, however many notes): clusters with links between them pull together, none
overlaps, and the whole is kept wider than tall, like a screen.  Deterministic (the same notes
give the same bytes) and linear in the number of notes and links.  Note labels show on hover,
focus or zoom (``graph.js``), the folder names always.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

from site_builder.vault.links import href_for

SPIRAL = 13.0  # sunflower scale: neighbouring notes about 23 px apart
GAP = 40.0  # between clusters
MARGIN = 60
COLOURS = 12  # classes c0..c11 in graph.css, one per cluster (repeating past twelve)
LABEL = 24  # characters of a note's label
_GOLDEN = math.pi * (3 - math.sqrt(5))


def _top(section: str) -> str:
    return section.split("/", 1)[0]


def _sunflower(count: int) -> list[tuple[float, float]]:
    return [(SPIRAL * math.sqrt(k + .5) * math.cos(k * _GOLDEN),
             SPIRAL * math.sqrt(k + .5) * math.sin(k * _GOLDEN)) for k in range(count)]


def _radius(count: int) -> float:
    return SPIRAL * math.sqrt(count + .5) + 14


def _place_clusters(names: list[str], sizes: list[int],
                    weights: Mapping[tuple[int, int], int]) -> list[tuple[float, float]]:
    """Centres for the clusters: linked ones attract, all repel until they do not overlap,
    and a pull to the middle (twice as strong vertically) keeps the picture screen-shaped."""
    n = len(names)
    radii = [_radius(s) for s in sizes]
    spread = math.sqrt(sum(r * r for r in radii)) * 1.5
    pos = [[spread * math.cos(2 * math.pi * i / n), spread * math.sin(2 * math.pi * i / n)]
           for i in range(n)]
    for step in range(300):
        cool = 1 - step / 300
        move = [[0.0, 0.0] for _ in range(n)]
        for (i, j), w in weights.items():
            dx, dy = pos[j][0] - pos[i][0], pos[j][1] - pos[i][1]
            pull = 0.02 * math.log1p(w) * cool
            move[i][0] += dx * pull
            move[i][1] += dy * pull
            move[j][0] -= dx * pull
            move[j][1] -= dy * pull
        for i in range(n):
            move[i][0] -= pos[i][0] * 0.01
            move[i][1] -= pos[i][1] * 0.02
            for j in range(i + 1, n):
                dx, dy = pos[j][0] - pos[i][0], pos[j][1] - pos[i][1]
                dist = math.hypot(dx, dy) or 0.01
                overlap = radii[i] + radii[j] + GAP - dist
                if overlap > 0:
                    ux, uy = (dx, dy) if dist > 0.01 else (1.0, 0.0)
                    ux, uy = ux / max(dist, 0.01), uy / max(dist, 0.01)
                    push = overlap / 2
                    move[i][0] -= ux * push
                    move[i][1] -= uy * push
                    move[j][0] += ux * push
                    move[j][1] += uy * push
        for i in range(n):
            pos[i][0] += move[i][0]
            pos[i][1] += move[i][1]
    return [(x, y) for x, y in pos]


def site_layout(notes: Iterable, links_of: Mapping[str, Iterable]) -> tuple | None:
    """(nodes, edges, spots, (width, height), clusters): nodes are (title, url, colour,
    cluster index), edges pairs of node indexes, clusters (name, x, y) of each label."""
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


_last_site: list = []  # the last call's inputs and layout (`notes serve` rebuilds in-process)


def _site_layout(notes: list, links_of: Mapping[str, Iterable]) -> tuple:
    index = {n.source: i for i, n in enumerate(notes)}
    edges = sorted({(min(index[n.source], index[k.target]), max(index[n.source], index[k.target]))
                    for n in notes for k in links_of[n.source]
                    if k.target in index and k.target != n.source})
    degree = [0] * len(notes)
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    names = sorted({_top(n.section) for n in notes})
    cluster_of = [names.index(_top(n.section)) for n in notes]
    members: list[list[int]] = [[] for _ in names]
    for i in sorted(range(len(notes)), key=lambda i: (-degree[i], notes[i].title.lower(), i)):
        members[cluster_of[i]].append(i)
    weights: dict[tuple[int, int], int] = {}
    for a, b in edges:
        ca, cb = sorted((cluster_of[a], cluster_of[b]))
        if ca != cb:
            weights[(ca, cb)] = weights.get((ca, cb), 0) + 1
    centres = _place_clusters(names, [len(m) for m in members], weights)
    spots: list[tuple[float, float]] = [(0.0, 0.0)] * len(notes)
    for c, group in enumerate(members):
        for i, (dx, dy) in zip(group, _sunflower(len(group))):
            spots[i] = (centres[c][0] + dx, centres[c][1] + dy)
    tops = [centres[c][1] - _radius(len(m)) for c, m in enumerate(members)]
    left = min(min(x for x, _ in spots), min(x for x, _ in centres)) - MARGIN
    top = min(min(y for _, y in spots), min(tops)) - MARGIN
    placed = tuple((round(x - left), round(y - top)) for x, y in spots)
    width = max(x for x, _ in placed) + MARGIN
    height = max(y for _, y in placed) + MARGIN
    by_size = sorted(range(len(names)), key=lambda c: (-len(members[c]), names[c]))
    colour = {c: rank % COLOURS for rank, c in enumerate(by_size)}
    nodes = tuple((n.title, n.url, colour[cluster_of[i]], cluster_of[i])
                  for i, n in enumerate(notes))
    clusters = tuple((names[c] or "(top level)", round(centres[c][0] - left),
                      round(tops[c] - top)) for c in range(len(names)))
    return nodes, tuple(edges), placed, (width, height), clusters


def _label(title: str) -> str:
    return html.escape(title if len(title) <= LABEL else title[:LABEL - 1].rstrip() + "…")


def site_graph_svg(graph: tuple | None) -> str:
    """Links as one path, each note a link (a dot and its label), each folder's name."""
    if graph is None:
        return ""
    nodes, edges, spots, (width, height), clusters = graph
    path = "".join(f"M{spots[a][0]} {spots[a][1]}L{spots[b][0]} {spots[b][1]}"
                   for a, b in edges)
    dots = "".join(
        f'<a href="{html.escape(href_for(url, None))}" class="c{colour}">'
        f'<circle cx="{x}" cy="{y}" r="6"/>'
        f'<text x="{x}" y="{y + 17}">{_label(title)}</text></a>'
        for (title, url, colour, _), (x, y) in zip(nodes, spots))
    names = "".join(f'<text class="cluster" x="{x}" y="{y}">{html.escape(name)}</text>'
                    for name, x, y in clusters)
    return (f'<svg class="graph" viewBox="0 0 {width} {height}" '
            f'aria-label="Every note and its links, by folder">'
            f'<path class="edges" d="{path}"/>{names}{dots}</svg>')
