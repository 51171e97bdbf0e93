"""`notes COMMAND --help` for every sub-command: a description, examples that parse, metavars
that say what a value is; and the build flags are the same wherever a build happens."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from site_builder.cli import build_parser, main
from site_builder.cli.build import build_options

METAVARS = {"DIR", "PORT", "NAME", "URL", "REGION", "TEXT", "HOST", "N", "ID"}
BUILD_FLAGS = {"--content", "--drafts", "--allow-broken-links", "--no-search", "--no-cache",
               "--jobs"}
BUILDING_COMMANDS = ("build", "serve", "up", "deploy")


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_a_description_and_examples_that_parse(capsys) -> None:
    commands = subparsers()
    assert {"init", "build", "serve", "up", "deploy", "history", "rollback", "verify"} <= set(
        commands)
    for name, parser in commands.items():
        text = parser.format_help()
        assert parser.description and len(parser.description) > 40, name
        assert "\nexamples:\n" in text, name
        examples = [line.strip() for line in text.split("\nexamples:\n", 1)[1].splitlines()]
        assert any(line.startswith(f"notes {name}") for line in examples), name
        for line in examples:  # every `notes ...` in an example is a valid command line
            for part in line.split("&&"):
                words = shlex.split(part)
                if words[0] == "notes":
                    build_parser().parse_args(words[1:])


@pytest.mark.parametrize("command", ["build", "deploy"])
def test_a_command_parsed_alone_reads_as_in_the_whole_parser(command: str) -> None:
    """`notes build` builds a parser of its own command only (cheaper imports): the same
    help, and the same values from the same words."""
    alone = build_parser(command)
    action = next(a for a in alone._actions if isinstance(a, argparse._SubParsersAction))
    assert list(action.choices) == [command]
    assert action.choices[command].format_help() == subparsers()[command].format_help()
    argv = [command, "--no-search", "--jobs", "2", "--content", "x"]
    assert vars(alone.parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_every_value_has_a_metavar_that_says_what_it_is() -> None:
    for name, parser in subparsers().items():
        for action in parser._actions:
            if action.option_strings and action.nargs != 0:
                assert action.metavar in METAVARS, (name, action.option_strings, action.metavar)


def test_build_flags_are_the_same_wherever_a_build_happens() -> None:
    commands = subparsers()
    for name in BUILDING_COMMANDS:
        options = {o for a in commands[name]._actions for o in a.option_strings}
        assert BUILD_FLAGS <= options, name
    argv = ["--content", "notes", "--drafts", "--allow-broken-links", "--no-search",
            "--no-cache", "--jobs", "2"]
    for name in BUILDING_COMMANDS:
        args = build_parser().parse_args([name, *argv])
        opts = build_options(args, name, Path("/p"))
        assert (opts.content_dir, opts.drafts, opts.allow_broken_links, opts.search, opts.cache,
                opts.jobs) == (Path("notes"), True, True, False, False, 2), name
        assert "--allow-broken-links" in opts.broken_links_hint


BROKEN = {"a.md": "[[Nowhere]]\n", "b.md": "[gone](missing.md)\n"}


@pytest.fixture
def broken_project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "content").mkdir()
    for name, text in BROKEN.items():
        (tmp_path / "content" / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_broken_link_message_names_the_running_commands_flag(broken_project, capsys) -> None:
    assert main(["build", "--no-search"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "2 link problems; fix them or build with --allow-broken-links to publish anyway")
    port = "0"
    assert main(["serve", "--no-search", "--port", port]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "2 link problems; fix them or run notes serve with --allow-broken-links to publish "
        "anyway")


def test_deploy_builds_with_the_build_flags(broken_project, s3, bucket, capsys) -> None:
    assert main(["deploy", "--bucket", bucket, "--no-search"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "2 link problems; fix them or run notes deploy with --allow-broken-links to publish "
        "anyway")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert main(["deploy", "--bucket", bucket, "--no-search", "--allow-broken-links",
                 "--content", "content"]) == 0
    out, err = capsys.readouterr()
    assert "Warning: content/a.md:1: broken link to 'Nowhere'" in err
    assert out.splitlines()[0].endswith(" files) into build/site/")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"a/index.html", "b/index.html"} <= keys
    assert not any(k.startswith("pagefind/") for k in keys)  # --no-search reached the build


def test_without_a_flag_the_message_suggests_none(broken_project) -> None:
    from site_builder.core.errors import ContentError
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    with pytest.raises(ContentError) as caught:
        build_site(BuildOptions(project_dir=broken_project, search=False,
                                broken_links_hint=None))
    assert str(caught.value).splitlines()[-1] == "2 link problems"


@pytest.mark.parametrize("name", ["deploy", "unlock", "rollback"])
def test_yes_names_only_questions_the_command_asks(name) -> None:
    """--yes is shared by three commands, but only rollback asks to confirm itself: deploy's
    and unlock's help must not promise to answer "rollback's confirmation"."""
    text = " ".join(subparsers()[name].format_help().split())
    yes = text.split("--yes answer yes without asking:", 1)[1].split("--", 1)[0]
    assert ("rollback" in yes) == (name == "rollback"), (name, yes)
