"""An Obsidian vault builds and links as Obsidian shows it (issue 25).

``tests/vaults/obsidian/`` is a small vault written from Obsidian's documented behaviour, one
note per rule; it is built once, unedited (copied to a temporary project, as `notes init
--vault` would use it), and each test reads the pages.  The real vault in
``../shared/vaults/kepano-obsidian`` is built the same way when it is there.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from deadlinks import dead_addresses
from test_links import body_links
from test_render import Tags

from site_builder.cli.init import init_project
from site_builder.core.config import content_folder
from site_builder.core.errors import ContentError
from site_builder.deploy.headers import content_type
from site_builder.markdown.media import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions, BuildResult

VAULT = Path(__file__).parent / "vaults" / "obsidian"
KEPANO = Path(__file__).resolve().parents[2] / "shared" / "vaults" / "kepano-obsidian"


def build_vault(tmp: Path, vault: Path, toml: str = '[links]\nunresolved = "warn"\n',
                **opts) -> BuildResult:
    shutil.copytree(vault, tmp / "vault")
    (tmp / "notes.toml").write_text(f'content = "vault"\n{toml}', "utf-8")
    return build_site(BuildOptions(project_dir=tmp, search=False, jobs=1, **opts))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build_vault(tmp_path_factory.mktemp("vault"), VAULT)


def page(built: BuildResult, path: str) -> str:
    return (built.out_dir / path / "index.html").read_text("utf-8")


def hrefs(built: BuildResult, path: str) -> list[str]:
    return [a.get("href") or a.get("src") for a, _ in body_links(built.out_dir, f"{path}/index.html")]


def test_no_page_holds_an_address_a_browser_cannot_follow(built: BuildResult) -> None:
    assert dead_addresses(built.out_dir) == []


def test_settings_hidden_files_trash_and_templates_are_never_published(built: BuildResult):
    files = {p.relative_to(built.out_dir).as_posix() for p in built.out_dir.rglob("*")}
    assert not [f for f in files if f.startswith((".obsidian", ".trash", "Templates", ".hidden"))]
    assert not [f for f in files if "Old" in f or "Private" in f]


def test_a_template_still_embeds_and_a_link_to_it_is_plain_text(built: BuildResult) -> None:
    html = page(built, "Links")
    assert "Template body for {{title}}." in html
    assert '<a class="broken-link">Note Template</a>' in html
    assert "it is in the vault's templates folder" in "\n".join(built.warnings)


def test_same_name_notes_resolve_as_obsidian_never_an_error(built: BuildResult) -> None:
    assert hrefs(built, "Links")[0] == "/Help/Security-and-privacy/"  # the shortest path
    assert hrefs(built, "Security/Encryption") == ["/Security/Security-and-privacy/"]  # same folder


def test_an_escaped_pipe_in_a_table_is_a_link_with_its_text(built: BuildResult) -> None:
    cells = [(a.get("href"), t) for a, t in body_links(built.out_dir, "Links/index.html")]
    assert ("/Help/Security-and-privacy/", "our privacy page") in cells


def test_email_autolinks_are_mail_links_not_files(built: BuildResult) -> None:
    assert not [w for w in built.warnings if "example.com" in w]
    mail = [a["href"] for a, _ in body_links(built.out_dir, "Contact/index.html")]
    assert mail == ["mailto:me@example.com", "mailto:help@example.org"]


def test_nested_heading_links_and_bare_attachment_names(built: BuildResult) -> None:
    links = hrefs(built, "Links")
    assert "/Sidebar/#mobile-and-smaller-tablets" in links
    assert links.count("/Attachments/diagram.png") == 2


def test_links_to_the_same_note_are_real_anchors(built: BuildResult) -> None:
    assert hrefs(built, "This-note") == ["#part-two", "#part-two", "#^fact", "#part-two"]


def test_a_block_id_under_a_callout_table_or_list_is_that_blocks(built: BuildResult) -> None:
    # Found building the Obsidian Help vault: ``^id`` under a callout was a false warning,
    # and under a table it was a row, with the heading below it.
    assert hrefs(built, "Block-ids") == ["#^regions", "#^servers", "#under-the-table", "#^steps"]
    html = page(built, "Block-ids")
    assert '<table id="^servers">' in html and '<ul id="^steps">' in html
    assert '<h2 id="under-the-table">' in html and "<td>^servers" not in html
    assert not [w for w in built.warnings if "Block ids" in w]


def test_a_fence_inside_raw_html_opens_no_code_block(built: BuildResult) -> None:
    # Obsidian Help's Search note: ``<pre><code>```query`` left every later wiki link raw.
    assert hrefs(built, "Raw-HTML") == ["/Sidebar/", "#after-the-raw-block"]
    assert not [w for w in built.warnings if "Raw HTML" in w]


def test_embedding_another_section_of_the_same_note_is_not_a_loop(built: BuildResult) -> None:
    body = page(built, "Set-up-Obsidian-Sync").split("data-pagefind-body", 1)[1]
    assert body.count("Open the settings and log in.") == 2


def test_a_real_embed_loop_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "s.md").write_text("## A\n\n![[s#A]]\n")
    with pytest.raises(ContentError, match=r"^content/s.md:3: embed loop: s.md#a -> s.md#a$"):
        build_site(BuildOptions(project_dir=tmp_path, search=False, jobs=1))


def test_lists_callouts_and_code_in_callouts(built: BuildResult) -> None:
    # (The folder explorer's own lists are not the note's.)
    lists = Tags(re.sub(r'<nav id="explorer".*?</nav>', "", page(built, "Lists"), flags=re.DOTALL))
    assert len(lists.find("ul")) == 4 and len(lists.find("ol")) == 2
    callouts = page(built, "Callouts")
    assert 'data-callout="todo"' in callouts and "[!todo]" not in callouts
    assert "[[Not a link]]" in callouts


def test_aliases_permalink_description_and_line_breaks(built: BuildResult) -> None:
    assert "/about/properties/" in hrefs(built, "Links")  # [[Privacy policy]], an alias
    html = page(built, "about/properties")
    assert '<meta name="description" content="What the properties do.">' in html
    assert "Line one<br>" in html  # strictLineBreaks is off by default


def test_publish_false_is_like_a_draft(built: BuildResult) -> None:
    assert not (built.out_dir / "Private").exists()
    assert "Private" not in (built.out_dir / "sitemap.xml").read_text("utf-8")


def test_audio_video_and_sized_images(built: BuildResult) -> None:
    p = Tags(page(built, "Media"))
    assert [a["src"] for a in p.find("audio")] == ["/Attachments/talk.ogg"]
    assert [a["src"] for a in p.find("video")] == ["/Attachments/clip.mp4"]
    assert [(a.get("width"), a.get("height")) for a in p.find("img")] == [
        ("250", None), ("100", "50")]
    assert (built.out_dir / "Attachments/talk.ogg").is_file()


@pytest.mark.parametrize("ext", AUDIO_EXTENSIONS + VIDEO_EXTENSIONS)
def test_every_media_file_is_uploaded_with_its_type(ext: str) -> None:
    assert content_type(f"a/b{ext}").startswith(("audio/", "video/"))


def test_only_unwritten_notes_are_link_warnings(built: BuildResult) -> None:
    assert [w for w in built.warnings if "link" in w] == [
        ("vault/Links.md:13: broken link to 'Nothing here yet' (no note titled or named "
         "'Nothing here yet')"),
        ("vault/Links.md:15: broken link to 'Note Template' (it is in the vault's templates "
         "folder, which is never published)")]
    assert not [w for w in built.warnings if "front matter" in w]


def test_unresolved_links_stop_the_build_when_the_setting_says_so(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="Nothing here yet"):
        build_vault(tmp_path, VAULT, toml='[links]\nunresolved = "error"\n')


def test_init_vault_points_the_project_at_the_folder(tmp_path: Path) -> None:
    init_project(tmp_path / "site", vault=VAULT)
    assert content_folder(tmp_path / "site").resolve() == VAULT.resolve()
    assert not (tmp_path / "site" / "content").exists()


@pytest.mark.skipif(not KEPANO.is_dir(), reason="the shared vaults are not beside this checkout")
def test_kepano_vault_builds_unedited_with_no_dead_address(tmp_path: Path) -> None:
    result = build_vault(tmp_path, KEPANO)
    assert dead_addresses(result.out_dir) == []
    assert not (result.out_dir / "Templates").exists()
    assert not [w for w in result.warnings if "front matter" in w]
    missing = {w.split("broken link to ")[1].split("'")[1] for w in result.warnings
               if "broken link" in w}
    assert missing and all(not list(KEPANO.rglob(f"{name}.md")) for name in missing)


def test_properties_are_shown_and_their_wiki_links_are_backlinks(built: BuildResult) -> None:
    html = page(built, "about/properties")
    props = html.split('<dl class="properties">', 1)[1].split("</dl>", 1)[0]
    assert [(a["href"], a["class"]) for a in Tags(props).find("a")] == [("/Links/", "wikilink")]
    assert "<dt>rating</dt><dd>7</dd>" in props and "aliases" not in props
    backlinks = page(built, "Links").split("Linked from", 1)[1].split("</section>", 1)[0]
    assert [a["href"] for a in Tags(backlinks).find("a")] == ["/about/properties/"]
    assert '<article class="note wide cards">' in html


def test_the_properties_view_can_be_turned_off_and_on_again(tmp_path: Path) -> None:
    """``[markdown] properties = false``: no view, and its links are no backlinks; turned on
    again, the cached build shows it (the setting keys the cached renders)."""
    links = '[links]\nunresolved = "warn"\n'
    off = build_vault(tmp_path, VAULT, toml=links + "[markdown]\nproperties = false\n")
    assert 'class="properties"' not in page(off, "about/properties")
    assert "/about/properties/" not in _backlinks(page(off, "Links"))
    (tmp_path / "notes.toml").write_text(f'content = "vault"\n{links}', "utf-8")
    on = build_site(BuildOptions(project_dir=tmp_path, search=False, jobs=1))
    assert '<dl class="properties"><dt>' in page(on, "about/properties")
    assert "/about/properties/" in _backlinks(page(on, "Links"))
    (tmp_path / "notes.toml").write_text('[markdown]\nproperties = "no"\n', "utf-8")
    with pytest.raises(ContentError) as caught:
        build_site(BuildOptions(project_dir=tmp_path, search=False, jobs=1))
    assert str(caught.value) == "notes.toml:2: [markdown] properties must be true or false, not 'no'"


def _backlinks(html: str) -> str:
    return html.split("Linked from", 1)[1].split("</section>", 1)[0] if "Linked from" in html \
        else ""


def test_permalink_and_aliases_leave_redirects(built: BuildResult) -> None:
    for old in ("Properties", "Privacy-policy"):
        html = page(built, old)
        assert '<meta http-equiv="refresh" content="0; url=/about/properties/">' in html
        assert '<link rel="canonical" href="/about/properties/">' in html


@pytest.mark.parametrize("files, toml, expected", [
    ({"a.md": "---\npermalink: ../../etc\n---\nx"}, "",
     "content/a.md:2: permalink '../../etc' would escape the output folder"),
    ({}, 'content = "no such folder"\n', "no such folder: content folder not found"),
    ({".obsidian/app.json": "{not json", "a.md": "x"}, "", None),
])
def test_bad_vault_input_is_one_line_naming_the_file(tmp_path: Path, files: dict, toml: str,
                                                      expected: str | None) -> None:
    for rel, text in files.items():
        (tmp_path / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / rel).write_text(text)
    (tmp_path / "notes.toml").write_text(toml)
    opts = BuildOptions(project_dir=tmp_path, search=False, jobs=1)
    if expected is None:  # a broken settings file is what Obsidian itself would reset
        assert build_site(opts).warnings[0].startswith(
            "content/.obsidian/app.json: ignored, not a JSON settings file")
        return
    with pytest.raises(ContentError) as exc:
        build_site(opts)
    assert str(exc.value) == expected
