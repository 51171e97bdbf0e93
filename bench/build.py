"""Build benchmark (issue 7): cold, warm and one-edit builds of generated corpora.

    .venv/bin/python bench/build.py [--sizes 1000 5000] [--runs 3]

For each corpus size it generates notes with ``../shared/bench/gen_corpus.py`` (deterministic,
cached under bench/.corpus/), then, ``--runs`` times: a cold build (empty output and cache), the
single-process baseline loop (bench/baseline.py) and that loop split over two processes (the
ceiling), then a warm rebuild with nothing changed, a rebuild after editing one note and,
separately, the Pagefind search indexing.  Each step runs in a fresh process; the table shows
medians, and the speed-up both as the ratio of the medians and as the median of each run's
own ratio (its cold build and baseline timed minutes apart, not runs apart).  Peak memory is
sampled every 200 ms over the whole process tree (the builder and its forked workers) as summed
PSS (shared pages split between the processes sharing them: the memory the build really
occupies) and as summed RSS (shared pages counted once per process: an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

REPO = HERE.parent
WORK = HERE / ".work"
PAUSE_SECONDS = 10
# Timed against each other in every run: our cold build, the one-process baseline loop, and
# that loop split over two processes (the most any two-core build of this work could do).
COMPARED = ("cold", "baseline", "ceiling")


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) in KiB of pid and all its descendants, read from /proc.

    RSS counts a page shared by the builder and its forked workers once per process; PSS
    splits it between them, so the PSS sum is the memory the build really occupies."""
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue
    return rss, pss


def communicate_sampled(proc: subprocess.Popen) -> tuple[str, str, list[int]]:
    """``proc.communicate()`` while its process tree's memory is sampled every 0.2 s:
    (stdout, stderr, [peak RSS KiB, peak PSS KiB])."""
    peak = [0, 0]

    def sample() -> None:
        while proc.poll() is None:
            rss, pss = tree_memory_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.2)  # reading smaps costs CPU the build should have

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.join()
    return stdout, stderr, peak


def timed(mode: str, project: Path, content: Path, out: Path, opts: dict | None = None) -> dict:
    cmd = [sys.executable, str(HERE / "_build_once.py"), mode, str(project), str(content),
           str(out), json.dumps(opts or {})]
    # Start every step on a quiet machine: the corpus copy, or the previous step's output,
    # would otherwise still be written back while this step runs (and slow it, not its peer),
    # and this shared VM runs noticeably slower for a while after a minute of full load (a
    # one-note edit measured just after the baseline took up to 1.7x its time a minute later).
    os.sync()
    time.sleep(PAUSE_SECONDS)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO)
    stdout, stderr, peak = communicate_sampled(proc)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall"] = wall  # the whole process: interpreter start, imports, build, exit
    result["tree_rss_mb"], result["tree_pss_mb"] = peak[0] / 1024, peak[1] / 1024
    return result


def edit_one_note(content: Path, run: int) -> Path:
    """Append a sentence to one fixed note: a real change every run."""
    note = sorted(content.rglob("*.md"))[len(list(content.rglob("*.md"))) // 3]
    with note.open("a", encoding="utf-8") as fh:
        fh.write(f"\n\nEdited for benchmark run {run}.\n")
    return note


def bench_size(n: int, runs: int) -> dict:
    source = corpus(n)
    rows: dict[str, list[float]] = {}

    def keep(key: str, value: float) -> None:
        rows.setdefault(key, []).append(value)

    for run in range(runs):
        project = WORK / f"n{n}"
        shutil.rmtree(project, ignore_errors=True)
        content = project / "content"
        shutil.copytree(source, content, ignore=shutil.ignore_patterns(".complete"))
        out = project / "build" / "site"
        opts = {"search": False}
        steps = {}
        # The compared steps take turns going first, so that none always follows the
        # heaviest one (this VM runs slower for a while after sustained load).
        for step in COMPARED if run % 2 == 0 else COMPARED[::-1]:
            steps[step] = (timed("build", project, content, out, opts) if step == "cold"
                           else timed(step, project, content, project / f"{step}-out"))
        steps["warm"] = timed("build", project, content, out, opts)
        edit_one_note(content, run)
        steps["edit"] = timed("build", project, content, out, opts)
        steps["search"] = timed("search", project, content, out)
        keep("ratio", steps["baseline"]["seconds"] / steps["cold"]["seconds"])
        keep("ceiling_ratio", steps["baseline"]["seconds"] / steps["ceiling"]["seconds"])
        for key, res in steps.items():
            keep(key, res["seconds"])
            keep(f"{key}_wall", res["wall"])
            keep(f"{key}_pss", res["tree_pss_mb"])
            keep(f"{key}_rss", res["tree_rss_mb"])
        print(f"  run {run + 1}: " + ", ".join(
            f"{k} {v['seconds']:.2f}s/{v['wall']:.2f}s wall/{v['tree_pss_mb']:.0f} MB"
            for k, v in steps.items()) + f"; ratio {rows['ratio'][-1]:.2f}, ceiling "
            f"{rows['ceiling_ratio'][-1]:.2f}", file=sys.stderr)
    return {k: statistics.median(v) for k, v in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; medians of {args.runs} runs; seconds inside the "
          "build process (wall = whole process incl. interpreter start); search timed apart")
    print("ratio = median baseline / median cold; paired = median over runs of that run's "
          "baseline / cold; ceiling = the same for the baseline split over two processes")
    print(f"{'notes':>6} {'cold s':>7} {'notes/s':>8} {'baseline s':>10} {'ratio':>6} "
          f"{'paired':>6} {'ceiling':>7} {'warm s':>7} {'(wall)':>7} {'edit s':>7} {'(wall)':>7} "
          f"{'search s':>8} {'peak PSS MB':>11} {'peak RSS MB':>11}")
    for n in args.sizes:
        r = bench_size(n, args.runs)
        builds = ("cold", "warm", "edit")
        pss = max(r[f"{k}_pss"] for k in builds)
        rss = max(r[f"{k}_rss"] for k in builds)
        print(f"{n:>6} {r['cold']:>7.2f} {n / r['cold']:>8.0f} {r['baseline']:>10.2f} "
              f"{r['baseline'] / r['cold']:>6.2f} {r['ratio']:>6.2f} {r['ceiling_ratio']:>7.2f} "
              f"{r['warm']:>7.2f} {r['warm_wall']:>7.2f} "
              f"{r['edit']:>7.2f} {r['edit_wall']:>7.2f} {r['search']:>8.2f} {pss:>11.0f} "
              f"{rss:>11.0f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
