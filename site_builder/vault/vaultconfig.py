"""What an Obsidian vault's own settings (``.obsidian/*.json``) say about reading its notes.

The content folder may be a vault used in place, edited in Obsidian: the settings that change
what the writer sees are read from the vault itself, so nothing has to be repeated in
notes.toml.  A folder without ``.obsidian/`` is a plain notes folder: every default below is
this builder's historical behaviour there (no templates folder, strict line breaks).

Only four settings matter to a published page:

* ``templates.json`` ``folder``: the templates are never pages (they hold ``{{date}}``
  placeholders that are not even valid YAML), yet notes may still embed files kept there;
* ``app.json`` ``attachmentFolderPath``: a bare attachment name resolves there first;
* ``app.json`` ``strictLineBreaks`` (default off in Obsidian: one newline is a line break);
* ``app.json`` ``newLinkFormat``: kept for the record of what the writer's links mean.

A settings file that is not JSON is ignored with a warning, as Obsidian itself resets it.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OBSIDIAN_DIR = ".obsidian"


@dataclass(frozen=True)
class VaultConfig:
    """The settings of the vault the content folder is (all defaults when it is not one)."""

    is_vault: bool = False
    templates: str = ""  # content-relative folder of templates, "" for none
    attachments: str = ""  # attachmentFolderPath as written ("" = vault root, "./x" = beside)
    strict_line_breaks: bool = True  # False: a single newline is a <br>, as Obsidian shows it
    new_link_format: str = "shortest"
    warnings: tuple[str, ...] = ()

    def is_template(self, source: str) -> bool:
        """Is the content-relative ``source`` inside the templates folder?"""
        return bool(self.templates) and (source + "/").startswith(self.templates + "/")

    def attachment_folder(self, source: str) -> str:
        """Where a note at ``source`` keeps its attachments (content-relative, "" = root)."""
        folder = self.attachments.strip()
        if folder in ("", "/", "."):
            return ""
        if folder.startswith("./"):
            here = posixpath.dirname(source)
            joined = posixpath.normpath(posixpath.join(here, folder[2:]))
            return "" if joined == "." else joined
        return folder.strip("/")


def _read_json(path: Path, shown: str, warnings: list[str]) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        warnings.append(f"{shown}: ignored, not a JSON settings file ({exc})")
        return {}
    return data if isinstance(data, dict) else {}


def _folder(value: Any) -> str:
    """A folder setting as a content-relative posix path ("" when unset or not text)."""
    if not isinstance(value, str):
        return ""
    folder = posixpath.normpath(value.strip().replace("\\", "/")).strip("/")
    return "" if folder in (".", "..") or folder.startswith("../") else folder


def read_vault_config(content_dir: Path, shown: str = "") -> VaultConfig:
    """The vault settings of ``content_dir`` (``shown`` is how messages name the folder,
    e.g. "content/"); defaults when it has no ``.obsidian/`` folder."""
    folder = Path(content_dir) / OBSIDIAN_DIR
    if not folder.is_dir():
        return VaultConfig()
    warnings: list[str] = []
    app = _read_json(folder / "app.json", f"{shown}{OBSIDIAN_DIR}/app.json", warnings)
    templates = _read_json(folder / "templates.json", f"{shown}{OBSIDIAN_DIR}/templates.json",
                           warnings)
    attachments = app.get("attachmentFolderPath")
    return VaultConfig(
        is_vault=True,
        templates=_folder(templates.get("folder")),
        attachments=attachments.strip() if isinstance(attachments, str) else "",
        strict_line_breaks=app.get("strictLineBreaks") is True,
        new_link_format=str(app.get("newLinkFormat") or "shortest"),
        warnings=tuple(warnings),
    )
