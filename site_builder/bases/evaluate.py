"""Evaluate a parsed Bases expression for one note (a row), as Obsidian would.

Lenient like Obsidian: a property a note lacks is null, and a method asked of the wrong kind
of value (``rating.contains("x")`` on a number) gives null rather than stopping the build;
only what ``expr.check`` refused is reported.  ``formula.X`` is evaluated once per row, and a
formula that refers to itself is null.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from site_builder.bases import expr as E
from site_builder.bases.methods import call_method
from site_builder.bases.records import FILE_FIELDS, Record, Vault
from site_builder.bases.values import (
    Duration,
    FileRef,
    LinkVal,
    add_duration,
    compare,
    date_difference,
    is_empty,
    parse_date,
    parse_duration,
    same,
    text,
    truthy,
)

_FAILED = (TypeError, ValueError, ArithmeticError, AttributeError, IndexError, KeyError,
           RecursionError, OverflowError)
_NOTE, _FORMULA = object(), object()


class Row:
    """One note being evaluated: its record, the note showing the Base (``this``), the
    Base's formulas (parsed), and the ``value``/``index`` of a ``filter``/``map``."""

    def __init__(self, vault: Vault, record: Record, this: Record | None,
                 formulas: Mapping[str, Any], local: Mapping[str, Any] | None = None):
        self.vault, self.record, self.this, self.formulas = vault, record, this, formulas
        self.local = local or {}
        self.done: dict[str, Any] = {}

    def value(self, node: Any) -> Any:
        """The node's value for this row; null when the data does not fit the expression."""
        try:
            return evaluate(node, self)
        except _FAILED:
            return None

    def formula(self, name: str) -> Any:
        if name not in self.done:
            self.done[name] = None  # a formula using itself ends here
            node = self.formulas.get(name)
            self.done[name] = None if node is None else self.value(node)
        return self.done[name]

    def inner(self, local: Mapping[str, Any]) -> Row:
        row = Row(self.vault, self.record, self.this, self.formulas, {**self.local, **local})
        row.done = self.done
        return row


def evaluate(node: Any, row: Row) -> Any:
    kind = type(node)
    if kind is E.Lit:
        return node.value
    if kind is E.Name:
        return _name(node.name, row)
    if kind is E.Attr:
        return attribute(evaluate(node.obj, row), node.name, row)
    if kind is E.Binary:
        return _binary(node, row)
    if kind is E.Unary:
        value = evaluate(node.operand, row)
        return not truthy(value) if node.op == "!" else -value
    if kind is E.Method:
        return _method(node, row)
    if kind is E.Call:
        return _call(node, row)
    if kind is E.Index:
        obj, at = evaluate(node.obj, row), evaluate(node.index, row)
        if isinstance(obj, dict):
            return obj.get(str(at))
        return obj[int(at)] if isinstance(obj, (tuple, str)) and -len(obj) <= int(at) < len(
            obj) else None
    if kind is E.ListLit:
        return tuple(evaluate(item, row) for item in node.items)
    raise TypeError(kind)


def _name(name: str, row: Row) -> Any:
    if name in row.local:
        return row.local[name]
    if name == "file":
        return FileRef(row.record.source)
    if name == "note":
        return _NOTE
    if name == "formula":
        return _FORMULA
    if name == "this":
        return FileRef(row.this.source) if row.this else None
    return row.record.props.get(name)


def attribute(obj: Any, name: str, row: Row) -> Any:
    if obj is _NOTE:
        return row.record.props.get(name)
    if obj is _FORMULA:
        return row.formula(name)
    if isinstance(obj, LinkVal):
        obj = FileRef(obj.target) if obj.target else None
    if isinstance(obj, FileRef):
        record = row.vault.records.get(obj.source)
        if record is None:
            return None
        if name in FILE_FIELDS:
            return row.vault.file_field(record, name)
        return record.props.get(name)
    if name == "length" and isinstance(obj, (str, tuple)):
        return len(obj)
    if isinstance(obj, Duration):
        return {"years": obj.days / 365.25, "months": obj.days / 30.4375, "weeks": obj.days / 7,
                "days": obj.days, "hours": obj.days * 24, "minutes": obj.days * 1440,
                "seconds": obj.days * 86400}[name]
    if isinstance(obj, dt.date):
        return getattr(obj, name) if name in ("year", "month", "day", "hour", "minute",
                                               "second") else None
    if isinstance(obj, dict):
        return obj.get(name)
    return None


def _binary(node: E.Binary, row: Row) -> Any:
    op = node.op
    if op == "&&":
        return truthy(evaluate(node.left, row)) and truthy(evaluate(node.right, row))
    if op == "||":
        return truthy(evaluate(node.left, row)) or truthy(evaluate(node.right, row))
    left, right = evaluate(node.left, row), evaluate(node.right, row)
    if op in ("==", "!="):
        return same(left, right) == (op == "==")
    if op in ("<", "<=", ">", ">="):
        order = compare(left, right)
        if order is None:
            return False
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
    return arithmetic(op, left, right)


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """Numbers, text joined with ``+``, and dates moved by durations (``date - "60d"``)."""
    if isinstance(left, dt.date):
        if isinstance(right, str):
            right = parse_date(right) or parse_duration(right)
        if isinstance(right, Duration) and op in "+-":
            return add_duration(left, right, 1 if op == "+" else -1)
        if isinstance(right, dt.date) and op == "-":
            return date_difference(left, right)
        return None
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        return text(left) + text(right)
    if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
        return None
    if not isinstance(left, (int, float)) or not isinstance(right, (int, float)):
        return None
    if op in "/%" and right == 0:
        return None
    return _ARITHMETIC[op](left, right)


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "%": math.fmod}


def _call(node: E.Call, row: Row) -> Any:
    func, args = node.func, node.args
    if func == "if":
        branch = args[1] if truthy(evaluate(args[0], row)) else (args[2] if len(args) > 2
                                                                  else None)
        return None if branch is None else evaluate(branch, row)
    values = [evaluate(a, row) for a in args]
    return FUNCTIONS[func](row, *values)


def _link(row: Row, target: Any, display: Any = None) -> LinkVal | None:
    if isinstance(target, FileRef):
        return LinkVal(target.source, target.source, text(display) or None)
    if isinstance(target, LinkVal):
        return target
    name = text(target).removeprefix("[[").removesuffix("]]")
    return LinkVal(name, row.vault.resolve(name, row.record.source), text(display) or None)


def _number(row: Row, value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return int(value)
    try:
        return float(text(value))
    except ValueError:
        return None


def _listed(row: Row, value: Any) -> tuple:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _extreme(pick: Callable) -> Callable:
    def run(row: Row, *values: Any) -> Any:
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return pick(numbers) if numbers else None
    return run


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "link": _link,
    "list": _listed,
    "number": _number,
    "string": lambda row, value: text(value),
    "date": lambda row, value: value if isinstance(value, dt.date) else parse_date(text(value)),
    "duration": lambda row, value: parse_duration(text(value)),
    "min": _extreme(min),
    "max": _extreme(max),
    "not": lambda row, value: not truthy(value),
    "empty": lambda row, value: is_empty(value),
    "file": lambda row, value: FileRef(row.vault.resolve(text(value)) or text(value)),
}


def _method(node: E.Method, row: Row) -> Any:
    obj = evaluate(node.obj, row)
    name = node.name
    if name in ("filter", "map"):
        items = obj if isinstance(obj, tuple) else ()
        results = [row.inner({"value": v, "index": i}).value(node.args[0])
                   for i, v in enumerate(items)]
        if name == "map":
            return tuple(results)
        return tuple(v for v, keep in zip(items, results) if truthy(keep))
    args = [evaluate(a, row) for a in node.args]
    return call_method(obj, name, args, row)
