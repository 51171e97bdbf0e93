"""The front matter rules (``site_builder/vault/frontmatter.py``): each bad value is a one-line
error naming the file and the line of the mistake, unknown keys are warnings, and the block
ends where the line rule says.  Notes are read through ``load_content``, as a build reads them.
"""

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_content import error, load

from site_builder.core.errors import ContentError
from site_builder.vault.content import decode
from site_builder.vault.frontmatter import split_front_matter


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


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45", "01/02/2024"])
def test_unparseable_date_names_its_line(tmp_path: Path, value: str) -> None:
    message = error(tmp_path, {"x.md": f"---\ntitle: t\ndate: {value}\n---\n"})
    assert message == f"content/x.md:3: date '{value}' does not parse (use YYYY-MM-DD)"


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


def test_only_near_misses_of_our_keys_are_warnings(tmp_path: Path) -> None:
    """Properties are the writer's own data (``layout``, ``categories``, Obsidian's
    ``published``): silent.  A key a letter away from one of ours is the typo it looks like;
    Obsidian's pre-1.4 ``tag`` is read as ``tags``."""
    c = load(tmp_path, {"a.md": "---\ntitle: A\ntag: [x]\ndarft: true\nlayout: wide\n"
                                "published: 2024-01-01\nrelated: [b]\ncategories: ['[[b]]']\n"
                                "---\nx",
                        "b.md": "---\nTitle: B\ntitel: C\n---\nx"})
    assert c.warnings == (
        "content/a.md:4: unknown front matter key 'darft' (did you mean 'draft'?)",
        "content/b.md:2: unknown front matter key 'Title' (did you mean 'title'?)",
        "content/b.md:3: unknown front matter key 'titel' (did you mean 'title'?)",
    )
    assert {n.source: n.tags for n in c.notes} == {"a.md": ("x",), "b.md": ()}


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
