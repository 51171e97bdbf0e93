import datetime as dt
from pathlib import Path

import pytest

from site_builder.content import load_content
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
    assert message.startswith("content/bad.md:4: malformed YAML front matter: did not find expected ',' or ']'")
    # line 4 of the file is where the unclosed list on line 3 is noticed


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
