"""The build's edit path and a small site's cold build, as fresh processes (issue 28).

    .venv/bin/python bench/edit_path.py [--notes 1000 5000] [--runs 5] [--ref REV]
    .venv/bin/python bench/edit_path.py --cold 170 [--runs 5] [--ref REV]

Edit path: the generated corpus (``../shared/bench/gen_corpus.py``) is built cold with search
on (setup, not timed); then each run appends a sentence to the body of another note and times
``notes build`` (search on, the default) as a fresh process.  ``--cold N``: each run removes
the output and the cache of an N-note corpus and times a cold build with search on.

Each figure is wall time (the whole process, interpreter start included) and CPU time (user +
system of the process and every child it waited for: workers and Pagefind).  With ``--ref``
the builder of that revision (a temporary git worktree) runs the same steps on its own copy,
taking turns with this tree's in each run, so both see the same minutes of a noisy machine.
Bytecode is written and used (``PYTHONDONTWRITEBYTECODE`` is dropped for the children, and one
warm-up build runs first): an installed package has its ``.pyc`` files, and compiling every
module from source would be timed otherwise.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

REPO = HERE.parent
WORK = HERE / ".work" / "edit-path"


def _env(code: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(code)}


def timed_build(code: Path, project: Path) -> tuple[float, float]:
    """One ``notes build`` of ``project`` by the builder at ``code``: (wall, CPU) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "site_builder", "build"], cwd=project,
                   env=_env(code), check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def fresh_project(name: str, notes: int) -> Path:
    project = WORK / name
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    shutil.copytree(corpus(notes), project / "content",
                    ignore=shutil.ignore_patterns(".complete"))
    (project / "notes.toml").write_text('title = "Bench"\nbase_url = "https://bench.example"\n')
    return project


def clear(project: Path) -> None:
    shutil.rmtree(project / "build", ignore_errors=True)
    shutil.rmtree(project / ".notes-cache", ignore_errors=True)


def run(codes: dict[str, Path], notes: int, runs: int, cold: bool) -> dict[str, list]:
    """Each run, each builder in turn (the first to go alternates); the figures per builder."""
    projects = {name: fresh_project(f"{name}-{notes}", notes) for name in codes}
    for name, code in codes.items():
        timed_build(code, projects[name])  # cold setup, and the .pyc files written
    sources = sorted((projects[next(iter(codes))] / "content").rglob("*.md"))
    found: dict[str, list] = {name: [] for name in codes}
    for i in range(runs):
        order = list(codes) if i % 2 == 0 else list(reversed(codes))
        for name in order:
            project = projects[name]
            if cold:
                clear(project)
            else:
                note = project / sources[(i * 37) % len(sources)].relative_to(projects[
                    next(iter(codes))])
                with open(note, "a", encoding="utf-8") as f:
                    f.write(f"\nOne more sentence about replica {i}.\n")
            wall, cpu = timed_build(codes[name], project)
            found[name].append((wall, cpu))
            print(f"  run {i + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--cold", type=int, help="time cold builds of an N-note corpus instead")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ref", help="also run the builder of this git revision, in turns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edit-path-") as tmp:
        codes = {"this": REPO}
        if args.ref:
            ref = Path(tmp) / "ref"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(ref),
                            args.ref], check=True, capture_output=True)
            codes["ref"] = ref
        try:
            for notes in [args.cold] if args.cold else args.notes:
                what = "cold build" if args.cold else "one-note edit"
                print(f"{notes} notes, {what}, search on:", flush=True)
                found = run(codes, notes, args.runs, bool(args.cold))
                for name, rows in found.items():
                    print(f"{notes} notes {what} [{name}]: median "
                          f"{statistics.median(w for w, _ in rows):.2f} s wall, "
                          f"{statistics.median(c for _, c in rows):.2f} s CPU")
        finally:
            if args.ref:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(codes["ref"])], check=False, capture_output=True)


if __name__ == "__main__":
    main()
