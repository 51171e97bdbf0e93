"""Listing cost as history grows (issue 12, item 9): ``list_live`` after 1..100 deploys.

    .venv/bin/python bench/listing.py [--deploys 100] [--every 25] [--repeat 5]

Copies the project's sample notes (``content/``, 30 notes) into ``bench/.work/listing/``, starts
moto's ``ThreadedMotoServer`` on 127.0.0.1, and repeats: append a sentence to one note (a
different one each time), build with ``build_site`` (Pagefind included, so every deploy also
replaces some hashed index chunks: new versions and delete markers), ``publish``.  At deploy 1
and every ``--every`` deploys it times, median of ``--repeat`` calls each:

- ``list_live`` as the engine calls it: ListObjectVersions over the whole bucket, every
  version and delete marker ever made (``_notes/`` records and lock included);
- ListObjectsV2 over the bucket (live keys and ETags only, no VersionIds) for comparison;

and counts the requests (pages) and the entries each listing walks.
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
sys.path.insert(0, str(REPO / "tests"))
from requestcount import RequestCounter

WORK = HERE / ".work" / "listing"
BUCKET = "bench-listing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def walked(client) -> tuple[int, int]:
    """(versions + delete markers a full ListObjectVersions walks, of which under _notes/)."""
    total = private = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
        for entry in [*page.get("Versions", ()), *page.get("DeleteMarkers", ())]:
            total += 1
            private += entry["Key"].startswith("_notes/")
    return total, private


def list_v2(client) -> int:
    keys = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys += len(page.get("Contents", ()))
    return keys


def timed(fn, requests: RequestCounter, repeat: int) -> tuple[float, int, object]:
    times = []
    for _ in range(repeat):
        requests.take()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        calls = sum(requests.take().values())
    return statistics.median(times), calls, out


def build(project: Path) -> Path:
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    # cache=False: a fresh build each time (the same bytes; avoids a cached-rebuild bug)
    return Path(build_site(BuildOptions(project_dir=project, jobs=1, cache=False)).out_dir)


def edit(content: Path, n: int) -> None:
    notes = sorted(p for p in content.rglob("*.md") if not p.name.startswith("_"))
    note = notes[n % len(notes)]
    note.write_text(note.read_text() + f"\n\nBenchmark edit {n}.\n")


def measure(client, requests: RequestCounter, repeat: int) -> dict:
    from site_builder.deploy.remote import list_live

    live_t, live_calls, live = timed(lambda: list_live(client, BUCKET), requests, repeat)
    v2_t, v2_calls, _ = timed(lambda: list_v2(client), requests, repeat)
    total, private = walked(client)
    return {"live": len(live), "live_t": live_t, "live_calls": live_calls, "walked": total,
            "private": private, "v2_t": v2_t, "v2_calls": v2_calls}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deploys", type=int, default=100)
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from site_builder.deploy import publish

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    shutil.copytree(REPO / "content", WORK / "content")
    shutil.copy(REPO / "notes.toml", WORK / "notes.toml")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    rows = []
    started = time.perf_counter()
    try:
        client = boto3.client(
            "s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="bench", aws_secret_access_key="bench",
            config=Config(max_pool_connections=32, s3={"addressing_style": "path"}))
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        requests = RequestCounter(client)
        for n in range(1, args.deploys + 1):
            if n > 1:
                edit(WORK / "content", n)
            publish(client, BUCKET, build(WORK), message=f"deploy {n}")
            if n == 1 or n % args.every == 0:
                rows.append(dict(measure(client, requests, args.repeat), deploys=n))
                print(f"after {n} deploys: {rows[-1]}", flush=True)
    finally:
        server.stop()
    print(f"\n{args.deploys} deploys in {time.perf_counter() - started:.0f} s\n")
    print("| deploys | live keys | entries walked (of which _notes/) | list_live (requests) "
          "| ListObjectsV2 (requests) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['deploys']} | {r['live']} | {r['walked']} ({r['private']}) | "
              f"{r['live_t'] * 1000:.0f} ms ({r['live_calls']}) | "
              f"{r['v2_t'] * 1000:.0f} ms ({r['v2_calls']}) |")

if __name__ == "__main__":
    main()
