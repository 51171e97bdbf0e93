"""Build benchmark (issue 7): cold, warm and one-edit builds of generated corpora.

    .venv/bin/python bench/build.py [--sizes 1000 5000] [--runs 3]

For each corpus size it generates notes with ``../shared/bench/gen_corpus.py`` (deterministic,
cached under bench/.corpus/), then, ``--runs`` times: a cold build (empty output and cache), a
warm rebuild with nothing changed, a rebuild after editing one note, the single-process
baseline loop (bench/baseline.py) and, separately, the Pagefind search indexing.  Each step runs
in a fresh process; the table shows medians.  Peak memory is sampled as the summed RSS of the
whole process tree (the builder and its worker pool) every 20 ms.
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
REPO = HERE.parent
GEN = REPO.parent / "shared" / "bench" / "gen_corpus.py"
WORK = HERE / ".work"
CORPORA = HERE / ".corpus"


def corpus(n: int) -> Path:
    """Generate (once) an n-note corpus; gen_corpus is deterministic so a cached copy is exact."""
    target = CORPORA / f"n{n}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([sys.executable, str(GEN), str(target), str(n)], check=True,
                       stdout=subprocess.DEVNULL)
        (target / ".complete").write_text("ok")
    return target


def tree_rss_kb(pid: int) -> int:
    """Summed VmRSS of pid and all its descendants, read from /proc."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def timed(mode: str, project: Path, content: Path, out: Path, opts: dict | None = None) -> dict:
    cmd = [sys.executable, str(HERE / "_build_once.py"), mode, str(project), str(content),
           str(out), json.dumps(opts or {})]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["tree_peak_mb"] = peak[0] / 1024
    return result


def edit_one_note(content: Path, run: int) -> Path:
    """Append a sentence to one fixed note: a real change every run."""
    note = sorted(content.rglob("*.md"))[len(list(content.rglob("*.md"))) // 3]
    with note.open("a", encoding="utf-8") as fh:
        fh.write(f"\n\nEdited for benchmark run {run}.\n")
    return note


def bench_size(n: int, runs: int) -> dict:
    source = corpus(n)
    rows: dict[str, list[float]] = {k: [] for k in (
        "cold", "warm", "edit", "baseline", "search", "cold_mb", "warm_mb", "edit_mb")}
    for run in range(runs):
        project = WORK / f"n{n}"
        shutil.rmtree(project, ignore_errors=True)
        content = project / "content"
        shutil.copytree(source, content, ignore=shutil.ignore_patterns(".complete"))
        out = project / "build" / "site"
        opts = {"search": False}
        cold = timed("build", project, content, out, opts)
        warm = timed("build", project, content, out, opts)
        edit_one_note(content, run)
        edit = timed("build", project, content, out, opts)
        search = timed("search", project, content, out)
        base = timed("baseline", project, content, project / "baseline-out")
        for key, res in (("cold", cold), ("warm", warm), ("edit", edit),
                         ("search", search), ("baseline", base)):
            rows[key].append(res["seconds"])
        for key, res in (("cold_mb", cold), ("warm_mb", warm), ("edit_mb", edit)):
            rows[key].append(res["tree_peak_mb"])
        rows.setdefault("pages", []).append(cold["count"])
    return {k: statistics.median(v) for k, v in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; medians of {args.runs} runs; search timed apart")
    print(f"{'notes':>6} {'cold s':>7} {'notes/s':>8} {'baseline s':>10} {'ratio':>6} "
          f"{'warm s':>7} {'edit s':>7} {'search s':>8} {'peak MB':>8}")
    for n in args.sizes:
        r = bench_size(n, args.runs)
        peak = max(r["cold_mb"], r["warm_mb"], r["edit_mb"])
        print(f"{n:>6} {r['cold']:>7.2f} {n / r['cold']:>8.0f} {r['baseline']:>10.2f} "
              f"{r['baseline'] / r['cold']:>6.2f} {r['warm']:>7.2f} {r['edit']:>7.2f} "
              f"{r['search']:>8.2f} {peak:>8.0f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
