import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.core.errors import ContentError
from site_builder.vault.content import _FENCE, _H1, first_heading
from site_builder.vault.load import load_content


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return root / "content"


def load(tmp_path: Path, files: dict[str, str | bytes], drafts: bool = False):
    return load_content(tree(tmp_path, files), tmp_path, drafts=drafts)


def error(tmp_path: Path, files: dict[str, str | bytes]) -> str:
    with pytest.raises(ContentError) as exc:
        load(tmp_path, files)
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_front_matter_fields_and_pretty_url(tmp_path: Path) -> None:
    c = load(tmp_path, {"containers/docker-networking.md": (
        "---\ntitle: Docker networking\ndate: 2024-03-01\nupdated: 2024-04-02T10:00:00\n"
        "tags: [docker, networking]\nsummary: Bridges.\n---\nBody text\n")})
    (note,) = c.notes
    assert note.url == "/containers/docker-networking/"
    assert note.output_path == "containers/docker-networking/index.html"
    assert note.title == "Docker networking"
    assert (note.date, note.updated) == (dt.date(2024, 3, 1), dt.date(2024, 4, 2))
    assert note.tags == ("docker", "networking")
    assert note.summary == "Bridges."
    assert note.section == "containers"
    assert note.body_line == 8 and note.body == "Body text\n"


def test_title_falls_back_to_heading_then_file_name(tmp_path: Path) -> None:
    c = load(tmp_path, {"a.md": "\n# From heading\n\ntext\n", "b-note.md": "just text\n"})
    by = {n.source: n for n in c.notes}
    assert by["a.md"].title == "From heading"
    assert "# From heading" not in by["a.md"].body  # the heading became the page title
    assert by["a.md"].body.count("\n") == 4  # line numbers kept
    assert by["b-note.md"].title == "b-note"


def test_drafts_left_out_unless_asked(tmp_path: Path) -> None:
    files = {"pub.md": "hi\n", "wip.md": "---\ndraft: true\n---\nsecret\n"}
    c = load(tmp_path, files)
    assert [n.source for n in c.notes] == ["pub.md"]
    assert [n.source for n in c.hidden_drafts] == ["wip.md"]
    c2 = load_content(tmp_path / "content", tmp_path, drafts=True)
    assert sorted(n.source for n in c2.notes) == ["pub.md", "wip.md"]


def test_slug_replaces_file_name(tmp_path: Path) -> None:
    c = load(tmp_path, {"k8s/long name.md": "---\nslug: pods\n---\nx\n", "my note.md": "x"})
    assert sorted(n.url for n in c.notes) == ["/k8s/pods/", "/my-note/"]


def test_assets_and_intros_are_separated_and_hidden_files_skipped(tmp_path: Path) -> None:
    c = load(tmp_path, {"docker/img/layers.svg": "<svg/>", "docker/_index.md": "# Docker\nIntro",
                        "docker/a.md": "x", ".git/config": "x", "docker/.DS_Store": "x"})
    assert [a.source for a in c.assets] == ["docker/img/layers.svg"]
    assert [(i.section, i.title, i.url) for i in c.intros] == [("docker", "Docker", "/docker/")]


def test_invalid_utf8_names_line(tmp_path: Path) -> None:
    assert error(tmp_path, {"x.md": b"ok\nstill ok\nbad \xff here\n"}) == (
        "content/x.md:3: not valid UTF-8 (byte 0xff)")


def test_same_url_names_both_files(tmp_path: Path) -> None:
    message = error(tmp_path, {"a/b.md": "x", "a/c.md": "---\nslug: b\n---\n"})
    assert message == "content/a/c.md: maps to the same URL /a/b/ as content/a/b.md"


@pytest.mark.parametrize("slug", ["../x", "/etc/x", "a/../../x", "..", "C:/x"])
def test_slug_escaping_output_is_rejected(tmp_path: Path, slug: str) -> None:
    message = error(tmp_path, {"n.md": f"---\ntitle: t\nslug: '{slug}'\n---\n"})
    assert message == f"content/n.md:3: slug '{slug}' would escape the output folder"


def test_reserved_private_prefix(tmp_path: Path) -> None:
    message = error(tmp_path, {"_notes/lock.md": "x"})
    assert message.startswith("content/_notes/lock.md: '_notes/' is reserved")


def test_symlinks_outside_content_are_errors_never_published(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.md").write_text("aws_secret_access_key = x\n")
    content = tree(tmp_path, {"pub.md": "hi\n"})
    cases = {"passwd.txt": "/etc/passwd", "key.md": str(secret / "key.md"),
             "folder": str(secret)}
    for name, target in cases.items():
        (content / name).symlink_to(target)
        with pytest.raises(ContentError) as exc:
            load_content(content, tmp_path)
        real = Path(target).resolve()
        assert str(exc.value) == (f"content/{name}: symlink to {real} points outside its "
                                  "folder: it is never published (copy the file in instead)")
        (content / name).unlink()


def test_symlinks_inside_content_are_followed(tmp_path: Path) -> None:
    content = tree(tmp_path, {"docs/a.md": "a\n", "img/pic.svg": "<svg/>"})
    (content / "b.md").symlink_to(content / "docs" / "a.md")
    (content / "pics").symlink_to("img")
    c = load_content(content, tmp_path)
    assert [n.source for n in c.notes] == ["b.md", "docs/a.md"]
    assert [a.source for a in c.assets] == ["img/pic.svg", "pics/pic.svg"]


@pytest.mark.parametrize("make, message", [
    (lambda c: (c / "docs" / "up").symlink_to(".."),
     "content/docs/up: symlink loop: it leads back to {content}, a folder that contains it"),
    (lambda c: (c / "docs" / "self").symlink_to("self"),
     "content/docs/self: symlink loop (Too many levels of symbolic links)"),
    (lambda c: ((c / "x").symlink_to("docs"), (c / "docs" / "y").symlink_to("../x")),
     "content/docs/y: symlink loop: it leads back to {content}/docs, a folder that contains it"),
    (lambda c: (c / "gone.md").symlink_to("nothing.md"),
     "content/gone.md: broken symlink to nothing.md (No such file or directory)"),
])
def test_symlink_loops_and_dangling_links_are_one_line_errors(tmp_path: Path, make,
                                                              message: str) -> None:
    content = tree(tmp_path, {"docs/a.md": "a\n"})
    make(content)
    with pytest.raises(ContentError) as exc:
        load_content(content, tmp_path)
    assert str(exc.value) == message.format(content=content.resolve())


def _heading_by_lines(body: str) -> tuple:
    """The title rule over a list of lines: the first ``# heading`` outside code fences,
    blanked when no text comes before it."""
    lines, fence, seen_text = body.split("\n"), None, False
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0] * 3
            fence, seen_text = None if fence and marker == fence else (fence or marker), True
        elif not fence and (heading := _H1.match(line)):
            if not seen_text:
                lines[i] = ""
                return heading.group(1).strip(), "\n".join(lines)
            return heading.group(1).strip(), body
        elif not fence and line.strip():
            seen_text = True
    return None, body


@settings(max_examples=2000 if os.environ.get("NOTES_DEEP_TESTS") else 300, deadline=None)
@given(st.lists(st.sampled_from(["# Title", "#  T  #", "#", "## Sub", "```", "~~~", "````",
                                 "   ```py", "    ```", "text", "", " ", "#x", "\x0b"]),
                max_size=9), st.booleans())
def test_first_heading_follows_the_line_rule(lines: list[str], trailing: bool) -> None:
    body = "\n".join(lines) + ("\n" if trailing else "")
    assert first_heading(body) == _heading_by_lines(body)
