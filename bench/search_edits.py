"""Edits with search on (issue 17): which rebuilds run Pagefind, and what each costs.

    .venv/bin/python bench/search_edits.py [--notes 5000]

Builds the generated corpus cold with search on (the default, what `notes deploy` runs), then
times `notes build` as a fresh process after each of: nothing changed, a `notes.toml` edit (every
page's chrome), a tag added to one note, a date changed on one note (feed and lists), and one
sentence appended to one note's body.  For each: wall and CPU seconds (the process and every
child it waited for: workers and Pagefind), the peak RSS of the whole process tree (sampled
from /proc every 20 ms: with shards, two Pagefind processes at a time), and how many Pagefind
bundles were rewritten (of how many).

Then the cold search index alone over the built site, in a fresh process: the builder's
``search.build_index`` (every shard) against one ``pagefind --site`` run over the whole site (the
index before shards), side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
from _corpus import corpus

WORK = HERE / ".work" / "search-edits"


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    parent, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            parent[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for pid, size in rss.items():
        walk = pid
        while walk > 1 and walk != root:
            walk = parent.get(walk, 0)
        total += size if walk == root else 0
    return total


def run_measured(cmd: list[str], cwd: Path | None = None, sample: bool = True
                 ) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its children, peak tree RSS in bytes; 0 unless
    ``sample``).  Sampling walks all of /proc every 20 ms (about 1.3 ms of CPU each time here,
    some 3% of a 2-core machine taken from what is measured), so a run timed to the tenth of
    a second should not also be sampled."""
    subprocess.run(["sync"], check=False)
    time.sleep(2)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample_tree() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample_tree, daemon=True)
    if sample:
        sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    if sample:
        sampler.join()
    if proc.returncode:
        raise SystemExit(f"{cmd} failed: {err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return wall, cpu, peak[0]


def _entries(site: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (site / "pagefind").rglob("pagefind-entry.json")}


def timed_build(project: Path) -> tuple[float, float, int, str]:
    site = project / "build" / "site"
    before = _entries(site) if site.is_dir() else {}
    wall, cpu, peak = run_measured([str(Path(sys.executable).parent / "notes"), "build"],
                                   cwd=project)
    after = _entries(site)
    ran = sum(1 for p, m in after.items() if before.get(p) != m)
    return wall, cpu, peak, f"{ran} of {len(after)}"


def cold_index(site: Path) -> None:
    """The search index alone, from nothing, each way in a fresh process."""
    scratch = WORK / "one-bundle"
    shutil.rmtree(site / "pagefind", ignore_errors=True)
    code = "import sys; from site_builder.search.index import build_index; build_index(sys.argv[1])"
    ways = [("shards (`search.build_index`)", [sys.executable, "-c", code, str(site)]),
            ("one bundle (`pagefind --site`, as before)",
             [str(search_executable()), "--site", str(site), "--output-path", str(scratch)])]
    print("\n| cold search index | wall | CPU | peak RSS (tree) |\n|---|---|---|---|")
    for label, cmd in ways:
        shutil.rmtree(scratch, ignore_errors=True)
        wall, cpu, peak = run_measured(cmd)
        print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {peak / 2**20:,.0f} MB |", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


def search_executable() -> Path:
    from site_builder.search.pagefind import pagefind_executable

    return pagefind_executable()


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
    print("| change | wall | CPU (with children) | peak RSS (tree) | bundles re-made |")
    print("|---|---|---|---|---|")
    for label, change in steps:
        change()
        wall, cpu, peak, ran = timed_build(WORK)
        print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {peak / 2**20:,.0f} MB | {ran} |",
              flush=True)
    cold_index(WORK / "build" / "site")


if __name__ == "__main__":
    main()
