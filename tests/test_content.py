import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.content import (
    _FENCE,
    _H1,
    decode,
    first_heading,
    load_content,
    split_front_matter,
)
from site_builder.errors import ContentError


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


def test_malformed_yaml_names_file_and_file_line(tmp_path: Path) -> None:
    message = error(tmp_path, {"bad.md": "---\ntitle: ok\ntags: [a, b\ndate: 2024-01-01\n---\nx"})
    # The list left open on line 3 is only noticed on line 4: the error names line 3.
    assert message == ("content/bad.md:3: malformed YAML front matter: did not find expected "
                       "',' or ']'")


def test_yaml_error_line_offset_by_front_matter_start(tmp_path: Path) -> None:
    message = error(tmp_path, {"bad.md": "---\na: 1\nb: 2\nc: : :\n---\n"})
    assert message.startswith("content/bad.md:4: malformed YAML front matter: ")


def test_unclosed_front_matter(tmp_path: Path) -> None:
    assert error(tmp_path, {"x.md": "---\ntitle: x\n"}) == (
        "content/x.md:1: front matter opened with '---' on line 1 is never closed")


def test_front_matter_must_be_mapping(tmp_path: Path) -> None:
    assert error(tmp_path, {"x.md": "---\n- a\n---\n"}) == (
        "content/x.md:2: front matter must be a YAML mapping (key: value lines)")


def test_invalid_utf8_names_line(tmp_path: Path) -> None:
    assert error(tmp_path, {"x.md": b"ok\nstill ok\nbad \xff here\n"}) == (
        "content/x.md:3: not valid UTF-8 (byte 0xff)")


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45", "01/02/2024"])
def test_unparseable_date_names_its_line(tmp_path: Path, value: str) -> None:
    message = error(tmp_path, {"x.md": f"---\ntitle: t\ndate: {value}\n---\n"})
    assert message == f"content/x.md:3: date '{value}' does not parse (use YYYY-MM-DD)"


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


def test_tags_must_be_a_list(tmp_path: Path) -> None:
    assert error(tmp_path, {"x.md": "---\ntags: {a: 1}\n---\n"}) == (
        "content/x.md:2: tags must be a list of words")


@pytest.mark.parametrize("text, expected", [
    ("---\ntitle: \"Open\ndate: 2024-01-01\n---\nx", ("content/bad.md:2: malformed YAML front "
     "matter: found unexpected end of stream")),
    ("---\ntitle: ok\ndate: [2024\n---\nx", ("content/bad.md:3: malformed YAML front matter: "
     "did not find expected ',' or ']'")),
    ("---\ntitle: ok\nnot a key\ndate: 2024-01-01\n---\nx", ("content/bad.md:3: malformed YAML "
     "front matter: could not find expected ':'")),
    ("---\ntitle: ok\n- x\n---\nx", ("content/bad.md:3: malformed YAML front matter: did not "
     "find expected key")),
])
def test_yaml_errors_name_the_line_of_the_mistake(tmp_path: Path, text: str,
                                                  expected: str) -> None:
    assert error(tmp_path, {"bad.md": text}) == expected


def test_unknown_front_matter_keys_are_warnings_with_a_did_you_mean(tmp_path: Path) -> None:
    c = load(tmp_path, {"a.md": "---\ntitle: A\ntag: [x]\ndarft: true\nlayout: wide\n---\nx",
                        "b.md": "---\nTitle: B\n---\nx"})
    assert c.warnings == (
        "content/a.md:3: unknown front matter key 'tag' (did you mean 'tags'?)",
        "content/a.md:4: unknown front matter key 'darft' (did you mean 'draft'?)",
        ("content/a.md:5: unknown front matter key 'layout' (known keys: title, date, updated, "
        "tags, draft, slug, summary)"),
        "content/b.md:2: unknown front matter key 'Title' (did you mean 'title'?)",
    )
    assert {n.source: n.tags for n in c.notes} == {"a.md": (), "b.md": ()}


@pytest.mark.parametrize("value, shown", [
    ('"yes"', "the text 'yes'"), ("'true'", "the text 'true'"), ("1", "the value 1"),
    ("0", "the value 0"), ("[true]", "the value [True]"),
])
def test_draft_that_is_not_a_boolean_is_an_error(tmp_path: Path, value: str, shown: str) -> None:
    assert error(tmp_path, {"x.md": f"---\ntitle: t\ndraft: {value}\n---\n"}) == (
        f"content/x.md:3: draft must be true or false, not {shown} (write draft: true, "
        "without quotes)")


@pytest.mark.parametrize("value, draft", [("true", True), ("false", False), ("yes", True),
                                          ("no", False), ("True", True), ("", False)])
def test_draft_accepts_yaml_booleans(tmp_path: Path, value: str, draft: bool) -> None:
    """PyYAML reads YAML 1.1, where yes/no are booleans too (``draft: yes`` is a draft)."""
    c = load(tmp_path, {"x.md": f"---\ndraft: {value}\n---\n"}, drafts=True)
    assert c.notes[0].draft is draft


def test_yaml_alias_bomb_is_a_one_line_error(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = "---\ntitle: boom\n" + "\n".join(lines) + "\ntags: *a9\n---\nx"
    assert error(tmp_path, {"x.md": bomb}) == (
        "content/x.md:4: YAML aliases (*a0) are not allowed in front matter")


def test_anchors_alone_and_stars_in_text_are_fine(tmp_path: Path) -> None:
    c = load(tmp_path, {"x.md": "---\ntitle: '*not* an alias'\ntags: &t [a]\n---\nx"})
    assert (c.notes[0].title, c.notes[0].tags) == ("*not* an alias", ("a",))


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


def _split_by_lines(text: str) -> tuple:
    """The front matter rule stated plainly: line 1 is ``---``, the block ends at the first
    later line that is ``---`` or ``...`` (trailing whitespace ignored)."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return [], text, 1
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            return lines[1:end], "\n".join(lines[end + 1:]), end + 2
    return None


_LINES = st.sampled_from(["---", "--- ", "...", "...\t", " ---", "--", "a: 1", "b: two", "",
                          " ", "text", "\x0b", "c: [x, y]", "\u2028"])


@settings(max_examples=2000 if os.environ.get("NOTES_DEEP_TESTS") else 300, deadline=None)
@given(st.lists(_LINES, max_size=9), st.booleans(), st.booleans())
def test_front_matter_split_follows_the_line_rule(lines: list[str], trailing: bool,
                                                 crlf: bool) -> None:
    text = "\n".join(lines) + ("\n" if trailing else "")
    text = decode(("\r\n" if crlf else "\n").join(text.split("\n")).encode("utf-8"), "x.md")
    want = _split_by_lines(text)
    try:
        _, body, body_line, fm_lines = split_front_matter(text, "x.md")
    except ContentError as exc:
        if want is None:
            assert str(exc) == "x.md:1: front matter opened with '---' on line 1 is never closed"
        else:  # closed, but not a YAML mapping
            assert "YAML" in str(exc)
        return
    assert want is not None and (fm_lines, body, body_line) == want


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
