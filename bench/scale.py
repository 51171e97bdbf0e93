"""Build and deploy from 1,000 to 20,000 notes (issue 28): time and peak memory, as a curve.

    .venv/bin/python bench/scale.py [--notes 1000 5000 10000 20000]

For each corpus size (``bench/_corpus.py``), whole ``notes`` processes as a user runs them, one
after the other, with moto's S3 server in a process of its own (``bench/deploy.py``'s
``Server``; a versioned bucket per size):

* **cold build**: ``notes build`` with no build cache and no output folder;
* **first deploy**: ``notes deploy --site build/site`` into the empty bucket (every file);
* **edit -> live**: one note edited, ``notes deploy`` (builds, then publishes the change).

Memory is the peak over the command's whole process tree (the CLI, the build child that
``notes deploy`` forks, the build's worker processes), sampled every 0.2 s from /proc like
``bench/build.py`` does: PSS (shared pages counted once) and RSS (counted in every process).
The last table divides each figure by the number of thousands of notes: a flat column is a
linear curve.  Passes (exit 0) when every peak PSS is under 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus
from build import communicate_sampled
from deploy import Server

WORK = HERE / ".work" / "scale"
LIMIT_MB = 1024
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_EC2_METADATA_DISABLED": "true"}
ENV.pop("AWS_PROFILE", None)
NOTES = str(Path(sys.executable).parent / "notes")


def measured(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, peak tree PSS MB, peak tree RSS MB) of one command."""
    os.sync()
    time.sleep(1.0)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err, peak = communicate_sampled(proc)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out[-2000:]}\n{err[-3000:]}")
    return wall, peak[1] / 1024, peak[0] / 1024


def one_size(notes: int, endpoint: str) -> dict[str, tuple[float, float, float]]:
    import boto3

    project = WORK / f"n{notes}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(corpus(notes), project / "content",
                    ignore=shutil.ignore_patterns(".complete"))
    bucket = f"bench-scale-{notes}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    deploy = [NOTES, "deploy", "--bucket", bucket, "--endpoint-url", endpoint]
    rows = {"cold build": measured([NOTES, "build"], project),
            "first deploy": measured(deploy + ["--site", "build/site"], project)}
    victim = sorted((project / "content").rglob("*.md"))[notes // 2]
    victim.write_text(victim.read_text() + "\n\nOne more sentence.\n")
    rows["edit -> live"] = measured(deploy, project)
    for step, (wall, pss, rss) in rows.items():
        print(f"  {notes:,} notes, {step}: {wall:.2f} s, peak PSS {pss:.0f} MB, "
              f"RSS {rss:.0f} MB", flush=True)
    return rows


def report(table: dict[int, dict[str, tuple[float, float, float]]]) -> bool:
    steps = list(next(iter(table.values())))
    print("\n| notes | " + " | ".join(f"{s}: s / peak PSS MB" for s in steps) + " |")
    print("|---|" + "---|" * len(steps))
    for notes, rows in table.items():
        print(f"| {notes:,} | " + " | ".join(f"{rows[s][0]:.2f} / {rows[s][1]:.0f}"
                                            for s in steps) + " |")
    print("\nPer 1,000 notes (flat = linear):\n")
    print("| notes | " + " | ".join(f"{s}: s / MB" for s in steps) + " |")
    print("|---|" + "---|" * len(steps))
    for notes, rows in table.items():
        k = notes / 1000
        print(f"| {notes:,} | " + " | ".join(f"{rows[s][0] / k:.2f} / {rows[s][1] / k:.0f}"
                                            for s in steps) + " |")
    worst = max(rows[s][1] for rows in table.values() for s in steps)
    print(f"\nlargest peak PSS: {worst:.0f} MB (limit {LIMIT_MB} MB)")
    return worst < LIMIT_MB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    args = ap.parse_args()
    server = Server("process")
    endpoint = server.start()
    try:
        table = {notes: one_size(notes, endpoint) for notes in args.notes}
    finally:
        server.stop()
    sys.exit(0 if report(table) else 1)


if __name__ == "__main__":
    main()
