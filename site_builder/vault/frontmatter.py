"""Front matter: split a note's ``---`` block off its body, parse it as YAML, and check its
values (which keys a note may have, what ``date``, ``tags`` and ``draft`` may be, where a YAML
error really is, no YAML aliases).  Split from ``content`` (which reads the notes and makes
them values) because each step is a small pure function of the front matter text or of the
parsed mapping and its lines, with its own one-line errors, tested on its own
(``tests/test_frontmatter.py``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any

import yaml

from site_builder.core.errors import ContentError
from site_builder.vault.tags import clean_tag

# Front matter keys this builder reads.  Any other property is the writer's own data (an
# Obsidian vault holds many: ``categories``, ``rating``...) and is accepted silently; only a
# key close to one of these is a warning, as the likely typo it is (``titel``).
FRONT_MATTER_KEYS = ("title", "date", "updated", "tags", "draft", "slug", "summary", "order",
                     "weight")
# Obsidian's own properties, read too; the singular forms are what Obsidian wrote before 1.4.
OBSIDIAN_KEYS = ("aliases", "alias", "cssclasses", "cssclass", "publish", "permalink",
                 "description", "created", "tag")
_TYPO_CUTOFF = 0.8


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that keeps dates as text, so we parse them ourselves and can say
    exactly which value is wrong instead of surfacing PyYAML's ValueError."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _Loader.yaml_implicit_resolvers.items()
}


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
    """A warning per key that is almost one of ours (``titel``, ``darft``, ``Title``): such
    a typo would otherwise silently publish a note without its title or as a draft.  Every
    other property is the writer's own and is accepted as it is."""
    warnings = []
    known = (*FRONT_MATTER_KEYS, *OBSIDIAN_KEYS)
    for key in data:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key).lower(), FRONT_MATTER_KEYS, n=1,
                                          cutoff=_TYPO_CUTOFF)
        if not close:
            continue
        line = key_line(fm_lines, str(key))
        where = f"{shown}:{line}" if line else shown
        warnings.append(f"{where}: unknown front matter key '{key}' "
                        f"(did you mean '{close[0]}'?)")
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


def split_front_matter(text: str, shown: str) -> tuple[dict[str, Any], str, int, list[str]]:
    """Return (front matter, body, line number of the body's first line, front matter lines).
    Only the front matter is split into lines: the body is sliced off whole."""
    first = text.partition("\n")[0]
    if first.rstrip() != "---":
        return {}, text, 1, []
    fm_lines: list[str] = []
    start = len(first) + 1
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.rstrip() in ("---", "..."):
            body = "" if end < 0 else text[end + 1 :]
            break
        if end < 0:
            raise ContentError("front matter opened with '---' on line 1 is never closed",
                               shown, 1)
        fm_lines.append(line)
        start = end + 1
    yaml_text = "\n".join(fm_lines)
    try:
        if "*" in yaml_text:
            refuse_aliases(yaml_text, shown)
        data = yaml.load(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(f"malformed YAML front matter: {problem}", shown,
                           yaml_line(exc, len(fm_lines))) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError("front matter must be a YAML mapping (key: value lines)", shown, 2)
    return data, body, len(fm_lines) + 3, fm_lines


def parse_date(value: Any, key: str, shown: str, fm_lines: list[str]) -> dt.date | None:
    """``date``/``updated`` as a date: ``_Loader`` leaves dates as text, so a value that is
    not ISO 8601 is an error naming its key's line, not PyYAML's ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise ContentError(
            f"{key} '{text}' does not parse (use YYYY-MM-DD)", shown, key_line(fm_lines, key)
        ) from None


def parse_tags(value: Any, shown: str, fm_lines: list[str]) -> tuple[str, ...]:
    """``tags`` as a list or a comma-separated text: each trimmed (and a leading ``#``
    dropped, as Obsidian reads ``"#tag"``), empty ones dropped, the same tag given twice kept
    once, in first-seen order."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [t for t in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(t, (str, int, float)) for t in value):
        raise ContentError("tags must be a list of words", shown, key_line(fm_lines, "tags"))
    seen: dict[str, None] = {}
    for tag in value:
        text = clean_tag(str(tag))
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def parse_weight(data: Mapping[str, Any], shown: str, fm_lines: list[str]) -> float | None:
    """``order`` (or Hugo's ``weight``): a number placing the note (or, in ``_index.md``, its
    folder) in the explorer and in lists before those without one; lower comes first."""
    for key in ("order", "weight"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ContentError(f"{key} must be a number, not {value!r}", shown,
                               key_line(fm_lines, key))
        return float(value)
    return None
