"""Site settings from an optional ``notes.toml`` at the project root.

Everything works without the file: a new user can build ``content/`` before deciding on a title
or a base URL.  The ``[deploy]`` table is kept as a plain dict because its keys are flag defaults
for the deploy commands, which this module should not need to know about.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.core.errors import ContentError

SETTINGS_FILE = "notes.toml"
# How messages name the file: relative to the project, like "content/a.md" (the project is the
# folder `notes` runs in), and the same whichever folder a build runs from.
SHOWN = Path(SETTINGS_FILE)
_STRING_KEYS = ("title", "description", "author", "base_url", "site_id", "content")
# Letters, digits, ".", "_", "-": what ``notes init`` makes (``deploy.siteid``), kept in records.
_SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Every key notes.toml may hold, per table ("" is the top level); others are warnings.
KNOWN_KEYS = {
    "": (*_STRING_KEYS, "deploy", "markdown", "links"),
    "deploy": ("bucket", "stack", "region", "endpoint_url", "site", "distribution"),
    "markdown": ("raw_html", "properties"),
    "links": ("unresolved",),
}
RAW_HTML_MODES = ("keep", "escape")
# [links] unresolved: a link to a note not written yet stops the build, or is a warning (and
# shown as plain text styled as unresolved), as Obsidian shows it.
UNRESOLVED_MODES = ("error", "warn")
DEFAULT_CONTENT = "content"


@dataclass(frozen=True)
class Settings:
    """The site-wide values templates, feeds and deploy defaults read."""

    title: str = "Notes"
    description: str = ""
    author: str | None = None
    base_url: str | None = None
    # Which project's site a bucket holds: a deploy will not replace another's (deploy.siteid).
    site_id: str | None = field(default=None, compare=False, repr=False)  # not on any page
    deploy: dict[str, Any] = field(default_factory=dict)
    raw_html: str = "keep"  # [markdown] raw_html: "keep" passes HTML in notes through
    properties: bool = True  # [markdown] properties: a note's properties shown above its text
    content: str | None = None  # the folder of notes as written (None: content/)
    unresolved: str = "error"  # [links] unresolved
    # One line each, "notes.toml:N: ..."; not part of what pages show (nor of their keys).
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False)


def _line_of(text: str, message: str) -> int | None:
    """tomllib puts '(at line N, column M)' in its messages; pull N out for our own format."""
    marker = "(at line "
    if marker not in message:
        return None
    try:
        return int(message.split(marker, 1)[1].split(",", 1)[0])
    except ValueError:
        return None


def load_settings(project_dir: Path) -> Settings:
    """Read ``notes.toml`` if it exists; a bad file is a one-line ContentError naming it."""
    path = Path(project_dir) / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        text = path.read_text("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ContentError("not valid UTF-8", SHOWN) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = _line_of(text, message)
        message = message.split(" (at line ", 1)[0]
        raise ContentError(f"malformed TOML: {message}", SHOWN, line) from None
    lines = text.split("\n")
    values: dict[str, Any] = {}
    for key in _STRING_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ContentError(f"'{key}' must be a string", SHOWN, _key_line(lines, "", key))
        values[key] = value.strip()
    if "site_id" in values and not _SITE_ID.match(values["site_id"]):
        raise ContentError("site_id must be letters, digits, '.', '_' and '-' (at most 64), "
                           f"not {values['site_id']!r}", SHOWN, _key_line(lines, "", "site_id"))
    if values.get("base_url"):
        values["base_url"] = _base_url(values["base_url"], SHOWN, _key_line(lines, "", "base_url"))
    else:
        values.pop("base_url", None)
    tables = {}
    for name in ("deploy", "markdown", "links"):
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ContentError(f"[{name}] must be a table", SHOWN, _key_line(lines, "", name))
        tables[name] = table
    raw_html = tables["markdown"].get("raw_html", "keep")
    if raw_html not in RAW_HTML_MODES:
        raise ContentError(f"[markdown] raw_html must be \"keep\" or \"escape\", not {raw_html!r}",
                           SHOWN, _key_line(lines, "markdown", "raw_html"))
    properties = tables["markdown"].get("properties", True)
    if not isinstance(properties, bool):
        raise ContentError(f"[markdown] properties must be true or false, not {properties!r}",
                           SHOWN, _key_line(lines, "markdown", "properties"))
    unresolved = tables["links"].get("unresolved", "error")
    if unresolved not in UNRESOLVED_MODES:
        raise ContentError(f"[links] unresolved must be \"error\" or \"warn\", not "
                           f"{unresolved!r}", SHOWN, _key_line(lines, "links", "unresolved"))
    if not values.get("title"):
        values.pop("title", None)
    if not values.get("content"):
        values.pop("content", None)
    return Settings(**values, deploy=dict(tables["deploy"]), raw_html=raw_html,
                    properties=properties, unresolved=unresolved, warnings=_unknown_keys(data, lines, SHOWN))


def content_folder(project_dir: Path) -> Path:
    """The folder of notes: notes.toml's ``content`` (absolute, ``~/...``, or relative to the
    project: an Obsidian vault is used where it is, nothing copied), else ``content/``."""
    written = load_settings(project_dir).content
    if not written:
        return Path(project_dir) / DEFAULT_CONTENT
    return Path(project_dir) / Path(written).expanduser()


def _base_url(value: str, path: Path, line: int | None) -> str:
    """Feeds and the sitemap put ``base_url`` in front of every path: without a scheme the
    result is a relative URL that readers and crawlers resolve against the wrong place."""
    if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE) or any(c.isspace() for c in value):
        raise ContentError(f"base_url must start with http:// or https:// and a host, not "
                           f"'{value}' (e.g. base_url = \"https://notes.example.com\")", path, line)
    return value.rstrip("/")


def _key_line(lines: list[str], table: str, key: str) -> int | None:
    """The line of ``key = ...`` in ``[table]`` ("" for the top level), or of ``[key]``."""
    current = ""
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).strip('"')
            if table == "" and current == key:
                return number
            continue
        if current == table and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return None


def _unknown_keys(data: dict[str, Any], lines: list[str], path: Path) -> tuple[str, ...]:
    """A warning with a did-you-mean for each key notes.toml does not use (``titel``)."""
    warnings = []
    for table, known in KNOWN_KEYS.items():
        values = data if table == "" else data.get(table, {})
        for key in values:
            if key in known:
                continue
            close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)
            line = _key_line(lines, table, key)
            where = f"{path}:{line}" if line else str(path)
            name = f"[{table}] {key}" if table else key
            warnings.append(f"{where}: unknown key '{name}' ({hint})")
    return tuple(warnings)
