"""The values a Base works with, and what each one means for equality, order and display.

Properties come from YAML front matter, where Obsidian reads ``"[[Books]]"`` as a link and
``2023-09-12`` as a date: ``from_yaml`` does the same, so ``categories.contains(link("Books"))``
compares links (equal when they lead to the same note) and ``last > "2023-01-01"`` compares
dates.  A note itself is a ``FileRef`` (``this``, ``file``).  Everything else is a plain Python
value: None, bool, int, float, str, tuple (a list).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

_WIKI = re.compile(r"^\s*!?\[\[([^\[\]\n]+?)\]\]\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")
_UNITS = {"y": 365.25, "year": 365.25, "years": 365.25, "M": 30.4375, "month": 30.4375,
          "months": 30.4375, "w": 7, "week": 7, "weeks": 7, "d": 1, "day": 1, "days": 1,
          "h": 1 / 24, "hour": 1 / 24, "hours": 1 / 24, "m": 1 / 1440, "minute": 1 / 1440,
          "minutes": 1 / 1440, "s": 1 / 86400, "second": 1 / 86400, "seconds": 1 / 86400}


@dataclass(frozen=True)
class LinkVal:
    """A wiki link as a value: ``target`` is the content path it resolves to (None when it
    leads nowhere published), ``name`` what was written, ``display`` its alias."""

    name: str
    target: str | None
    display: str | None = None


@dataclass(frozen=True)
class FileRef:
    """A file of the vault as a value (``file``, ``this``, ``link.asFile()``)."""

    source: str


@dataclass(frozen=True)
class Duration:
    """The difference of two dates, or ``"60d"`` added to one: in days."""

    days: float


def parse_duration(text: str) -> Duration | None:
    match = _DURATION.match(text)
    if not match or match.group(2) not in _UNITS and match.group(2).lower() not in _UNITS:
        return None
    unit = _UNITS.get(match.group(2), _UNITS.get(match.group(2).lower(), 1))
    return Duration(float(match.group(1)) * unit)


def parse_date(text: str) -> dt.date | None:
    """An ISO date or date-time text as a value, else None."""
    text = text.strip()
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        if _DATETIME.match(text):
            return dt.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None
    return None


def from_yaml(value: Any, resolve: Any) -> Any:
    """A front matter value as a Base value: lists become tuples, ``"[[X]]"`` a LinkVal
    (``resolve(name)`` gives its target), an ISO date text a date."""
    if isinstance(value, list):
        return tuple(from_yaml(v, resolve) for v in value)
    if isinstance(value, dict):
        return {str(k): from_yaml(v, resolve) for k, v in value.items()}
    if isinstance(value, str):
        match = _WIKI.match(value)
        if match:
            return make_link(match.group(1), resolve)
        return parse_date(value) or value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def make_link(inner: str, resolve: Any) -> LinkVal:
    """``Note#part|alias`` (what is between ``[[`` and ``]]``) as a LinkVal."""
    target, _, alias = inner.partition("|")
    name = target.split("#")[0].strip()
    return LinkVal(name, resolve(name), alias.strip() or None)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (tuple, dict)) and not value)


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return not is_empty(value) and value is not False and value != 0


def same(a: Any, b: Any) -> bool:
    """Equality as Bases means it: a link equals the file (or link) it leads to, a text
    equals a link named so, numbers compare by value."""
    if isinstance(a, (LinkVal, FileRef)) or isinstance(b, (LinkVal, FileRef)):
        return _identity(a) == _identity(b) and _identity(a) is not None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return _as_datetime(a) == _as_datetime(b)
    return a == b


def _identity(value: Any) -> str | None:
    """What a link, a file or a text names, for comparing them with each other."""
    if isinstance(value, FileRef):
        return "@" + value.source
    if isinstance(value, LinkVal):
        return "@" + value.target if value.target else value.name.lower()
    if isinstance(value, str):
        return value.lower()
    return None


def _as_datetime(day: dt.date) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day.replace(tzinfo=None)
    return dt.datetime(day.year, day.month, day.day)


def order_key(value: Any) -> tuple:
    """A key that orders any two values (numbers, then dates, then texts, then the rest);
    empty values are the caller's concern (they sort last either way)."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, dt.date):
        return (1, _as_datetime(value).isoformat())
    if isinstance(value, Duration):
        return (0, value.days)
    if isinstance(value, tuple):
        return (3, tuple(order_key(v) for v in value))
    return (2, text(value).lower())


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1, or None when the two cannot be ordered (a number and a text)."""
    if isinstance(a, dt.date) and isinstance(b, str):
        b = parse_date(b) or b
    if isinstance(b, dt.date) and isinstance(a, str):
        a = parse_date(a) or a
    ka, kb = order_key(a), order_key(b)
    if ka[0] != kb[0] or is_empty(a) or is_empty(b):
        return None
    return (ka > kb) - (ka < kb)


def number_text(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def text(value: Any) -> str:
    """A value as plain text (``toString()``, sorting, search)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, LinkVal):
        return value.display or value.name
    if isinstance(value, FileRef):
        return value.source.rpartition("/")[2].rsplit(".", 1)[0]
    if isinstance(value, Duration):
        return f"{number_text(round(value.days, 2))} days"
    if isinstance(value, tuple):
        return ", ".join(text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {text(v)}" for k, v in value.items())
    return str(value)


def add_duration(day: dt.date, duration: Duration, sign: int) -> dt.date:
    delta = dt.timedelta(days=duration.days * sign)
    if isinstance(day, dt.datetime) or delta.seconds:
        return _as_datetime(day) + delta
    return day + delta


def date_difference(a: dt.date, b: dt.date) -> Duration:
    delta = _as_datetime(a) - _as_datetime(b)
    return Duration(delta.total_seconds() / 86400)
