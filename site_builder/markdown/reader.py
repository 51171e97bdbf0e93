"""What readers of every kind need from a note's final HTML (markup, not Obsidian syntax).

Task-list checkboxes named for screen readers, wide code blocks and tables reachable by
keyboard, heading permalinks kept out of the search index, and Pygments' unstyled whitespace
tokens dropped.
"""

from __future__ import annotations

import re

from markdown.postprocessors import Postprocessor

_TASK_BOX = re.compile(r'(<li class="task-list-item"><input type="checkbox" disabled)( checked)?/>')


_WHITESPACE_TOKEN = re.compile(r'<span class="w">(\s*)</span>')


class ReaderPostprocessor(Postprocessor):
    """What readers of every kind need from the final HTML: task-list checkboxes named
    (pymdownx leaves them unlabelled: axe's critical "label"), wide code blocks and tables
    reachable by keyboard to scroll, heading permalinks ("#") kept out of the search index,
    and no bytes spent on Pygments' whitespace tokens."""

    def run(self, text: str) -> str:
        if "<" not in text:  # every rewrite below is of a tag (the TOC runs this per heading)
            return text
        text = _TASK_BOX.sub(lambda m: f'{m.group(1)} aria-label="'
                             f'{"done" if m.group(2) else "to do"}"{m.group(2) or ""}/>', text)
        text = _WHITESPACE_TOKEN.sub(r"\1", text)  # unstyled, and a tenth of a code page
        return text.replace('<div class="highlight">', '<div class="highlight" tabindex="0">') \
            .replace("<table>", '<table tabindex="0">') \
            .replace('<a class="headerlink"', '<a class="headerlink" data-pagefind-ignore')
