"""`notes up`'s embedded S3 as history grows (issue 27): memory and version listing time.

    .venv/bin/python bench/up_memory.py [--notes 1000] [--deploys 100] [--every 25]
                                        [--moto-listing]

What ``notes up`` does on every save, ``--deploys`` times over a generated ``--notes``-note
corpus (``bench/_corpus.py``): edit one note (a different one each time), rebuild with the
build cache kept in memory, publish to the embedded S3 (moto's server in this process, set up
as ``EmbeddedS3`` sets it up).  At deploy 1 and every ``--every`` deploys it prints this
process's resident memory (VmRSS, and the peak VmHWM) and the time of a full
ListObjectVersions walk (``remote.list_live``, median of 3), which verify and rollback make.

Passes (exit 0) when, after the last deploy, RSS < 400 MB and the listing < 0.3 s.
``--moto-listing`` keeps moto's own ListObjectVersions (which deep-copies every version,
bodies included, per page) to show what ``serve/leans3.py`` saves.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
WORK = HERE / ".work" / "up_memory"
BUCKET = "bench-up"
RSS_LIMIT_MB = 400
LISTING_LIMIT_S = 0.3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process, in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def listing_seconds(client) -> tuple[float, float, int]:
    """(wall, CPU) seconds of a full version listing, median of 3, and the live keys.  The
    CPU time is this process's (the embedded server answers in it too): on a shared, loaded
    machine it says more than the wall clock."""
    from site_builder.deploy.remote import list_live

    walls, cpus, live = [], [], {}
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        live = list_live(client, BUCKET)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), len(live)


def versions(client) -> int:
    return sum(len(p.get("Versions", ())) + len(p.get("DeleteMarkers", ()))
               for p in client.get_paginator("list_object_versions").paginate(Bucket=BUCKET))


def edit(content: Path, n: int) -> None:
    notes = sorted(p for p in content.rglob("*.md") if not p.name.startswith("_"))
    note = notes[n % len(notes)]
    note.write_text(note.read_text() + f"\n\nEdit number {n}.\n")


class Keeper:
    """The build cache state held in memory between builds, as `notes serve`/`up` hold it."""

    def __init__(self) -> None:
        self.state = None

    def take(self, store):
        state, self.state = self.state, None
        return state

    def keep(self, store, state) -> None:
        self.state = state


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--deploys", type=int, default=100)
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--moto-listing", action="store_true",
                    help="keep moto's own ListObjectVersions (copies every version)")
    args = ap.parse_args()

    from _corpus import corpus

    from site_builder.deploy import publish
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions
    from site_builder.serve import embedded

    if args.moto_listing:
        embedded.lean_version_listing = lambda: None
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(corpus(args.notes), WORK / "content", ignore=shutil.ignore_patterns(".*"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    embedded.use_dummy_credentials()
    keeper = Keeper()
    options = BuildOptions(project_dir=WORK, search=False, keeper=keeper)
    rows = []
    started = time.perf_counter()
    with embedded.EmbeddedS3(free_port()) as s3:
        client = s3.client()
        embedded.create_site_bucket(client, BUCKET)
        for n in range(1, args.deploys + 1):
            if n > 1:
                edit(WORK / "content", n)
            site = build_site(options).out_dir
            publish(client, BUCKET, site, message=f"deploy {n}", source="notes up")
            if n == 1 or n % args.every == 0 or n == args.deploys:
                took, cpu, live = listing_seconds(client)
                rss, peak = memory_mb()
                rows.append((n, live, versions(client), took, cpu, rss, peak))
                print(f"after {n} deploys: {live} live keys, {rows[-1][2]} versions, "
                      f"listing {took * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU), RSS {rss:.0f} "
                      f"MB (peak {peak:.0f} MB)", flush=True)
    print(f"\n{args.deploys} deploys of a {args.notes}-note site in "
          f"{time.perf_counter() - started:.0f} s\n")
    print("| deploys | live keys | versions | version listing (CPU) | RSS | peak RSS |")
    print("|---|---|---|---|---|---|")
    for n, live, count, took, cpu, rss, peak in rows:
        print(f"| {n} | {live} | {count} | {took * 1000:.0f} ms ({cpu * 1000:.0f} ms) | "
              f"{rss:.0f} MB | {peak:.0f} MB |")
    _, _, _, took, _, rss, _ = rows[-1]
    ok = rss < RSS_LIMIT_MB and took < LISTING_LIMIT_S
    print(f"\n{'PASS' if ok else 'FAIL'}: RSS {rss:.0f} MB (limit {RSS_LIMIT_MB}), listing "
          f"{took * 1000:.0f} ms (limit {LISTING_LIMIT_S * 1000:.0f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
