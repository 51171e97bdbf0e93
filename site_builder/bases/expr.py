"""The expression language of Obsidian Bases, parsed by a grammar (lark), never by ``eval``.

A ``.base`` file's filters and formulas are small JavaScript-like expressions:
``categories.contains(link("Books"))``, ``!file.name.contains("Template")``,
``note.rating > 6 && file.inFolder("References")``, ``(price / formula.uses).toFixed(2)``.
They come from a vault anyone may hand us, so they are parsed into the frozen nodes below by
a grammar of exactly that subset, and ``check`` refuses any function or method the evaluator
does not implement: an expression is either understood completely or reported (file, view and
expression) and left out, never half-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

GRAMMAR = r"""
?start: expr
?expr: or_
?or_: and_ | or_ "||" and_ -> or_op
?and_: not_ | and_ "&&" not_ -> and_op
?not_: cmp | "!" not_ -> not_op
?cmp: sum
    | sum "==" sum -> eq
    | sum "!=" sum -> ne
    | sum "<" sum -> lt
    | sum "<=" sum -> le
    | sum ">" sum -> gt
    | sum ">=" sum -> ge
?sum: prod | sum "+" prod -> add | sum "-" prod -> sub
?prod: unary | prod "*" unary -> mul | prod "/" unary -> div | prod "%" unary -> mod
?unary: postfix | "-" unary -> neg
?postfix: atom
    | postfix "." NAME -> attr
    | postfix "." NAME "(" args ")" -> method
    | postfix "[" expr "]" -> index
?atom: NUMBER -> number
    | STRING -> string
    | NAME -> name
    | NAME "(" args ")" -> call
    | "(" expr ")"
    | "[" args "]" -> list_
args: (expr ("," expr)*)?
NAME: /[^\W\d]\w*/
NUMBER: /\d+(\.\d+)?/
STRING: /"(?:[^"\\]|\\.)*"/ | /'(?:[^'\\]|\\.)*'/
%ignore /\s+/
"""

# What the evaluator implements; anything else is "unsupported", named in the warning.
FUNCTIONS = frozenset({"if", "link", "list", "date", "number", "min", "max", "not", "empty",
                       "file", "duration", "string"})
METHODS = frozenset({
    # any value
    "isEmpty", "toString", "isTruthy", "isType",
    # text and lists
    "contains", "containsAny", "containsAll", "startsWith", "endsWith", "lower", "upper",
    "title", "trim", "replace", "split", "slice", "join", "unique", "sort", "reverse", "flat",
    "filter", "map", "indexOf",
    # numbers
    "round", "floor", "ceil", "abs", "toFixed",
    # dates
    "format", "date",
    # files and links
    "hasTag", "inFolder", "hasLink", "hasProperty", "asFile", "asLink", "linksTo",
})
# Functions that exist in Obsidian but make the output depend on the hour of the build.
CLOCK = frozenset({"now", "today"})


class Unsupported(ValueError):
    """An expression outside the subset: the message says what (for the build warning)."""


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Attr:
    obj: Any
    name: str


@dataclass(frozen=True)
class Index:
    obj: Any
    index: Any


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


@dataclass(frozen=True)
class Method:
    obj: Any
    name: str
    args: tuple


@dataclass(frozen=True)
class Unary:
    op: str  # "!" or "-"
    operand: Any


@dataclass(frozen=True)
class Binary:
    op: str  # "&&", "||", "==", "+", ...
    left: Any
    right: Any


@dataclass(frozen=True)
class ListLit:
    items: tuple


_BINARY = {"or_op": "||", "and_op": "&&", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
           "gt": ">", "ge": ">=", "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}
_KEYWORDS = {"true": True, "false": False, "null": None}


def _unquote(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append({"n": "\n", "t": "\t"}.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


@lru_cache(maxsize=1)
def _lark() -> tuple[Any, Any]:
    """(the LALR parser, the tree -> nodes transformer), made on first use: importing lark
    costs 40-70 ms and making the parser 0.2-0.3 s (lark computes the tables), which every
    build paid at import, Bases or not."""
    from lark import Lark, Token, Transformer, v_args

    @v_args(inline=True)
    class _ToNodes(Transformer):
        """lark's parse tree -> the frozen nodes above."""

        def number(self, token: Token) -> Lit:
            text = str(token)
            return Lit(float(text) if "." in text else int(text))

        def string(self, token: Token) -> Lit:
            return Lit(_unquote(str(token)))

        def name(self, token: Token) -> Lit | Name:
            text = str(token)
            return Lit(_KEYWORDS[text]) if text in _KEYWORDS else Name(text)

        def args(self, *items: Any) -> tuple:
            return tuple(i for i in items if i is not None)

        def call(self, func: Token, args: tuple) -> Call:
            return Call(str(func), args)

        def method(self, obj: Any, name: Token, args: tuple) -> Method:
            return Method(obj, str(name), args)

        def attr(self, obj: Any, name: Token) -> Attr:
            return Attr(obj, str(name))

        def index(self, obj: Any, index: Any) -> Index:
            return Index(obj, index)

        def list_(self, args: tuple) -> ListLit:
            return ListLit(args)

        def not_op(self, operand: Any) -> Unary:
            return Unary("!", operand)

        def neg(self, operand: Any) -> Unary:
            return Unary("-", operand)

    for _rule, _op in _BINARY.items():
        setattr(_ToNodes, _rule, v_args(inline=True)(
            lambda self, left, right, _op=_op: Binary(_op, left, right)))
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False), _ToNodes()


@lru_cache(maxsize=4096)
def parse(text: str) -> Any:
    """The expression ``text`` as nodes; raises Unsupported for a syntax error or a function
    or method the evaluator does not have (so the caller can say so and leave it out)."""
    parser, to_nodes = _lark()
    from lark.exceptions import LarkError

    try:
        tree = parser.parse(text)
    except LarkError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise Unsupported(f"cannot parse it ({first})") from None
    node = to_nodes.transform(tree)
    check(node)
    return node


def check(node: Any) -> None:
    """Raise Unsupported at the first function or method outside the subset."""
    if isinstance(node, Call):
        if node.func in CLOCK:
            raise Unsupported(f"{node.func}() would make the page depend on the time of the "
                              "build")
        if node.func not in FUNCTIONS:
            raise Unsupported(f"unknown function {node.func}()")
    if isinstance(node, Method) and node.name not in METHODS:
        raise Unsupported(f"unknown method .{node.name}()")
    for child in children(node):
        check(child)


def children(node: Any) -> tuple:
    """The sub-expressions of a node."""
    if isinstance(node, (Attr, Unary)):
        return (node.obj,) if isinstance(node, Attr) else (node.operand,)
    if isinstance(node, Index):
        return (node.obj, node.index)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Method):
        return (node.obj, *node.args)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, ListLit):
        return node.items
    return ()


def uses_this(node: Any) -> bool:
    """Whether the result depends on the note showing the Base (``this``): if not, one
    evaluation serves every page that embeds it."""
    if isinstance(node, Name) and node.name == "this":
        return True
    return any(uses_this(c) for c in children(node))
