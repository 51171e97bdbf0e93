"""The manual (docs/, a notes project) and README.md tell the truth about the tool.

- docs/ builds with this tool, with no broken link, and uses what it documents;
- its reference pages are what docs/tools/reference.py generates from the code;
- every ```console block of the manual and of README.md runs (docs/tools/console.py), and
  prints what the page shows; a command shown untested says why;
- README.md stays under 200 lines, with the screenshot and links that exist.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(DOCS / "tools"))

import console  # docs/tools/console.py
import reference  # docs/tools/reference.py
import screenshot  # docs/tools/screenshot.py

README = REPO / "README.md"
PAGES = sorted((DOCS / "content").rglob("*.md"))
RUNNABLE = [p for p in [*PAGES, README] if any(console.runnable(p))]


def _id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def test_docs_build_with_no_broken_link(tmp_path) -> None:
    build = reference.first_module(*reference.BUILD_MODULES)
    BuildOptions, build_site = build.BuildOptions, build.build_site

    project = tmp_path / "docs"
    shutil.copytree(DOCS / "content", project / "content")
    shutil.copy(DOCS / "notes.toml", project / "notes.toml")
    result = build_site(BuildOptions(project_dir=project))  # no --allow-broken-links
    site = result.out_dir
    notes = [p for p in PAGES if p.name != "_index.md"]
    for note in notes:
        page = site / note.relative_to(DOCS / "content").with_suffix("") / "index.html"
        assert page.is_file(), page
    assert result.pages >= len(notes)
    assert [w for w in result.warnings if "base_url" not in w] == []
    assert (site / "pagefind" / "pagefind-entry.json").is_file()
    # It uses what it documents: callouts, an embed, a diagram, the screenshot.
    markdown = (site / "writing" / "markdown" / "index.html").read_text()
    assert 'class="callout' in markdown and "serve-in-one-line" in markdown
    assert 'class="mermaid"' in (site / "getting-started" / "how-it-works" /
                                 "index.html").read_text()
    assert (site / "assets" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reference_pages_are_generated_from_the_code() -> None:
    for path, text in reference.pages().items():
        assert path.read_text("utf-8") == text, (
            f"{_id(path)} is out of date: run `make docs-reference`")


def test_reference_lists_every_flag_and_key() -> None:
    """Not only equal to the generator's output: the output names every flag of every command
    and every notes.toml key (the generator cannot drop one silently)."""
    facts = reference.introspect()
    cli = (DOCS / "content" / "reference" / "cli.md").read_text()
    for name, _, sub in reference._commands(facts["parser"]):
        assert f"## notes {name}" in cli
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in cli.split(f"## notes {name}")[1], (name, flag)
    toml = (DOCS / "content" / "reference" / "notes-toml.md").read_text()
    for table, keys in facts["known_keys"].items():
        for key in keys:
            assert f"`{key}`" in toml or f"## [{key}]" in toml, (table, key)


def test_a_new_key_without_a_meaning_stops_the_generator(monkeypatch) -> None:
    monkeypatch.delitem(reference.TOML_MEANINGS, "author")
    with pytest.raises(SystemExit, match="author"):
        reference.toml_page(reference.introspect())


@pytest.mark.parametrize("page", [*PAGES, README], ids=_id)
def test_blocks_follow_the_convention(page: Path) -> None:
    assert console.convention_problems(page) == []


def test_every_page_with_a_command_runs_it() -> None:
    """The suite runs a good share of the manual, not a handful of blocks."""
    blocks = sum(1 for p in RUNNABLE for b in console.runnable(p)
                 if isinstance(b, console.Block))
    assert blocks >= 30
    assert {_id(p) for p in RUNNABLE} >= {
        "README.md", "docs/content/getting-started/first-note.md",
        "docs/content/local/up.md", "docs/content/publishing/history-and-rollback.md"}


@pytest.mark.parametrize("page", RUNNABLE, ids=_id)
def test_console_blocks_print_what_the_page_shows(page: Path) -> None:
    problems = console.run_page(page, REPO)
    assert not problems, "\n\n".join(problems)


# -- the runner itself -------------------------------------------------------------------


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text)
    return page


def test_a_page_that_shows_the_wrong_output_fails(tmp_path) -> None:
    page = _page(tmp_path, "```console\n$ echo one; echo two\none\nthree\n```\n")
    (problem,) = console.run_page(page, REPO)
    assert "$ echo one; echo two" in problem and "    three" in problem and "    two" in problem


def test_ellipsis_cd_export_and_setup(tmp_path) -> None:
    page = _page(tmp_path, "<!-- run: setup mkdir sub && cd sub -->\n\n```console\n"
                           "$ export GREETING=hello\n$ pwd; seq 5; echo $GREETING\n"
                           "/home/you/sub\n1\n...\n5\nhello\n```\n")
    assert console.run_page(page, REPO) == []


def test_deploy_ids_stand_for_one_deploy_each() -> None:
    ids: dict[str, str] = {}
    shown = ["Deployed 20261130-162653-062646-9003.", "parent 20261130-162653-062646-9003"]
    real = ["Deployed 20270101-000000-000001-aaaa.", "parent 20270101-000000-000001-aaaa"]
    assert console.match_lines(shown, real, ids, whole=True) == 2
    assert ids == {"20261130-162653-062646-9003": "20270101-000000-000001-aaaa"}
    other = ["Deployed 20270101-000000-000001-aaaa.", "parent 20270101-000000-000002-bbbb"]
    assert console.match_lines(shown, other, {}, whole=True) is None
    # Times, durations, versions and hashes are placeholders; counts are not.
    assert console.match_lines(["Built 9 pages in 0.01s at 2026-11-30 16:26:56"],
                               ["Built 9 pages in 1.25s at 2027-01-01 00:00:00"], {}, True)
    assert console.match_lines(["Built 9 pages"], ["Built 10 pages"], {}, True) is None


def test_an_untested_shell_block_needs_a_reason(tmp_path) -> None:
    page = _page(tmp_path, "```sh\nnotes deploy\n```\n\n```text\n$ notes build\n```\n\n"
                           "<!-- not run: it needs AWS -->\n```sh\nnotes deploy\n```\n")
    problems = console.convention_problems(page)
    assert len(problems) == 2
    assert "never run" in problems[0] and "$ prompts in a ```text block" in problems[1]


@pytest.mark.browser
def test_the_screenshot_is_current(tmp_path, chromium_browser) -> None:
    """The committed screenshot is what the sample site looks like now (Chromium draws the
    same page to the same bytes: taken twice, the files are equal)."""
    site = screenshot.build_sample(tmp_path / "project")
    taken = tmp_path / "screenshot.png"
    screenshot.take(site, taken, chromium_browser)
    committed = DOCS / "content" / "assets" / "screenshot.png"
    assert taken.read_bytes() == committed.read_bytes(), (
        "the sample site looks different now: run `make screenshot` and look at the picture")


# -- README.md ---------------------------------------------------------------------------


def test_readme_is_short_and_points_into_the_manual() -> None:
    text = README.read_text()
    assert len(text.split("\n")) < 200
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    assert "docs/content/assets/screenshot.png" in local
    assert sum(t.startswith("docs/content/") for t in local) >= 8
    for target in local:
        assert (REPO / target).exists(), target
