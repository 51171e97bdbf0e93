"""One Pygments ``HtmlFormatter`` per set of options, reused for every code block.

Python-Markdown's ``codehilite`` (and ``fenced_code`` through it) makes a new formatter for
every block, and ``HtmlFormatter.__init__`` builds the style's whole class table each time:
1.8 s of a 64 s profile at 1,000 notes, for objects that differ only when the options do.
Passed as ``codehilite``'s ``pygments_formatter``, ``cached_html_formatter`` returns the same
formatter for the same options.  A formatter keeps no state between ``highlight`` calls (only
memo tables keyed by token type), so the HTML is byte-identical (``tests/test_highlight.py``).
"""

from __future__ import annotations

from typing import Any

from pygments.formatters import HtmlFormatter

_FORMATTERS: dict[tuple, HtmlFormatter] = {}
_MAX = 64  # options come from the site's settings and code fences: a handful in practice


def cached_html_formatter(lang_str: str = "", **options: Any) -> HtmlFormatter:
    """What ``codehilite`` gets with its default ``pygments_formatter="html"``:
    ``HtmlFormatter(**options)``, made once per distinct ``options``.  ``lang_str`` is what
    codehilite passes to a callable formatter; the default ``"html"`` formatter never sees it,
    so neither does this one."""
    key = tuple(sorted((k, repr(v)) for k, v in options.items()))
    formatter = _FORMATTERS.get(key)
    if formatter is None:
        if len(_FORMATTERS) >= _MAX:
            _FORMATTERS.clear()
        formatter = _FORMATTERS[key] = HtmlFormatter(**options)
    return formatter
