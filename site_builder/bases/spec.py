"""A ``.base`` file read into a ``BaseSpec``: its filters, formulas, property names and views.

The file is YAML as Obsidian writes it.  What we cannot show is said once per build as a
warning naming the file, the view and the expression, and left out, so the rest of the Base
still renders: an unknown function drops that condition (or formula), a ``map`` view is shown
as a table.  A file that is not YAML at all is an error, as malformed front matter is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from site_builder.bases.expr import Attr, Name, Unsupported, parse, uses_this
from site_builder.core.errors import ContentError
from site_builder.vault.frontmatter import yaml_line

VIEW_KINDS = ("table", "cards", "list")
SUMMARIES = ("count", "sum", "average", "min", "max", "earliest", "latest", "empty", "filled",
             "unique", "median", "range")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Cond:
    """``and`` / ``or`` / ``not`` of conditions (each a Cond or a parsed expression)."""

    op: str
    items: tuple


@dataclass(frozen=True)
class View:
    name: str
    kind: str  # "table", "cards" or "list"
    filter: Cond | None
    columns: tuple[str, ...]  # property ids: "file.name", "note.author", "formula.Age"
    sort: tuple[tuple[str, bool], ...] = ()  # (property id, descending)
    limit: int | None = None
    group_by: tuple[str, bool] | None = None
    summaries: tuple[tuple[str, str], ...] = ()  # (property id, summary name)
    image: str | None = None


@dataclass(frozen=True)
class BaseSpec:
    source: str
    filter: Cond | None
    formulas: Mapping[str, Any]
    labels: Mapping[str, str]  # property id -> display name
    views: tuple[View, ...]
    warnings: tuple[str, ...] = ()

    @property
    def uses_this(self) -> bool:
        """Whether a row can depend on the note showing the Base."""
        conds = [self.filter, *(v.filter for v in self.views)]
        return any(_cond_uses_this(c) for c in conds) or any(
            uses_this(f) for f in self.formulas.values())


def _cond_uses_this(cond: Any) -> bool:
    if isinstance(cond, Cond):
        return any(_cond_uses_this(c) for c in cond.items)
    return cond is not None and uses_this(cond)


def property_id(key: Any) -> str:
    """``author`` and ``note.author`` are one property; ``property.x`` is an old spelling."""
    text = str(key).strip()
    head, dot, rest = text.partition(".")
    if dot and head in ("note", "file", "formula"):
        return text
    if dot and head == "property":
        return "note." + rest
    return "note." + text


def property_node(prop: str) -> Attr:
    """The expression that reads a property id (names may hold spaces: no parsing)."""
    head, _, rest = prop.partition(".")
    return Attr(Name(head), rest)


class _Reader:
    """Reads one file, collecting warnings as it goes."""

    def __init__(self, shown: str):
        self.shown, self.warnings = shown, []

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{self.shown}: {where}: {message}")

    def expression(self, text: Any, where: str) -> Any:
        try:
            return parse(str(text))
        except Unsupported as exc:
            self.warn(where, f"unsupported expression '{text}' ({exc}); left out")
            return None

    def condition(self, raw: Any, where: str) -> Cond | None:
        if raw is None or raw == "" or raw == []:
            return None
        if isinstance(raw, Mapping):
            if len(raw) != 1 or next(iter(raw)) not in ("and", "or", "not"):
                self.warn(where, f"filters must be one of and/or/not, not {sorted(map(str, raw))}")
                return None
            op, items = next(iter(raw.items()))
            items = items if isinstance(items, list) else [items]
            parts = tuple(p for p in (self.condition(i, where) for i in items) if p is not None)
            return Cond(str(op), parts)
        node = self.expression(raw, where)
        return None if node is None else Cond("and", (node,))

    def view(self, raw: Any, number: int) -> View | None:
        if not isinstance(raw, Mapping):
            self.warn(f"view {number}", "not a mapping; left out")
            return None
        name = str(raw.get("name") or f"View {number}")
        where = f"view '{name}'"
        kind = str(raw.get("type") or "table")
        if kind not in VIEW_KINDS:
            self.warn(where, f"view type '{kind}' is shown as a table")
            kind = "table"
        columns = tuple(property_id(c) for c in (raw.get("order") or ["file.name"]))
        return View(name, kind, self.condition(raw.get("filters"), where),
                    columns or ("file.name",), self.sorting(raw.get("sort"), where),
                    _limit(raw.get("limit")), self.grouping(raw.get("groupBy"), where),
                    self.summaries(raw.get("summaries"), where),
                    property_id(raw["image"]) if raw.get("image") else None)

    def sorting(self, raw: Any, where: str) -> tuple[tuple[str, bool], ...]:
        found = []
        for item in raw if isinstance(raw, list) else []:
            key = isinstance(item, Mapping) and (item.get("property") or item.get("column"))
            if not key:
                self.warn(where, f"sort entry {item!r} names no property; left out")
                continue
            found.append((property_id(key), str(item.get("direction", "ASC")).upper() == "DESC"))
        return tuple(found)

    def grouping(self, raw: Any, where: str) -> tuple[str, bool] | None:
        if isinstance(raw, Mapping) and raw.get("property"):
            return (property_id(raw["property"]),
                    str(raw.get("direction", "ASC")).upper() == "DESC")
        if raw:
            self.warn(where, f"groupBy {raw!r} names no property; left out")
        return None

    def summaries(self, raw: Any, where: str) -> tuple[tuple[str, str], ...]:
        found = []
        for key, name in (raw.items() if isinstance(raw, Mapping) else ()):
            if str(name).lower() not in SUMMARIES:
                self.warn(where, f"summary '{name}' of {key} is not a built-in one; left out")
                continue
            found.append((property_id(key), str(name).lower()))
        return tuple(found)


def _limit(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else None


def _labels(data: Mapping[str, Any]) -> dict[str, str]:
    labels = {}
    for key, value in (data.get("display") or {}).items():  # before Obsidian 1.9.2
        labels[property_id(key)] = str(value)
    for key, value in (data.get("properties") or {}).items():
        if isinstance(value, Mapping) and value.get("displayName"):
            labels[property_id(key)] = str(value["displayName"])
    return labels


def load_yaml(text: str, shown: str) -> Mapping[str, Any]:
    try:
        data = yaml.load(text, Loader=_LOADER) if text.strip() else {}
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(f"malformed Base (YAML): {problem}", shown,
                           yaml_line(exc, text.count("\n") + 2) - 1) from None
    if not isinstance(data, Mapping):
        raise ContentError("a Base must be a YAML mapping (filters, formulas, views)", shown, 1)
    return data


def read_base(text: str, source: str, shown: str) -> BaseSpec:
    """The Base in ``text`` (the file ``source``, named ``shown`` in messages)."""
    data = load_yaml(text, shown)
    reader = _Reader(shown)
    formulas = {}
    for name, raw in (data.get("formulas") or {}).items():
        node = reader.expression(raw, f"formula '{name}'")
        if node is not None:
            formulas[str(name)] = node
    if data.get("summaries"):
        reader.warn("summaries", "custom summary formulas are not supported; left out")
    views = tuple(v for v in (reader.view(raw, i) for i, raw in
                              enumerate(data.get("views") or [{}], 1)) if v is not None)
    return BaseSpec(source, reader.condition(data.get("filters"), "filters"), formulas,
                    _labels(data), views, tuple(reader.warnings))
