"""``$...$`` and ``$$...$$`` to MathML at build time (latex2mathml): math shows with
JavaScript off and costs the reader nothing.

Obsidian's rules keep prices out of it: an opening ``$`` is not followed by a space, a
closing ``$`` is not preceded by one nor followed by a digit, so ``$5 and $6`` stays text.
A formula latex2mathml cannot read is a ``ContentError`` naming the file and line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from site_builder.core.errors import ContentError
from site_builder.vault.content import Note

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_INLINE = r"(?<![\\$])\$(?=[^\s$])((?:[^$\\\n]|\\.)+?)(?<=[^\s\\])\$(?![\d$])"
_DISPLAY_INLINE = r"(?<!\\)\$\$(.+?)\$\$"
_BRACES = re.compile(r"\\.|[{}]")
_UNKNOWN = re.compile(r"<m[io][^>]*>(\\[A-Za-z]+)</m[io]>")


@dataclass
class MathState:
    note: Note | None = None


def to_mathml(latex: str, display: bool, state: MathState, raw: str) -> str:
    """MathML for one formula, or a ContentError at the formula's line."""
    from latex2mathml import exceptions
    from latex2mathml.converter import convert

    known = tuple(v for v in vars(exceptions).values()
                  if isinstance(v, type) and issubclass(v, Exception))
    try:
        out = convert(latex.strip(), display="block" if display else "inline")
        reason = _problem(latex, out)
    # Its own errors, and what its parser trips on for input it does not expect.
    except (*known, IndexError, KeyError, ValueError, TypeError, AttributeError) as exc:
        reason = str(exc).strip() or _words(type(exc).__name__)
    if reason:
        note = state.note
        where = note.body.find(raw) if note else -1
        line = note.body_line + note.body.count("\n", 0, where) if note and where >= 0 else None
        raise ContentError(f"cannot read formula '{latex.strip()}': {reason}",
                           note.display_path if note else None, line) from None
    return out


def _problem(latex: str, mathml: str) -> str | None:
    """What latex2mathml let through but a reader would see broken: unbalanced braces and
    commands it does not know (it prints those as text)."""
    depth = 0
    for token in _BRACES.findall(latex):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return "a '}' closes nothing"
    if depth:
        return "a '{' is never closed"
    unknown = _UNKNOWN.search(mathml)
    return f"unknown command '{unknown.group(1)}'" if unknown else None


def _words(name: str) -> str:
    """``MissingSuperScriptOrSubscriptError`` -> ``missing super script or subscript``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Error")).lower()


class DisplayMathPreprocessor(Preprocessor):
    """``$$`` blocks over several lines (outside fenced code) become one stashed MathML
    block; the lines they took are kept blank, so later line numbers stay the file's."""

    def __init__(self, md: Markdown, state: MathState):
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        if not any("$$" in line for line in lines):
            return lines
        out: list[str] = []
        fence: str | None = None
        block: list[str] | None = None
        for line in lines:
            text = line.strip()
            if block is not None:
                block.append(line)
                if text.endswith("$$"):
                    out.extend(self._block(block))
                    block = None
                continue
            match = _FENCE.match(line)
            if match:
                marker = match.group(1)[0] * 3
                fence = None if fence and marker == fence else (fence or marker)
            if fence or match or not text.startswith("$$"):
                out.append(line)
            elif len(text) > 4 and text.endswith("$$"):
                out.extend(self._block([line]))
            else:
                block = [line]
        return out + (block or [])  # an unclosed $$ stays text

    def _block(self, block: list[str]) -> list[str]:
        """The MathML as its own block (blank lines around it; line numbers no longer matter
        here: the preprocessors that report lines ran before this one)."""
        raw = "\n".join(block)
        latex = raw.strip()[2:-2]
        html = '<div class="math">' + to_mathml(latex, True, self.state, raw) + "</div>"
        return ["", self.md.htmlStash.store(html), ""]


class InlineMathProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: Markdown, state: MathState, display: bool):
        super().__init__(pattern, md)
        self.state, self.display = state, display

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element | str | None,
                                                                int | None, int | None]:
        before = data[:m.start(0)]
        link = before.rfind("](")
        if (link >= 0 and ")" not in before[link:]) or before.rfind("<") > before.rfind(">"):
            return None, None, None  # inside a link's address or an HTML tag: not math
        html = to_mathml(m.group(1), self.display, self.state, m.group(0))
        return self.md.htmlStash.store(html), m.start(0), m.end(0)


class MathExtension(Extension):
    def __init__(self, **kwargs):
        self.state = MathState()
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Before fenced code (25) sees the lines; after comments (29) are dropped.
        md.preprocessors.register(DisplayMathPreprocessor(md, self.state), "display_math", 26)
        # After code spans (190), before backslash escapes (180): LaTeX keeps its backslashes.
        md.inlinePatterns.register(
            InlineMathProcessor(_DISPLAY_INLINE, md, self.state, True), "math_display", 186)
        md.inlinePatterns.register(
            InlineMathProcessor(_INLINE, md, self.state, False), "math_inline", 185)
