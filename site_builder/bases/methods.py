"""The methods of Bases values: ``"text".contains(x)``, ``list.containsAny(a, b)``,
``file.hasTag("x")``, ``rating.toFixed(1)``, ``date.format("YYYY")``...

One table per kind of value, so a method is looked up by what it is called on, as in
Obsidian; a method the value's kind lacks gives null (``expr.check`` already refused names
no kind has).  ``filter`` and ``map`` take an expression, so the evaluator runs those itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from site_builder.bases.values import (
    Duration,
    FileRef,
    LinkVal,
    is_empty,
    order_key,
    same,
    text,
    truthy,
)

_MOMENT = re.compile(r"YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd|HH|H|hh|h|mm|m|ss|s|A|a")
_MOMENT_MAP = {"YYYY": "%Y", "YY": "%y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "DD": "%d",
               "dddd": "%A", "ddd": "%a", "HH": "%H", "hh": "%I", "mm": "%M", "ss": "%S",
               "A": "%p", "a": "%p"}


def _contains_in(obj: Any, wanted: Any) -> bool:
    if isinstance(obj, tuple):
        return any(same(item, wanted) for item in obj)
    if isinstance(obj, (LinkVal, FileRef)):
        return same(obj, wanted) or text(wanted) in text(obj)
    return isinstance(obj, str) and text(wanted) in obj


def _format_date(day: dt.date, pattern: str = "YYYY-MM-DD") -> str:
    """Moment.js-style patterns (what Obsidian uses) for the common tokens."""
    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("M", "D", "H", "h", "m", "s"):
            value = {"M": day.month, "D": day.day}.get(token)
            if value is None:
                moment = day if isinstance(day, dt.datetime) else dt.datetime(
                    day.year, day.month, day.day)
                value = {"H": moment.hour, "h": (moment.hour % 12) or 12, "m": moment.minute,
                         "s": moment.second}[token]
            return str(value)
        return day.strftime(_MOMENT_MAP[token])
    return _MOMENT.sub(one, text(pattern))


def _round(value: float, digits: Any = 0) -> float:
    places = int(digits or 0)
    factor = 10 ** places
    rounded = math.floor(value * factor + 0.5) / factor  # half up, as JavaScript
    return int(rounded) if places == 0 else rounded


def _any_methods() -> dict[str, Callable[..., Any]]:
    return {
        "isEmpty": lambda obj: is_empty(obj),
        "toString": lambda obj: text(obj),
        "isTruthy": lambda obj: truthy(obj),
        "isType": lambda obj, kind: _kind(obj) == text(kind).lower(),
    }


def _kind(obj: Any) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "boolean"
    if isinstance(obj, (int, float)):
        return "number"
    if isinstance(obj, dt.date):
        return "date"
    return {tuple: "list", str: "string", LinkVal: "link", FileRef: "file",
            dict: "object", Duration: "duration"}.get(type(obj), "null")


_TEXT: dict[str, Callable[..., Any]] = {
    "contains": _contains_in,
    "containsAny": lambda obj, *wanted: any(_contains_in(obj, w) for w in wanted),
    "containsAll": lambda obj, *wanted: all(_contains_in(obj, w) for w in wanted),
    "startsWith": lambda obj, prefix: obj.startswith(text(prefix)),
    "endsWith": lambda obj, suffix: obj.endswith(text(suffix)),
    "lower": lambda obj: obj.lower(),
    "upper": lambda obj: obj.upper(),
    "title": lambda obj: obj.title(),
    "trim": lambda obj: obj.strip(),
    "replace": lambda obj, old, new="": obj.replace(text(old), text(new)),
    "split": lambda obj, sep=" ": tuple(obj.split(text(sep))),
    "slice": lambda obj, start=0, end=None: obj[int(start):None if end is None else int(end)],
    "indexOf": lambda obj, part: obj.find(text(part)),
}

_LIST: dict[str, Callable[..., Any]] = {
    "contains": _contains_in,
    "containsAny": lambda obj, *wanted: any(_contains_in(obj, w) for w in wanted),
    "containsAll": lambda obj, *wanted: all(_contains_in(obj, w) for w in wanted),
    "join": lambda obj, sep=", ": text(sep).join(text(v) for v in obj),
    "unique": lambda obj: tuple(v for i, v in enumerate(obj)
                                if not any(same(v, w) for w in obj[:i])),
    "sort": lambda obj: tuple(sorted(obj, key=order_key)),
    "reverse": lambda obj: tuple(reversed(obj)),
    "flat": lambda obj: tuple(x for v in obj for x in (v if isinstance(v, tuple) else (v,))),
    "slice": lambda obj, start=0, end=None: obj[int(start):None if end is None else int(end)],
    "indexOf": lambda obj, wanted: next((i for i, v in enumerate(obj) if same(v, wanted)), -1),
}

_NUMBER: dict[str, Callable[..., Any]] = {
    "round": _round,
    "floor": lambda obj: math.floor(obj),
    "ceil": lambda obj: math.ceil(obj),
    "abs": lambda obj: abs(obj),
    "toFixed": lambda obj, digits=0: f"{obj:.{int(digits)}f}",
}

_DATE: dict[str, Callable[..., Any]] = {
    "format": _format_date,
    "date": lambda obj: obj.date() if isinstance(obj, dt.datetime) else obj,
}


def _file_methods(obj: FileRef, name: str, args: list, row: Any) -> Any:
    record = row.vault.records.get(obj.source)
    if name == "asLink":
        return LinkVal(obj.source, obj.source)
    if record is None:
        return None
    if name == "hasTag":
        wanted = [text(t).lstrip("#").lower() for t in args]
        return any(tag.lower() == w or tag.lower().startswith(w + "/")
                   for tag in record.tags for w in wanted)
    if name == "inFolder":
        folder = text(args[0]).strip("/") if args else ""
        return not folder or record.folder == folder or record.folder.startswith(folder + "/")
    if name in ("hasLink", "linksTo"):
        target = args[0] if args else None
        if isinstance(target, str):
            target = LinkVal(target, row.vault.resolve(target, record.source))
        return any(same(FileRef(t), target) for t in record.links)
    if name == "hasProperty":
        return text(args[0]) in record.props if args else False
    return None


def call_method(obj: Any, name: str, args: list, row: Any) -> Any:
    """``obj.name(*args)`` for the kind of ``obj``; null where that kind has no such method."""
    if name in ("isEmpty", "toString", "isTruthy", "isType"):
        return _any_methods()[name](obj, *args)
    if isinstance(obj, LinkVal):
        if name == "asFile":
            return FileRef(obj.target) if obj.target else None
        obj = FileRef(obj.target) if obj.target and name in (
            "hasTag", "inFolder", "hasLink", "linksTo", "hasProperty") else text(obj)
    if isinstance(obj, FileRef):
        if name in ("hasTag", "inFolder", "hasLink", "linksTo", "hasProperty", "asLink"):
            return _file_methods(obj, name, args, row)
        obj = text(obj)
    if isinstance(obj, bool) or obj is None:
        return None
    table = (_LIST if isinstance(obj, tuple) else _TEXT if isinstance(obj, str)
             else _NUMBER if isinstance(obj, (int, float)) else _DATE
             if isinstance(obj, dt.date) else {})
    method = table.get(name)
    return None if method is None else method(obj, *args)
