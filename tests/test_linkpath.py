"""Which file a link names, in Obsidian's order (``getFirstLinkpathDest``), and the vault
settings that change it (issue 25)."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.vault.anchors import find_anchor, heading_slug, note_anchors
from site_builder.vault.linkpath import first_linkpath_dest, link_key, name_table
from site_builder.vault.vaultconfig import VaultConfig, read_vault_config


def dest(files: list[str], link: str, source: str) -> str | None:
    return first_linkpath_dest(link, source, {link_key(f): f for f in files}, name_table(files))


VAULT = ["Note.md", "a/Note.md", "a/b/Note.md", "c/Note.md", "c/d/Other.md", "img.png",
         "a/img.png", "Folder/Deep/Page.md", "x/Folder/Deep/Page.md"]


@pytest.mark.parametrize("link, source, expected", [
    ("Note", "c/d/Other.md", "Note.md"),  # the exact vault path first
    ("a/b/Note", "Note.md", "a/b/Note.md"),
    ("note.MD", "x.md", "Note.md"),  # case and .md do not matter
    ("b/Note", "c/Other.md", "a/b/Note.md"),  # a partial path: any path ending with it
    ("Deep/Page", "z.md", "Folder/Deep/Page.md"),  # ... the shortest of them
    ("eep/Page", "z.md", None),  # whole folder names only
    ("img.png", "a/b/Note.md", "img.png"),
    ("./Note", "a/b/x.md", "a/b/Note.md"),  # relative, when written so
    ("../Note", "a/b/x.md", "a/Note.md"),
    ("../../../Note", "a/x.md", None),
    ("Other", "Note.md", "c/d/Other.md"),
    ("Nope", "Note.md", None),
])
def test_obsidian_order(link: str, source: str, expected: str | None) -> None:
    assert dest(VAULT, link, source) == expected


def test_the_linking_notes_own_folder_wins_but_not_its_parents() -> None:
    files = ["x/Setup.md", "docs/Setup.md", "docs/guide/Setup.md", "docs/guide/deep/Page.md"]
    assert dest(files, "Setup", "docs/guide/Page.md") == "docs/guide/Setup.md"
    assert dest(files, "Setup", "docs/guide/deep/Page.md") == "x/Setup.md"  # shortest


names = st.text(alphabet="abAB", min_size=1, max_size=3)
paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: "/".join(parts) + ".md")


@settings(max_examples=300, deadline=None)
@given(st.lists(paths, min_size=1, max_size=12, unique_by=str.lower), paths, names)
def test_resolution_follows_the_documented_order(files: list[str], source: str,
                                                 name: str) -> None:
    found = dest(files, name, source)
    named = [f for f in files if link_key(posixpath.basename(f)) == name.lower()]
    if not named:
        assert found is None
        return
    assert found in named
    exact = [f for f in named if link_key(f) == name.lower()]
    here = [f for f in named if posixpath.dirname(f) == posixpath.dirname(source)]
    if exact:
        assert found == exact[0]
    elif here:
        assert found == here[0]
    else:
        assert len(found) == min(len(f) for f in named)


def test_vault_settings_are_read_from_obsidian(tmp_path: Path) -> None:
    assert read_vault_config(tmp_path) == VaultConfig()
    (tmp_path / ".obsidian").mkdir()
    (tmp_path / ".obsidian" / "app.json").write_text(json.dumps(
        {"attachmentFolderPath": "./files", "strictLineBreaks": True}))
    (tmp_path / ".obsidian" / "templates.json").write_text('{"folder": "/Meta/Templates/"}')
    config = read_vault_config(tmp_path)
    assert (config.templates, config.strict_line_breaks) == ("Meta/Templates", True)
    assert config.is_template("Meta/Templates/Day.md")
    assert not config.is_template("Meta/TemplatesOld/Day.md")
    assert config.attachment_folder("a/b/note.md") == "a/b/files"
    assert config.attachment_folder("note.md") == "files"
    assert VaultConfig(attachments="Attachments").attachment_folder("a/n.md") == "Attachments"
    (tmp_path / ".obsidian" / "app.json").write_text("{}")  # Obsidian's default: breaks
    assert read_vault_config(tmp_path).strict_line_breaks is False


def test_predicted_anchors_are_the_ids_headings_get() -> None:
    body = ("## Intro\n\nText ^fact-1\n\n```\n## not a heading\n```\n\n## Intro\n\n"
            "### Use `code` and [[Other|links]]\n\nSetext\n------\n\n[^1]: note\n")
    assert note_anchors(body) == ("intro", "^fact-1", "intro_1", "use-code-and-links",
                                  "setext", "fn:1")
    anchors = note_anchors(body)
    assert find_anchor(anchors, "Intro#Use `code` and [[Other|links]]") == "use-code-and-links"
    assert find_anchor(anchors, "^fact-1") == "^fact-1"
    assert find_anchor(anchors, "Missing") is None
    assert heading_slug("Port Mapping & NAT") == "port-mapping-nat"
