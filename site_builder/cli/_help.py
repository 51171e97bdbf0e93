"""What ``notes COMMAND --help`` says about each command: a description and examples.

Kept in one table, applied by ``build_parser`` after every module registered its sub-parser, so
the help reads as one document (same voice, same example layout) and a command without its
entry is caught by tests/test_cli_help.py.
"""

from __future__ import annotations

import argparse
import textwrap

# command -> (description, example command lines shown as the epilog)
HELP: dict[str, tuple[str, tuple[str, ...]]] = {
    "init": (
        (
            "Make a new notes project in DIR: content/ with a first note and a section, "
            "notes.toml, .gitignore, and a CDK app (app.py, cdk.json, package.json) that "
            "publishes it with this package's stack. DIR must not exist or be empty. With "
            "--vault, notes.toml points at that folder (an Obsidian vault) instead, where it "
            "is: nothing is copied."
        ),
        (
            "notes init my-notes",
            "cd my-notes && notes serve",
            "notes init my-site --vault ~/Documents/MyVault",
        ),
    ),
    "build": (
        (
            "Build every Markdown note under the content folder into a static site (pretty URLs, "
            "tags, sections, feed, sitemap and search index). Only what changed is rebuilt."
        ),
        (
            "notes build",
            "notes build --drafts --out /tmp/preview",
            "notes build --content ~/notes --no-search --no-cache",
        ),
    ),
    "serve": (
        (
            "Build the notes, serve build/site/ locally, and rebuild and reload open browser tabs "
            "on every edit under content/, templates/, static/ and notes.toml. A failed rebuild keeps the "
            "last good site."
        ),
        (
            "notes serve",
            "notes serve --port 8001 --drafts",
            "notes serve --host 0.0.0.0 --allow-broken-links",
        ),
    ),
    "up": (
        (
            "Run the whole publish path on this machine: an embedded S3 bucket configured like "
            "the CDK stack's, a deploy through the real deploy engine on every edit, and the "
            "bucket served like the S3 website endpoint. history, rollback and verify work "
            "against it from another terminal."
        ),
        (
            "notes up",
            "notes up --port 8001 --s3-port 4567 --drafts",
        ),
    ),
    "deploy": (
        (
            "Build the site (unless --site names a built folder or .zip) and publish it to its S3 "
            "bucket: only changed files are uploaded, in an order that never shows a broken page, "
            "and a deploy record is written last."
        ),
        (
            'notes deploy --bucket my-notes-bucket --message "fixed typos"',
            "notes deploy --stack NotesSite --dry-run",
            "notes deploy --endpoint-url http://127.0.0.1:4566 --bucket notes-local",
        ),
    ),
    "history": (
        (
            "List the deploy records of the bucket, newest first."
        ),
        (
            "notes history --bucket my-notes-bucket",
            "notes history --stack NotesSite --json",
        ),
    ),
    "rollback": (
        (
            "Make the live bucket equal to an earlier deploy record, exactly, by copying the "
            "recorded object versions back. Shows the plan first and, in a terminal, asks before "
            "changing anything."
        ),
        (
            "notes rollback --bucket my-notes-bucket --dry-run",
            "notes rollback --bucket my-notes-bucket --to 20261125-0930 --yes",
        ),
    ),
    "verify": (
        (
            "Compare the live bucket with the latest deploy record; exit status 1 on drift."
        ),
        (
            "notes verify --bucket my-notes-bucket",
        ),
    ),
    "unlock": (
        (
            "Show who holds the bucket's deploy lock (a lease renewed while its deploy or "
            "rollback runs) and break it when it is stale: its lease ran out, or its holder's "
            "process on this host is gone. --force-unlock breaks a live lock after you confirm."
        ),
        (
            "notes unlock --bucket my-notes-bucket",
            "notes unlock --stack NotesSite --force-unlock --yes",
        ),
    ),
}


def apply_help(subparsers: argparse._SubParsersAction) -> None:
    """Give every registered sub-parser its description and examples."""
    for name, parser in subparsers.choices.items():
        if name not in HELP:
            continue
        description, examples = HELP[name]
        parser.description = textwrap.fill(description, 79)  # raw formatter: wrap here
        parser.epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
