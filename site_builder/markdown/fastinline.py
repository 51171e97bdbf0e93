"""Python-Markdown's inline pass, minus the patterns that cannot match a piece of text.

``InlineProcessor`` tries every inline pattern (15 with our extensions) on every text node,
through ``__applyPattern`` and a registry lookup that re-sorts on access: 725 calls per note of
the benchmark corpus, the largest cost left in rendering once ``smarty`` is gone.  Most of them
are doomed from the start: a link pattern on text without ``[``, an entity without ``&``.

``FastInlineExtension`` replaces the ``inline`` tree processor with a subclass that skips a
pattern when the text holds none of the substrings the pattern's regex requires (``[`` for
links, ``<`` for HTML and autolinks, ``*``/``_`` for emphasis...), exactly as if it had been
tried and had not matched, and that reads the pattern list once per document.  A pattern is
skipped only when its regex is the one listed here (another Python-Markdown version or an
extension replacing a pattern just runs it as before), so the HTML cannot change; the test
compares it with the stock pipeline over a corpus and random text.  The patterns other
extensions add (pymdownx's mark/tilde delimiters and magic links, our math) are recognised by
their class and the pieces of their regex, and skipped the same way: without that, those five
were tried on every text node (the inline pass took 2.3 s of a 1,000-note build, 1.0 s with).
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

# name -> (the regex it must have, substrings of which a match needs at least one)
_NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "backtick": (r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)", ("`",)),
    "escape": (r"\\(.)", ("\\",)),
    "footnote": (r"\[\^([^\]]*)\]", ("[^",)),
    "reference": (r"(?<!\!)\[", ("[",)),
    "link": (r"(?<!\!)\[", ("[",)),
    "image_link": (r"\!\[", ("![",)),
    "image_reference": (r"\!\[", ("![",)),
    "short_reference": (r"(?<!\!)\[", ("[",)),
    "short_image_ref": (r"\!\[", ("![",)),
    "autolink": (r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>", ("<",)),
    "automail": (r"<([^<> !]+@[^@<> ]+)>", ("<",)),
    "linebreak": (r"  \n", ("  \n",)),
    "entity": (r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)", ("&",)),
    "em_strong": (r"\*|_", ("*", "_")),
}
_HTML_NEEDS = ("<",)  # the html pattern's regex is long; any match starts with "<"
# Other extensions' patterns: name -> (class name, pieces its regex must contain, needs).
# pymdownx's mark/tilde delimiters need "=" or "~"; a magic link "://" or "www." in any case
# (so two w's in one of four cases); a magic mail "@"; our math a "$"; magiclink's
# replacement of the stock autolink (<https://...>) a "<".
_EXTENSION_NEEDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "delimiter": ("DelimiterProcessor", ("=|\\~",), ("=", "~")),
    "magic-link": ("MagiclinkPattern", ("(?xi)", "(?:ht|f)tps?://|", "(?P<www>w{3}\\.)"),
                   ("://", "ww", "Ww", "wW", "WW")),
    "magic-mail": ("MagiclinkMailPattern", ("(?xi)", "(?<!\\.)@"), ("@",)),
    "math_display": ("InlineMathProcessor", ("\\$\\$(.+?)\\$\\$",), ("$$",)),
    "math_inline": ("InlineMathProcessor", ("\\$(?=[^\\s$])",), ("$",)),
    "autolink": ("MagiclinkAutoPattern", (r"(?i)<((?:ht|f)tps?://[^<>]*)>",), ("<",)),
    "obsidian_tags": ("TagInlineProcessor", (r"(?<!\S)#(",), ("#",)),
}
_EXACT = ("delimiter", "autolink")  # their whole regex is the one piece listed


def _needs(name: str, pattern: object) -> tuple[str, ...] | None:
    """The substrings a match of ``pattern`` needs, or None when we cannot be sure."""
    regex = getattr(pattern, "pattern", None)
    if name == "html" and isinstance(regex, str) and regex.startswith("(<"):
        return _HTML_NEEDS
    other = _EXTENSION_NEEDS.get(name)
    if other is not None and (name != "autolink" or type(pattern).__name__ == other[0]):
        cls, pieces, needs = other
        same = type(pattern).__name__ == cls and isinstance(regex, str) and (
            regex == pieces[0] if name in _EXACT else all(p in regex for p in pieces))
        return needs if same else None
    known = _NEEDS.get(name)
    return known[1] if known is not None and known[0] == regex else None


class FastInlineProcessor(InlineProcessor):
    """``InlineProcessor`` that skips patterns which cannot match the text at hand."""

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        reg = self.inlinePatterns
        patterns = list(reg)  # in priority order, looked up once per document
        needs: list[tuple[str, ...] | None] = [None] * len(patterns)
        for name in (*_NEEDS, *_EXTENSION_NEEDS, "html"):
            if name in reg:
                index = reg.get_index_for_name(name)
                needs[index] = _needs(name, patterns[index])
        self._patterns = list(zip(patterns, needs))
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """The stock loop (each pattern applied until it stops matching, then the next),
        except that a pattern whose required substrings are all absent counts as not
        matching without being tried."""
        if isinstance(data, AtomicString):
            return data
        patterns = self._patterns
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start, count = 0, len(patterns)
        while patternIndex < count:
            pattern, needs = patterns[patternIndex]
            if needs is not None:
                for needed in needs:  # a plain loop: any() with a generator costs more
                    if needed in data:
                        break
                else:
                    patternIndex, start = patternIndex + 1, 0
                    continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class FastInlineExtension(Extension):
    """Registers ``FastInlineProcessor`` in place of the stock ``inline`` tree processor."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(FastInlineProcessor(md), "inline", 20)
