"""Run a Base's views over the vault: select, sort, group, limit and summarise the notes.

The result (``ViewResult``) is plain values, the cells already computed: what the page shows
and so what its key is made of.  A page is made again exactly when one of those values
changes, whichever note it came from.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from site_builder.bases.evaluate import Row
from site_builder.bases.records import Record, Vault
from site_builder.bases.spec import BaseSpec, Cond, View, property_node
from site_builder.bases.values import compare, is_empty, order_key, same, text, truthy


@dataclass(frozen=True)
class Line:
    """One row: the note it shows and the value of each column, in column order."""

    source: str
    cells: tuple


@dataclass(frozen=True)
class Group:
    value: Any  # the groupBy value (None: no grouping, or empty)
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ViewResult:
    view: View
    labels: tuple[str, ...]  # column headers
    groups: tuple[Group, ...]
    summaries: tuple[tuple[str, Any], ...]  # per column: (summary name, value) or ("", None)
    image: tuple[Any, ...] = ()  # cards: each line's image value, in line order


def matches(cond: Any, row: Row) -> bool:
    if cond is None:
        return True
    if isinstance(cond, Cond):
        results = (matches(item, row) for item in cond.items)
        if cond.op == "or":
            return not cond.items or any(results)
        if cond.op == "not":
            return not any(results)
        return all(results)
    return truthy(row.value(cond))


def label(spec: BaseSpec, prop: str) -> str:
    if prop in spec.labels:
        return spec.labels[prop]
    if prop == "file.name":
        return "Name"
    return prop.partition(".")[2]


def _compare_rows(keys: Sequence[tuple[str, bool]]):
    def cmp(a: tuple[str, dict], b: tuple[str, dict]) -> int:
        for prop, descending in keys:
            x, y = a[1][prop], b[1][prop]
            if is_empty(x) or is_empty(y):
                if is_empty(x) != is_empty(y):
                    return 1 if is_empty(x) else -1  # empty values last, either way
                continue
            order = compare(x, y)
            if order is None:
                kx, ky = order_key(x), order_key(y)
                order = (kx > ky) - (kx < ky)
            if order:
                return -order if descending else order
        return (a[0] > b[0]) - (a[0] < b[0])
    return cmp


def summarise(name: str, values: Sequence[Any]) -> Any:
    """One built-in summary over a column's values."""
    filled = [v for v in values if not is_empty(v)]
    numbers = [v for v in filled if isinstance(v, (int, float)) and not isinstance(v, bool)]
    dated = sorted((v for v in filled if hasattr(v, "toordinal")), key=order_key)
    if name == "count":
        return len(values)
    if name == "empty":
        return len(values) - len(filled)
    if name == "filled":
        return len(filled)
    if name == "unique":
        return len([v for i, v in enumerate(filled) if not any(same(v, w) for w in filled[:i])])
    if name in ("earliest", "latest"):
        return (dated[0] if name == "earliest" else dated[-1]) if dated else None
    if not numbers:
        return None
    return {"sum": lambda: sum(numbers), "average": lambda: sum(numbers) / len(numbers),
            "min": lambda: min(numbers), "max": lambda: max(numbers),
            "median": lambda: statistics.median(numbers),
            "range": lambda: max(numbers) - min(numbers)}[name]()


def run_view(spec: BaseSpec, view: View, vault: Vault, this: Record | None) -> ViewResult:
    """The notes ``view`` shows, sorted, grouped and cut to its limit, with their cells."""
    wanted = dict.fromkeys((*view.columns, *(p for p, _ in view.sort),
                            *([view.group_by[0]] if view.group_by else []),
                            *([view.image] if view.image else [])))
    nodes = {p: property_node(p) for p in wanted}
    chosen = []
    for record in vault.records.values():
        row = Row(vault, record, this, spec.formulas)
        if matches(spec.filter, row) and matches(view.filter, row):
            chosen.append((record.source, {p: row.value(n) for p, n in nodes.items()}))
    keys = ([view.group_by] if view.group_by else []) + list(view.sort)
    chosen.sort(key=cmp_to_key(_compare_rows(keys)))
    if view.limit is not None:
        chosen = chosen[:view.limit]
    groups: list[Group] = []
    for source, values in chosen:
        value = values[view.group_by[0]] if view.group_by else None
        line = Line(source, tuple(values[c] for c in view.columns))
        if groups and same_group(groups[-1].value, value):
            groups[-1] = Group(groups[-1].value, (*groups[-1].lines, line))
        else:
            groups.append(Group(value, (line,)))
    wanted_summaries = dict(view.summaries)
    sums = tuple((wanted_summaries[c], summarise(wanted_summaries[c], [v[c] for _, v in chosen]))
                 if c in wanted_summaries else ("", None) for c in view.columns)
    return ViewResult(view, tuple(label(spec, c) for c in view.columns), tuple(groups), sums,
                      tuple(v[view.image] for _, v in chosen) if view.image else ())


def same_group(a: Any, b: Any) -> bool:
    return (is_empty(a) and is_empty(b)) or same(a, b) or text(a) == text(b) != ""


def run_base(spec: BaseSpec, vault: Vault, this: Record | None,
             only: str | None = None) -> tuple[ViewResult, ...]:
    """Every view's result (or only the view named ``only``, when the embed names one)."""
    views = [v for v in spec.views if only is None or v.name == only] or list(spec.views)
    return tuple(run_view(spec, v, vault, this) for v in views)

