"""The cold search index alone (issue 17: half of 12.1 s at 5,000 notes, under 600 MB).

    .venv/bin/python bench/cold_index.py [--notes 5000] [--runs 5] [--settle 65]

Builds the generated corpus once with ``--no-search``, then, for each run, taking turns going
first, in a fresh process each: the builder's ``search.build_index`` (every shard, from
nothing) and one ``pagefind --site`` over the whole site (the index before shards, as the 12.1 s
was measured).  Wall and CPU seconds (process and children: the page readers and every
Pagefind), medians at the end; then one more run of each, sampled every 20 ms for the peak
RSS of its process tree.  The timed runs are not sampled: walking /proc that often takes some
3% of this 2-core machine from the runs it measures.

Why the runs keep their output until the end, and why the script first waits ``--settle``
seconds after ``sync``: this VM's disk is ext4 *without a journal*, and there the kernel's
inode allocator skips every inode freed in the last 60 s (5 more minutes while its inode table
block is dirty), re-reading each one's table entry, for every new file.  Creating the index's
~5,300 files right after deleting the previous run's 5,300 then costs 3-5 s of system time
that has nothing to do with the indexer (the same files in a folder with no recent deletions:
0.2 s).  So no run deletes anything (each index is moved aside, a rename), and the first run
starts after the setup's deletions have aged.  ``--after-delete`` adds one run of each right
after deleting the previous index, to show that cost.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus
from search_edits import run_measured, search_executable

WORK = HERE / ".work" / "cold-index"
CODE = "import sys; from site_builder.search.index import build_index; build_index(sys.argv[1])"


def build_site(notes: int) -> Path:
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(corpus(notes), WORK / "content", ignore=shutil.ignore_patterns(".complete"))
    (WORK / "notes.toml").write_text('title = "Bench"\n')
    notes_cli = Path(sys.executable).parent / "notes"
    subprocess.run([str(notes_cli), "build", "--no-search"], cwd=WORK, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return WORK / "build" / "site"


def one_run(site: Path, way: str, aside: Path, sample: bool = False
            ) -> tuple[float, float, int]:
    """One cold index, its output then moved aside (a rename: nothing deleted)."""
    if way == "shards":
        result = run_measured([sys.executable, "-c", CODE, str(site)], sample=sample)
        (site / "pagefind").rename(aside)
    else:
        result = run_measured([str(search_executable()), "--site", str(site),
                               "--output-path", str(aside)], sample=sample)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--settle", type=float, default=65.0,
                    help="seconds to wait after setup's deletions (see the docstring)")
    ap.add_argument("--after-delete", action="store_true",
                    help="one more run of each right after deleting the previous index")
    args = ap.parse_args()
    site = build_site(args.notes)
    aside = WORK / "indexes"
    aside.mkdir()
    subprocess.run(["sync"], check=False)
    time.sleep(args.settle)
    ways = {"shards": "shards (`search.build_index`)",
            "bundle": "one bundle (`pagefind --site`, as before)"}
    got: dict[str, list[tuple[float, float]]] = {w: [] for w in ways}
    print(f"{args.notes} notes, cold search index, fresh process each:")
    print("| run | way | wall | CPU |\n|---|---|---|---|")
    for run in range(args.runs):
        order = list(ways) if run % 2 == 0 else list(reversed(ways))
        for way in order:
            wall, cpu, _ = one_run(site, way, aside / f"{way}-{run}")
            got[way].append((wall, cpu))
            print(f"| {run + 1} | {way} | {wall:.2f} s | {cpu:.2f} s |", flush=True)
    peaks = {way: one_run(site, way, aside / f"{way}-memory", sample=True)[2] for way in ways}
    print("\n| way | wall (median) | CPU (median) | peak RSS (tree, one sampled run) |\n"
          "|---|---|---|---|")
    for way, label in ways.items():
        walls, cpus = zip(*got[way])
        print(f"| {label} | {statistics.median(walls):.2f} s | {statistics.median(cpus):.2f} s"
              f" | {peaks[way] / 2**20:,.0f} MB |")
    if args.after_delete:
        print("\nRight after deleting the previous index (ext4 without a journal, see above):")
        for way, label in ways.items():
            shutil.rmtree(aside)
            aside.mkdir()
            wall, cpu, _ = one_run(site, way, aside / way)
            print(f"| {label} | {wall:.2f} s | {cpu:.2f} s |", flush=True)
    shutil.rmtree(aside, ignore_errors=True)


if __name__ == "__main__":
    main()
