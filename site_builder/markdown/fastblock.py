"""Python-Markdown's block parser and the passes around it, minus work that cannot change the HTML.

For every block (a paragraph, mostly) the parser asks each block processor in turn whether the
block is its kind, and eight of them answer with a regex *search* through the whole block for a
pattern that may start on any line (``(?:^|\\n)#`` for a heading, ``>`` for a quote, ``!!!``
for an admonition...).  Such a pattern has no fixed prefix, so the regex engine tries it at
every position: those searches were 13% of a serial cold build's CPU (py-spy, 1,000 notes),
nearly all of them on prose that holds none of the characters they look for.

``FastBlockExtension`` gives those processors (on this Markdown instance only) a regex that
first checks for the substrings a match needs (``#``, ``>``, ``!!!``...) and answers "no
match" at once without them, exactly what the search would have answered.  A processor is
changed only when it is the known class with the known pattern (another Python-Markdown or
pymdownx version just runs as before).  The parser also reads its processor list once per
call instead of once per block (the registry re-sorts and copies itself on each iteration).

Stock processors whose work can be skipped outright in common cases are swapped (same
instance, class changed to a subclass without state of its own) where they are the stock class:

* the whitespace normaliser skips its look-behind regex when no line ends in a space;
* the raw-HTML extractor (``HTMLParser`` over the whole note) is skipped for a note without
  ``<`` or ``&#``, where it returns its input (it stashes tags, completes ``&#32`` references);
* the table test answers "no" at once for a block without ``|``;
* the TOC looks for its ``[TOC]`` marker (joining the text under every element) only when some
  element's own text holds it;
* the prettifier asks a set which tags are block-level instead of searching a list;
* the unescape pass touches only text and attributes holding an escape placeholder, and the
  raw-HTML postprocessor returns text without a stash placeholder at once.

``tests/test_fastblock.py`` and ``tests/test_smartquotes.py`` compare with the stock pipeline.
"""

from __future__ import annotations

import re
import types
import xml.etree.ElementTree as etree
from typing import Any

import markdown
from markdown import util
from markdown.blockparser import BlockParser
from markdown.extensions import Extension
from markdown.extensions.tables import TableProcessor
from markdown.extensions.toc import TocTreeprocessor
from markdown.postprocessors import RawHtmlPostprocessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace
from markdown.treeprocessors import PrettifyTreeprocessor, UnescapeTreeprocessor

from site_builder.markdown.headings import ATX_HEADING

# (processor class, attribute holding its regex, the regex's pattern, substrings a match
# needs at least one of).  Every pattern below can only match where one of them occurs.
_KNOWN: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("AdmonitionProcessor", "RE",
     r'(?:^|\n)!!! ?([\w\-]+(?: +[\w\-]+)*)(?: +"(.*?)")? *(?:\n|$)', ("!!!",)),
    ("DetailsProcessor", "START",
     (r'(?:^|\n)\?{3}(\+)? ?(?:([\w\-]+(?: +[\w\-]+)*?)?(?: +"(.*?)")|([\w\-]+(?: +[\w\-]+)*?))'
      r' *(?:\n|$)'), ("???",)),
    ("HashHeaderProcessor", "RE",
     r'(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)', ("#",)),
    ("HashHeaderProcessor", "RE", ATX_HEADING, ("#",)),  # CommonMark's rule (headings.py)
    ("SetextHeaderProcessor", "RE", r'^.*?\n(?:=+|-+)[ ]*(\n|$)', ("\n=", "\n-")),
    ("HRProcessor", "SEARCH_RE",
     (r'^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))'
      r'(?P=atomicgroup)[ ]*$'), ("-", "_", "*")),
    ("BlockQuoteProcessor", "RE", r'(^|\n)[ ]{0,3}>[ ]?(.*)', (">",)),
    ("FootnoteBlockProcessor", "RE", r'^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$', ("[^",)),
    ("ReferenceProcessor", "RE",
     (r'^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?((["\'])(.*)\4[ ]*|'
      r'\((.*)\)[ ]*)?$'), ("]:",)),
)


class NeedsRegex:
    """A compiled regex whose ``search`` and ``match`` return None at once when the text holds
    none of ``needs`` (no match is possible there); everything else is the regex's own."""

    __slots__ = ("needs", "regex")

    def __init__(self, regex: re.Pattern[str], needs: tuple[str, ...]) -> None:
        self.regex, self.needs = regex, needs

    def _possible(self, text: str) -> bool:
        for needed in self.needs:  # a plain loop: any() with a generator costs more
            if needed in text:
                return True
        return False

    def search(self, text: str, *args: Any) -> re.Match[str] | None:
        return self.regex.search(text, *args) if self._possible(text) else None

    def match(self, text: str, *args: Any) -> re.Match[str] | None:
        return self.regex.match(text, *args) if self._possible(text) else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)


def filter_searches(parser: BlockParser) -> list[str]:
    """Give the known processors of ``parser`` their filtered regex; returns their names."""
    changed = []
    for processor in parser.blockprocessors:
        for cls, attr, pattern, needs in _KNOWN:
            regex = getattr(processor, attr, None)
            if type(processor).__name__ == cls and isinstance(regex, re.Pattern) \
                    and regex.pattern == pattern:
                setattr(processor, attr, NeedsRegex(regex, needs))  # this instance only
                changed.append(cls)
    return changed


def _parse_blocks(self: BlockParser, parent: etree.Element, blocks: list[str]) -> None:
    """``BlockParser.parseBlocks`` with the processor list read once per call."""
    processors = list(self.blockprocessors)
    while blocks:
        for processor in processors:
            if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                break  # run returns True or None when it took the block


_SPACES_BEFORE_NEWLINE = re.compile(r"(?<=\n) +\n")


class FastNormalizeWhitespace(NormalizeWhitespace):
    """``NormalizeWhitespace`` without its regex pass when no line ends in a space."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        source = source.replace(util.STX, "").replace(util.ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(self.md.tab_length)
        if " \n" in source:
            source = _SPACES_BEFORE_NEWLINE.sub("\n", source)
        return source.split("\n")


class FastHtmlBlockPreprocessor(HtmlBlockPreprocessor):
    """``HtmlBlockPreprocessor``, skipped for text without tags or numeric references."""

    def run(self, lines: list[str]) -> list[str]:
        for line in lines:
            if "<" in line or "&#" in line:
                return super().run(lines)
        return lines


class FastTableProcessor(TableProcessor):
    """``TableProcessor`` answering "not a table" at once for a block without ``|`` (its
    header row would split into one cell with no border: what the stock test decides, after
    splitting every line of the block)."""

    def test(self, parent: etree.Element, block: str) -> bool:
        return "|" in block and super().test(parent, block)


class FastTocTreeprocessor(TocTreeprocessor):
    """``TocTreeprocessor`` that looks for its marker only when some text holds it."""

    def replace_marker(self, root: etree.Element, elem: etree.Element) -> None:
        # The stock method replaces an element whose own text is the marker, stripped.
        for el in root.iter():
            if el.text and self.marker in el.text:
                super().replace_marker(root, elem)
                return


class FastUnescapeTreeprocessor(UnescapeTreeprocessor):
    """``UnescapeTreeprocessor`` that rewrites only text and attributes holding an escape
    placeholder (its regex needs the STX character; the stock one re-sets every attribute
    of every element)."""

    def run(self, root: etree.Element) -> None:
        stx, unescape = util.STX, self.unescape
        for elem in root.iter():
            text = elem.text
            if text and stx in text and elem.tag != "code":
                elem.text = unescape(text)
            tail = elem.tail
            if tail and stx in tail:
                elem.tail = unescape(tail)
            for key, value in elem.items():
                if value is not None and stx in value:
                    elem.set(key, unescape(value))


class FastRawHtmlPostprocessor(RawHtmlPostprocessor):
    """``RawHtmlPostprocessor`` returning text without a stash placeholder as it is (the TOC
    runs every postprocessor on every heading; the stock one compiles and runs its regex)."""

    def run(self, text: str) -> str:
        return super().run(text) if util.STX in text else text


class FastPrettifyTreeprocessor(PrettifyTreeprocessor):
    """``PrettifyTreeprocessor`` asking a set, not ``md.is_block_level`` (a search through the
    list of 60 block-level tags), three times per element.  The set is made from that list at
    the start of each run, so it answers exactly as the method would during the run."""

    _blocks: frozenset[str] | None = None

    def run(self, root: etree.Element) -> None:
        stock = getattr(self.md.is_block_level, "__func__", None) is markdown.Markdown.is_block_level
        self._blocks = frozenset(self.md.block_level_elements) if stock else None
        super().run(root)

    def _is_block(self, tag: Any) -> bool:
        assert self._blocks is not None
        return isinstance(tag, str) and tag.lower().rstrip("/") in self._blocks

    def _prettifyETree(self, elem: etree.Element) -> None:
        """The stock method, with ``_is_block`` for ``md.is_block_level`` (unless that has been
        replaced: then the stock method)."""
        if self._blocks is None:
            super()._prettifyETree(elem)
            return
        i = "\n"
        if self._is_block(elem.tag) and elem.tag not in ["code", "pre"]:
            if (not elem.text or not elem.text.strip()) \
                    and len(elem) and self._is_block(elem[0].tag):
                elem.text = i
            for e in elem:
                if self._is_block(e.tag):
                    self._prettifyETree(e)
        if not elem.tail or not elem.tail.strip():
            elem.tail = i


# stock class -> fast subclass (no state of its own): swapped only where the stock one is
_SWAPS = {NormalizeWhitespace: FastNormalizeWhitespace,
          HtmlBlockPreprocessor: FastHtmlBlockPreprocessor,
          TableProcessor: FastTableProcessor, TocTreeprocessor: FastTocTreeprocessor,
          UnescapeTreeprocessor: FastUnescapeTreeprocessor,
          RawHtmlPostprocessor: FastRawHtmlPostprocessor,
          PrettifyTreeprocessor: FastPrettifyTreeprocessor}


class FastBlockExtension(Extension):
    """Filters the block processors' searches; list it after every extension that adds
    block processors (their processors must exist when this runs)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        filter_searches(md.parser)
        md.parser.parseBlocks = types.MethodType(_parse_blocks, md.parser)  # type: ignore
        for processor in (*md.preprocessors, *md.parser.blockprocessors, *md.treeprocessors,
                          *md.postprocessors):
            fast = _SWAPS.get(type(processor))
            if fast is not None:
                processor.__class__ = fast  # same instance, name, priority and settings
