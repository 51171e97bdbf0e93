"""Front matter checks: which keys a note may have, what ``draft`` may be, where a YAML error
really is, and no YAML aliases.  Split from ``content`` (which reads the notes) because each
check is a small pure function of the parsed front matter and its lines, tested on its own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

import yaml

from site_builder.errors import ContentError

# Front matter keys a note may have; any other key is a warning with a did-you-mean.
FRONT_MATTER_KEYS = ("title", "date", "updated", "tags", "draft", "slug", "summary")


def key_line(fm_lines: list[str], key: str) -> int | None:
    """The file line of ``key:`` in the front matter, for errors about its value."""
    for i, line in enumerate(fm_lines):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return i + 2
    return None


def refuse_aliases(yaml_text: str, shown: str) -> None:
    """An alias (``*name``) may repeat a big anchored value: nested ones are the "billion
    laughs" that exhaust memory once anything walks the result.  Front matter never needs
    them, so the first one is an error (found by parsing events, before anything is built)."""
    for event in yaml.parse(yaml_text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.AliasEvent):
            raise ContentError(f"YAML aliases (*{event.anchor}) are not allowed in front matter",
                               shown, event.start_mark.line + 2)


def yaml_line(exc: yaml.YAMLError, count: int) -> int:
    """The file line to blame.  PyYAML marks where it *noticed* the problem; for an unclosed
    bracket or quote, or a key missing its colon, that is the line after the mistake (or the
    end of input), while its context mark points at the opening.  YAML starts on line 2."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    opened = str(getattr(exc, "context", None) or "")
    mark = problem or context
    if context is not None and ("flow" in opened or "scanning" in opened):
        mark = context
    if mark is None:
        return 1
    return min(mark.line, max(count - 1, 0)) + 2


def check_keys(data: Mapping[str, Any], shown: str, fm_lines: list[str]) -> tuple[str, ...]:
    """A warning (with a did-you-mean) per unknown front matter key: ``tag:`` is a typo that
    would otherwise silently publish a note without its tags."""
    warnings = []
    for key in data:
        if key in FRONT_MATTER_KEYS:
            continue
        close = difflib.get_close_matches(str(key).lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else \
            "known keys: " + ", ".join(FRONT_MATTER_KEYS)
        line = key_line(fm_lines, str(key))
        where = f"{shown}:{line}" if line else shown
        warnings.append(f"{where}: unknown front matter key '{key}' ({hint})")
    return tuple(warnings)


def draft_value(value: Any, shown: str, fm_lines: list[str]) -> bool:
    """``draft`` must be a YAML boolean (true/false; YAML 1.1 also reads yes/no/on/off so):
    a quoted "yes" or a 1 would otherwise publish a note meant to stay private, or hide one."""
    if value is None or isinstance(value, bool):
        return bool(value)
    kind = "the text" if isinstance(value, str) else "the value"
    shown_value = f"'{value}'" if isinstance(value, str) else repr(value)
    raise ContentError(f"draft must be true or false, not {kind} {shown_value} "
                       "(write draft: true, without quotes)", shown, key_line(fm_lines, "draft"))
