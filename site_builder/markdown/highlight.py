"""``pymdownx.highlight`` with one Pygments formatter per set of options and one lexer per language.

For every code block, ``pymdownx.highlight`` makes a new ``HtmlFormatter`` (which builds the
style's whole CSS class table in ``__init__``) and looks its lexer up by name (a search through
Pygments' lexer registry): 0.7 s of a 1,000-note build, for objects that are equal from one
block to the next.  A formatter's output depends only on its options (formatting keeps no state
but a cache of span openers), and a lexer's only on its options, so sharing them cannot change
the HTML; ``tests/test_smartquotes.py`` compares with the stock extension anyway.

pymdownx offers a hook for its highlighter class (``get_pymdownx_highlighter``) but none for
the formatter or the lexer lookup, which ``Highlight.highlight`` reads from its module's
globals.  So ``SharedHighlight`` runs pymdownx's own ``highlight`` and ``get_lexer`` code
objects with those few names bound to the caching versions below, without patching the module
(the stock extension in the same process is untouched).  If a pymdownx release stops using one
of those names, the function is kept as it is: slower, never different.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pymdownx.highlight as stock
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# Formatters per option set; hl_lines and titles vary per block, so the table is bounded.
_MAX_SHARED = 256


def shared_factory(cls: type) -> Callable[..., Any]:
    """``cls(**options)``, made once per distinct set of options."""
    made: dict[str, Any] = {}

    def make(**options: Any) -> Any:
        key = repr(sorted(options.items()))
        obj = made.get(key)
        if obj is None:
            if len(made) >= _MAX_SHARED:
                made.clear()
            obj = made[key] = cls(**options)
        return obj

    return make


_LEXERS: dict[str, Any] = {}


def shared_lexer(name: str, **options: Any) -> Any:
    """``get_lexer_by_name``, once per name and options; an unknown name raises every time,
    as the original does (pymdownx then falls back to plain text)."""
    key = repr((name, sorted(options.items())))
    lexer = _LEXERS.get(key)
    if lexer is None:
        try:
            lexer = get_lexer_by_name(name, **options)
        except ClassNotFound:
            lexer = False
        if len(_LEXERS) >= _MAX_SHARED:
            _LEXERS.clear()
        _LEXERS[key] = lexer
    if lexer is False:
        raise ClassNotFound(f"no lexer for alias {name!r} found")
    return lexer


def rebind(func: Callable, **names: Any) -> Callable:
    """``func``'s own code with some of the globals it reads replaced; ``func`` itself when it
    does not read all of them (another pymdownx version: run its code unchanged)."""
    code = func.__code__  # type: ignore[attr-defined]
    if not set(names) <= set(code.co_names):
        return func
    glob = {**func.__globals__, **names}  # type: ignore[attr-defined]
    clone = types.FunctionType(code, glob, func.__name__, func.__defaults__,  # type: ignore
                               func.__closure__)  # type: ignore[attr-defined]
    clone.__kwdefaults__ = func.__kwdefaults__  # type: ignore[attr-defined]
    clone.__doc__ = func.__doc__
    return clone


class SharedHighlight(stock.Highlight):
    """pymdownx's highlighter, reusing formatters and lexers."""

    get_lexer = rebind(stock.Highlight.get_lexer, get_lexer_by_name=shared_lexer)
    highlight = rebind(stock.Highlight.highlight,
                       BlockHtmlFormatter=shared_factory(stock.BlockHtmlFormatter),
                       InlineHtmlFormatter=shared_factory(stock.InlineHtmlFormatter))


class SharedHighlightTreeprocessor(stock.HighlightTreeprocessor):
    """Indented code blocks (when superfences leaves them to pymdownx.highlight)."""

    run = rebind(stock.HighlightTreeprocessor.run, Highlight=SharedHighlight)


class SharedHighlightExtension(stock.HighlightExtension):
    """``pymdownx.highlight`` (same options, same HTML), sharing formatters and lexers."""

    extendMarkdown = rebind(stock.HighlightExtension.extendMarkdown,
                            HighlightTreeprocessor=SharedHighlightTreeprocessor)

    def get_pymdownx_highlighter(self) -> type:
        return SharedHighlight
