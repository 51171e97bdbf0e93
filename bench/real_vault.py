"""Build a real Obsidian vault unedited and report what issue 25's acceptance asks about.

    .venv/bin/python bench/real_vault.py PATH [--search] [--keep DIR]

PATH is the vault folder (the one holding ``.obsidian/``, or any folder of notes). Nothing in
it is changed: ``notes init --vault PATH`` makes a throw-away project that reads it where it
is, and ``notes build --allow-broken-links`` builds it. Then this prints:

- every warning of the build, by kind;
- each broken-link warning that an independent, simpler reading of the vault contradicts (the
  file, alias, heading or block it names is there after all), which is the builder's bug, not
  the writer's;
- every dead address of the built site (``tests/deadlinks.py``, the suite's own check);
- every note whose lists nest differently from markdown-it-py's CommonMark renderer;
- Obsidian syntax that a built page shows as text outside code (``[[link]]``, ``[!callout]``,
  ``^block-id``);
- every warning about a property (front matter key): Obsidian's properties are the writer's
  own data, so there must be none.

It exits 1 when any of these (apart from the warnings about notes that really are missing)
is found. It needs no network; the vault is never copied into the repository.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from deadlinks import dead_addresses  # tests/ is not a package: found on sys.path
from vault_reading import link_suspects, list_mismatches, raw_syntax

_KINDS = (
    ("broken link", re.compile(r"broken link")),
    ("ambiguous link", re.compile(r"ambiguous|more than one|picked")),
    ("property", re.compile(r"front matter|propert|unknown key", re.IGNORECASE)),
)


def build(vault: Path, project: Path, search: bool) -> tuple[int, list[str]]:
    """Run ``notes init --vault`` and ``notes build``; the exit code and the warning lines."""
    notes = [sys.executable, "-m", "site_builder.cli"]
    subprocess.run([*notes, "init", str(project), "--vault", str(vault)], check=True,
                   capture_output=True, text=True)
    flags = ["--allow-broken-links"] + ([] if search else ["--no-search"])
    done = subprocess.run([*notes, "build", *flags], check=False, cwd=project, capture_output=True,
                          text=True)
    lines = done.stderr.splitlines()
    for line in lines:
        if not line.startswith("Warning: "):
            print(line)
    return done.returncode, [line.removeprefix("Warning: ") for line in lines
                             if line.startswith("Warning: ")]


def kind(warning: str) -> str:
    for name, pattern in _KINDS:
        if pattern.search(warning):
            return name
    return "other"


def report(vault: Path, project: Path, search: bool) -> int:
    """Print the findings; the number of problems (warnings about missing notes not counted)."""
    code, warnings = build(vault, project, search)
    kinds = Counter(kind(w) for w in warnings)
    print(f"build exit code: {code}; {len(warnings)} warnings: {dict(kinds)}")
    for w in warnings:
        print(f"  [{kind(w)}] {w}")
    suspects = link_suspects(vault, [w for w in warnings if kind(w) == "broken link"])
    print(f"\nbroken-link warnings the vault contradicts (builder bugs): {len(suspects)}")
    for s in suspects:
        print(f"  {s}")
    site = project / "build" / "site"
    dead = dead_addresses(site) if site.is_dir() else ["(no site was built)"]
    print(f"\ndead addresses: {len(dead)}")
    for d in dead:
        print(f"  {d}")
    raw = raw_syntax(site, vault) if site.is_dir() else []
    print(f"\nObsidian syntax left as text in pages: {len(raw)}")
    for r in raw:
        print(f"  {r}")
    mismatches = list_mismatches(vault)
    print(f"\nnotes whose lists nest differently from CommonMark: {len(mismatches)}")
    for m in mismatches:
        print(f"  {m}")
    properties = [w for w in warnings if kind(w) == "property"]
    print(f"\nwarnings about properties: {len(properties)}")
    others = [w for w in warnings if kind(w) == "other" and "base_url" not in w]
    return (code != 0) + len(suspects) + len(dead) + len(raw) + len(mismatches) + len(properties) \
        + len(others)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("--search", action="store_true", help="also build the Pagefind index")
    parser.add_argument("--keep", type=Path, help="make the project here and keep it")
    args = parser.parse_args(argv)
    vault = args.vault.expanduser().resolve()
    if args.keep:
        problems = report(vault, args.keep.resolve(), args.search)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            problems = report(vault, Path(tmp) / "site", args.search)
    print(f"\n{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
