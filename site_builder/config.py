"""Site settings from an optional ``notes.toml`` at the project root.

Everything works without the file: a new user can build ``content/`` before deciding on a title
or a base URL.  The ``[deploy]`` table is kept as a plain dict because its keys are flag defaults
for the deploy commands, which this module should not need to know about.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.errors import ContentError

SETTINGS_FILE = "notes.toml"
_STRING_KEYS = ("title", "description", "author", "base_url")


@dataclass(frozen=True)
class Settings:
    """The site-wide values templates, feeds and deploy defaults read."""

    title: str = "Notes"
    description: str = ""
    author: str | None = None
    base_url: str | None = None
    deploy: dict[str, Any] = field(default_factory=dict)


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
        raise ContentError("not valid UTF-8", path) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = _line_of(text, message)
        message = message.split(" (at line ", 1)[0]
        raise ContentError(f"malformed TOML: {message}", path, line) from None
    values: dict[str, Any] = {}
    for key in _STRING_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ContentError(f"'{key}' must be a string", path)
        values[key] = value.strip()
    if values.get("base_url"):
        values["base_url"] = values["base_url"].rstrip("/")
    else:
        values.pop("base_url", None)
    deploy = data.get("deploy", {})
    if not isinstance(deploy, dict):
        raise ContentError("[deploy] must be a table", path)
    if not values.get("title"):
        values.pop("title", None)
    return Settings(**values, deploy=dict(deploy))
