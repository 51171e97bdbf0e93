"""Smart quotes, dashes and ellipses without Python-Markdown's inline-pattern machinery.

Python-Markdown's ``smarty`` extension registers 18 inline patterns in a second
``InlineProcessor``: every text node of every note goes through 18 rounds of
``__applyPattern`` (about 2,700 calls per note of the benchmark corpus), most of it Python
overhead around regexes that find nothing.  That pass was two thirds of a note's rendering time.

``SmartQuotesExtension`` gives the same HTML for much less:

* one prefilter over each text node: a node without ``'``, ``"``, ``--`` or ``...``
  (most of them) is left alone at once (four substring tests);
* a node with candidates goes through smarty's own rules, in smarty's order, with smarty's
  semantics: each replacement becomes an opaque placeholder (``STX ... ETX``) that the later
  rules' lookarounds see exactly as they see smarty's, and each rule resumes after its own
  last replacement (as ``InlineProcessor.__applyPattern`` does);
* the entity (``&ldquo;`` ...) is stored in the HTML stash, as smarty does, so the output
  bytes and the TOC's heading text are identical.

It runs where smarty's processor ran (tree processor priority 6: after the inline pass, before
the table of contents) and skips the same text: ``AtomicString`` text (code spans, already
stashed code blocks) and, to be safe, any text inside ``code``/``pre``/``kbd``/``script``.
``tests/test_smartquotes.py`` renders the sample content and a generated corpus with both
pipelines and asserts equal HTML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable

import markdown
from markdown.extensions import Extension
from markdown.extensions import smarty as _smarty
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

_S = _smarty.substitutions
_LSQUO, _RSQUO = _S["left-single-quote"], _S["right-single-quote"]
_LDQUO, _RDQUO = _S["left-double-quote"], _S["right-double-quote"]

# (regex, replacement parts, characters the rule needs) in smarty's registry order (priority:
# dashes 50/45, quotes 30..16, ellipses 10).  A part is a group number (kept, opaque) or an
# entity (stashed).
_RULES: tuple[tuple[re.Pattern[str], tuple[int | str, ...], str], ...] = tuple(
    (re.compile(pattern), parts, needs) for pattern, parts, needs in (
        (r"(?<!-)---(?!-)", (_S["mdash"],), "-"),
        (r"(?<!-)--(?!-)", (_S["ndash"],), "-"),
        (_smarty.singleQuoteStartRe, (_RSQUO,), "'"),
        (_smarty.doubleQuoteStartRe, (_RDQUO,), '"'),
        (_smarty.doubleQuoteSetsRe, (_LDQUO + _LSQUO,), "'\""),
        (_smarty.singleQuoteSetsRe, (_LSQUO + _LDQUO,), "'\""),
        (_smarty.doubleQuoteSetsRe2, (_RSQUO + _RDQUO,), "'\""),
        (_smarty.singleQuoteSetsRe2, (_RDQUO + _RSQUO,), "'\""),
        (_smarty.decadeAbbrRe, (_RSQUO,), "'"),
        (_smarty.openingSingleQuotesRegex, (1, _LSQUO), "'"),
        (_smarty.closingSingleQuotesRegex, (_RSQUO,), "'"),
        (_smarty.closingSingleQuotesRegex2, (_RSQUO, 1), "'"),
        (_smarty.remainingSingleQuotesRegex, (_LSQUO,), "'"),
        (_smarty.openingDoubleQuotesRegex, (1, _LDQUO), '"'),
        (_smarty.closingDoubleQuotesRegex, (_RDQUO,), '"'),
        (_smarty.closingDoubleQuotesRegex2, (_RDQUO,), '"'),
        (_smarty.remainingDoubleQuotesRegex, (_LDQUO,), '"'),
        (r"(?<!\.)\.{3}(?!\.)", (_S["ellipsis"],), "."),
    )
)
# Our own placeholders: STX/ETX at the ends like Python-Markdown's, so the rules' lookarounds
# (which look one character across) behave the same; the inside is never matched by a rule.
_HOLD = "\x02smq:%d\x03"
_HELD = re.compile("\x02smq:(\\d+)\x03")
_SKIP = frozenset({"code", "pre", "kbd", "script", "style"})
_RAW_SCRIPT = r"(?is)<(script|style)\b[^>]*>.*?</\1\s*>"


def educate(text: str, stash: Callable[[str], str]) -> str:
    """``text`` with smarty's substitutions applied; ``stash`` stores an entity and returns its
    placeholder (``md.htmlStash.store``)."""
    # A rule needs a quote, "--" or "...": four substring tests (faster than one regex).
    if "'" not in text and '"' not in text and "--" not in text and "..." not in text:
        return text
    held: list[str] = []
    for regex, parts, needs in _RULES:
        if not all(c in text for c in needs):
            continue
        pos = 0
        while (m := regex.search(text, pos)) is not None:
            held.append("".join(m.group(p) if isinstance(p, int) else stash(p) for p in parts))
            hold = _HOLD % (len(held) - 1)
            text = text[:m.start()] + hold + text[m.end():]
            pos = m.start() + len(hold)
    if not held:
        return text
    return _HELD.sub(lambda m: held[int(m.group(1))], text)


class SmartQuotesTreeprocessor(Treeprocessor):
    """Applies ``educate`` to every text and tail smarty's ``InlineProcessor`` would visit."""

    def run(self, root: etree.Element) -> None:
        stash = self.md.htmlStash.store
        stack = [root]
        while stack:
            parent = stack.pop()
            for child in parent:
                text = child.text
                if text and not isinstance(text, AtomicString) and child.tag not in _SKIP:
                    child.text = educate(text, stash)
                tail = child.tail
                if tail and not isinstance(tail, AtomicString):
                    child.tail = educate(tail, stash)
                if len(child) and child.tag not in _SKIP:
                    stack.append(child)


class RawScriptInline(InlineProcessor):
    """An inline ``<script>…</script>`` or ``<style>…</style>`` kept whole as raw HTML.

    Python-Markdown stashes an inline tag, not what lies between two tags, so the code of
    ``<script>var s = "it's";</script>`` in a paragraph was text to the tree, and got smart
    quotes (and broke).  With raw HTML escaped (``[markdown] raw_html = "escape"``: no
    ``html`` pattern) this stays out of the way: the tags are shown as text."""

    def handleMatch(self, m: re.Match[str], data: str  # type: ignore[override]
                    ) -> tuple[str | None, int | None, int | None]:
        if "html" not in self.md.inlinePatterns:
            return None, None, None  # no match: the tags stay text
        return self.md.htmlStash.store(m.group(0)), m.start(0), m.end(0)


class SmartQuotesExtension(Extension):
    """Drop-in for ``smarty`` with its default settings (quotes, dashes, ellipses)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(SmartQuotesTreeprocessor(md), "smarty", 6)
        # Above the html pattern (90), below code spans (190): `<script>` in code is code.
        md.inlinePatterns.register(RawScriptInline(_RAW_SCRIPT, md), "raw_script", 95)
        md.ESCAPED_CHARS.extend(['"', "'"])
