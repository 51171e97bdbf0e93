"""``notes init DIR``: a new notes project, ready to write, serve and publish.

The project holds only the writer's files (notes, settings) and a four-line CDK app that calls
this package's stack (``infra.app.main``), so upgrading notes-publisher upgrades the stack and
the builder together; nothing of the package is copied into the project.  Only a new or empty
folder is filled: init never overwrites a file.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from datetime import date
from pathlib import Path

from site_builder import __version__
from site_builder.cli.workflow import requirements, workflow
from site_builder.core.errors import NotesError
from site_builder.deploy.siteid import new_site_id

# The CDK CLI this package is tested with (tests/test_cli_init.py keeps it equal to the
# repository's package.json pin).
CDK_CLI_VERSION = "2.1148.1"

WELCOME = """\
---
title: Welcome
date: {today}
tags: [meta]
summary: The first note of this site.
---

This is your first note. Every `*.md` file under `content/` becomes a page; edit this one,
save, and `notes serve` reloads the page in your browser.

Link to another note by its title, like [[Writing notes]], or by its path, like
[the guides section](guides/_index.md).
"""

SECTION_INDEX = """\
---
title: Guides
---

A section is a folder. This `_index.md` gives it a title and this introduction.
"""

WRITING_NOTES = """\
---
title: Writing notes
date: {today}
tags: [meta]
---

# Writing notes

Front matter at the top sets the `title`, `date`, `tags`, `summary` and `draft`.

- Images and attachments sit beside the notes: `![diagram](img/diagram.svg)`.
- A broken link stops the build, so a published page never points nowhere.
- `draft: true` keeps a note out of the site until `notes build --drafts`.

Back to the [[Welcome]] note.
"""

NOTES_TOML = """\
# Site settings for notes build, serve, up and deploy. Every key is optional.
title = "{title}"
description = "Notes, published as a static site."
# author = "Your Name"

# Which project this site is: every deploy record keeps it, and a deploy of another project
# into the same bucket is refused (unless it passes --adopt). Keep it when you copy the project.
site_id = "{site_id}"

# The public address of the site, for absolute URLs in feed.xml and sitemap.xml: after the
# first `npx cdk deploy`, paste its WebsiteURL output here.
# base_url = "http://my-notes-bucket.s3-website-eu-west-1.amazonaws.com"

# Defaults for notes deploy/history/rollback/verify once the stack exists.
[deploy]
stack = "{stack}"
"""

VAULT_SETTINGS = """
# The notes: this Obsidian vault, read where it is (nothing is copied). Its .obsidian/ settings
# are read too (templates folder, attachment folder, line breaks).
content = {content}

# A link to a note not written yet is a warning, shown as text, as Obsidian shows it.
[links]
unresolved = "warn"
"""

GITIGNORE = """\
build/
cdk.out/
node_modules/
.notes-cache/
"""

APP_PY = """\
#!/usr/bin/env python3
\"\"\"The CDK app of this notes project: `npx cdk deploy` builds content/ and publishes it with
notes-publisher's stack (a versioned S3 website bucket, deploy history, exact rollback).
Needs the package's cdk extra: pip install 'notes-publisher[cdk]'.\"\"\"

import sys
from pathlib import Path

from infra.app import main

if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parent))
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("init", help="make a new notes project in a new folder")
    p.add_argument("dir", type=Path, metavar="DIR", help="the folder to create (new or empty)")
    p.add_argument("--vault", type=Path, default=None, metavar="DIR",
                   help="publish this folder (an Obsidian vault) where it is, instead of a "
                        "new content/ folder")
    p.set_defaults(func=cmd_init)


def stack_name(folder: Path) -> str:
    """A CloudFormation stack name from the folder's name: ``my-notes`` -> ``MyNotesSite``."""
    words = re.findall(r"[A-Za-z0-9]+", folder.resolve().name)
    camel = "".join(w[:1].upper() + w[1:] for w in words)
    if not camel[:1].isalpha():
        camel = "Notes" + camel
    return f"{camel}Site"[:128]


def project_files(folder: Path, python: str, today: date,
                  vault: Path | None = None) -> dict[str, str]:
    """Relative path -> text of every file of a new project in ``folder``; with ``vault``,
    notes.toml points at that folder instead of a new content/."""
    stack = stack_name(folder)
    title = " ".join(re.findall(r"[A-Za-z0-9]+", folder.resolve().name)).title() or "Notes"
    cdk_json = {
        "app": f"{shlex.quote(python)} app.py",
        "notices": False,
        "context": {"stackName": stack, "noncurrentVersionDays": 365, "retain": True,
                    "allowMassDelete": False},
    }
    package_json = {"private": True, "description": "The AWS CDK CLI for `npx cdk deploy`.",
                    "devDependencies": {"aws-cdk": CDK_CLI_VERSION}}
    toml = NOTES_TOML.format(title=title.replace('"', ""), stack=stack,
                             site_id=new_site_id(folder.resolve().name))
    notes = {
        "content/welcome.md": WELCOME.format(today=today.isoformat()),
        "content/guides/_index.md": SECTION_INDEX,
        "content/guides/writing-notes.md": WRITING_NOTES.format(today=today.isoformat()),
    }
    if vault is not None:
        notes = {}
        head, _, deploy = toml.partition("\n# Defaults for notes deploy")
        where = json.dumps(str(vault.expanduser().resolve()))  # a TOML basic string
        toml = head + VAULT_SETTINGS.format(content=where) + "\n# Defaults for notes deploy" \
            + deploy
    return {
        **notes,
        "notes.toml": toml,
        ".gitignore": GITIGNORE,
        "app.py": APP_PY,
        "cdk.json": json.dumps(cdk_json, indent=2) + "\n",
        "package.json": json.dumps(package_json, indent=2) + "\n",
        "requirements.txt": requirements(__version__),
        ".github/workflows/publish.yml": workflow(stack),
    }


def init_project(folder: Path, python: str = sys.executable, today: date | None = None,
                 vault: Path | None = None) -> None:
    """Write a new project into ``folder``, which must be new or empty; ``vault`` is an
    existing folder of notes to publish in place."""
    if vault is not None and not vault.expanduser().is_dir():
        raise NotesError(f"{vault} is not a folder (notes init --vault needs the folder of "
                         "an existing vault)")
    if not folder.exists() and _file_above(folder):
        raise NotesError(f"{_file_above(folder)} is a file, so {folder} cannot be made (notes "
                         "init makes a new folder; pick another path)")
    if folder.exists() and not folder.is_dir():
        raise NotesError(f"{folder} exists and is not a folder (notes init makes a new folder)")
    if folder.is_dir() and any(folder.iterdir()):
        raise NotesError(f"{folder} is not empty (notes init only fills a new or empty folder; "
                         "pick another name)")
    try:
        for rel, text in project_files(folder, python, today or date.today(), vault).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        where = exc.filename or folder
        raise NotesError(f"cannot create {where}: {exc.strerror} (notes init makes a new "
                         "folder; pick a path you can write)") from None


def _file_above(folder: Path) -> Path | None:
    """The nearest existing ancestor of ``folder``, when it is a file (``/etc/passwd/x``)."""
    for parent in folder.absolute().parents:
        if parent.exists():
            return parent if not parent.is_dir() else None
    return None


def cmd_init(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    vault: Path | None = getattr(args, "vault", None)
    init_project(folder, vault=vault)
    notes = (f"{vault.expanduser().resolve()}/", "your vault, read where it is") if vault else \
        ("content/", "your notes: welcome.md, and a section in guides/")
    rows = [
        notes,
        ("notes.toml", "the site's title and settings"),
        (".gitignore", "keeps build output and caches out of git"),
        ("app.py, cdk.json, package.json", "the CDK app that publishes the site to AWS"),
        ("requirements.txt", "the notes-publisher version this project uses"),
        (".github/workflows/publish.yml", "GitHub Actions: check, review IAM changes, deploy"),
    ]
    steps = [
        (f"cd {shlex.quote(str(folder))}", ""),
        ("notes serve", "write, and read the site at http://127.0.0.1:8000/"),
        ("notes up", "try the whole publish path locally"),
        ("npm install && npx cdk deploy", "publish to your AWS account (needs the cdk extra)"),
    ]
    print(f"Created a notes project in {folder}/:")
    for name, what in rows:
        print(f"  {name:<32} {what}")
    print("Next:")
    for command, what in steps:
        print(f"  {command:<32} {what}".rstrip())
    return 0
