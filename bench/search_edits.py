"""Edits with search on (issue 17): which rebuilds run Pagefind, and what each costs.

    .venv/bin/python bench/search_edits.py [--notes 5000]

Builds the generated corpus cold with search on (the default, what `notes deploy` runs), then
times `notes build` as a fresh process after each of: nothing changed, a `notes.toml` edit (every
page's chrome), a tag added to one note, a date changed on one note (feed and lists), and one
sentence appended to one note's body.  For each: wall and CPU seconds (the process and every
child it waited for: workers and Pagefind), and whether the search index was rewritten
(``pagefind/pagefind-entry.json`` replaced).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

WORK = HERE / ".work" / "search-edits"


def timed_build(project: Path) -> tuple[float, float, bool]:
    entry = project / "build" / "site" / "pagefind" / "pagefind-entry.json"
    before_entry = entry.stat().st_mtime_ns if entry.exists() else None
    subprocess.run(["sync"], check=False)
    time.sleep(2)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "notes"), "build"], cwd=project,
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    indexed = entry.stat().st_mtime_ns != before_entry
    return wall, cpu, indexed


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=5000)
    args = ap.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(corpus(args.notes), WORK / "content", ignore=shutil.ignore_patterns(".complete"))
    (WORK / "notes.toml").write_text('title = "Bench"\n')
    notes = sorted(p for p in (WORK / "content").rglob("*.md")
                   if "draft: true" not in p.read_text("utf-8") and "\ntags: [" in p.read_text())
    victim = notes[len(notes) // 2]
    dated = notes[len(notes) // 3]
    old_date = re.search(r"\ndate: [^\n]*", dated.read_text("utf-8"))
    assert old_date is not None, dated
    steps = [
        ("cold build", lambda: None),
        ("nothing changed", lambda: None),
        ("notes.toml title edited", lambda: edit(WORK / "notes.toml", "Bench", "Bench 2")),
        ("one note: tag added", lambda: edit(victim, "\ntags: [", "\ntags: [benchtag, ")),
        ("one note: date changed", lambda: edit(dated, old_date.group(0), "\ndate: 2026-11-30")),
        ("one note: sentence appended", lambda: victim.write_text(
            victim.read_text("utf-8") + "\nOne more sentence for the benchmark.\n", "utf-8")),
    ]
    print(f"{args.notes} notes, search on, each `notes build` a fresh process:")
    print("| change | wall | CPU (with children) | Pagefind ran |\n|---|---|---|---|")
    for label, change in steps:
        change()
        wall, cpu, indexed = timed_build(WORK)
        print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {'yes' if indexed else 'no'} |",
              flush=True)


if __name__ == "__main__":
    main()
