"""``notes build``: Markdown notes in content/ -> a static site in build/site/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_build_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that builds (build, serve, up, deploy): one definition, so
    they cannot drift apart and ``build_options`` can rely on them."""
    parser.add_argument("--content", type=Path, default=None, metavar="DIR",
                        help="folder of Markdown notes (default: notes.toml's content, else "
                             "./content)")
    parser.add_argument("--drafts", action="store_true",
                        help="include notes with draft: true or publish: false")
    parser.add_argument("--allow-broken-links", action="store_true",
                        help="report broken links as warnings instead of failing")
    parser.add_argument("--no-search", dest="search", action="store_false",
                        help="skip building the Pagefind search index")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="ignore the build cache (.notes-cache/) and render everything")
    parser.add_argument("--jobs", type=_positive, default=None, metavar="N",
                        help="worker processes for rendering (default: one per core)")


def build_options(args: argparse.Namespace, command: str, project_dir: Path) -> Any:
    """``BuildOptions`` from the flags ``add_build_flags`` added; a broken-link error then
    suggests the flag of the command that is running."""
    from site_builder.pipeline.options import BuildOptions

    hint = ("build with --allow-broken-links to publish anyway" if command == "build" else
            f"run notes {command} with --allow-broken-links to publish anyway")
    return BuildOptions(
        project_dir=project_dir, content_dir=args.content, out_dir=getattr(args, "out", None),
        drafts=args.drafts, allow_broken_links=args.allow_broken_links, search=args.search,
        cache=args.cache, jobs=args.jobs, broken_links_hint=hint,
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("build", help="build the notes into a static site")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: ./build/site)")
    add_build_flags(parser)
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return value


def run(args: argparse.Namespace) -> int:
    from site_builder.pipeline.build import build_site

    result = build_site(build_options(args, "build", Path.cwd()))
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    where = result.out_dir
    try:
        where = where.relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    print(f"Built {result.pages} pages ({result.files} files) into {where}/")
    return 0
