"""Deploy benchmark (issue 4): a built 1,000-note site published to moto's S3 server.

    .venv/bin/python bench/deploy.py [--notes 1000] [--workers 16]

Generates the corpus with ``../shared/bench/gen_corpus.py`` (cached under bench/.corpus/),
builds it with ``site_builder.build.build_site`` (falls back to a synthetic ~1,010-file site if
the builder fails, and says so), starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 with a
free port, and measures four operations through the real CLI code path (``publish`` /
``rollback`` with a boto3 client on the endpoint): first deploy, unchanged redeploy (after a
rebuild), a one-note edit (edit, rebuild, deploy) and a rollback to the first deploy.  HTTP
requests are counted with a botocore ``before-send`` hook (so retries would count too).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

REPO = HERE.parent
sys.path.insert(0, str(REPO))
WORK = HERE / ".work" / "deploy"


def build(content: Path, out: Path) -> tuple[Path, str]:
    """Build with the real builder (a failure stops the benchmark: it measures real sites)."""
    from site_builder.build import BuildOptions, build_site

    result = build_site(BuildOptions(project_dir=WORK, content_dir=content, out_dir=out))
    return result.out_dir, f"built by build_site: {result.pages} pages, {result.files} files"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RequestCounter:
    def __init__(self, client):
        self.ops: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register("before-send.s3", self._hook)

    def _hook(self, request, **kwargs):
        name = kwargs.get("event_name", "").rsplit(".", 1)[-1]
        with self._lock:
            self.ops[name] += 1

    def take(self) -> Counter[str]:
        with self._lock:
            ops, self.ops = self.ops, Counter()
        return ops


def edit_one_note(content: Path) -> Path:
    notes = sorted(p for p in content.rglob("*.md") if "draft: true" not in p.read_text())
    victim = notes[len(notes) // 2]
    victim.write_text(victim.read_text() + "\n\nOne more sentence for the benchmark.\n")
    return victim


def measure(label: str, counter: RequestCounter, fn) -> dict:
    counter.take()
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    ops = counter.take()
    plan = result[0].plan if isinstance(result, tuple) else result.plan
    return {"step": label, "wall": wall, "requests": sum(ops.values()), "ops": dict(ops),
            "plan": plan.summary()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=16)
    args = ap.parse_args()

    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from site_builder.deploy import history, publish, rollback

    shutil.rmtree(WORK, ignore_errors=True)
    content = WORK / "content"
    shutil.copytree(corpus(args.notes), content, ignore=shutil.ignore_patterns(".complete"))
    site, how = build(content, WORK / "site")
    files = sum(1 for p in site.rglob("*") if p.is_file())
    print(f"site: {files} files ({how})")

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        client = boto3.client(
            "s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="bench", aws_secret_access_key="bench",
            config=Config(max_pool_connections=32, s3={"addressing_style": "path"}))
        client.create_bucket(Bucket="bench-site")
        client.put_bucket_versioning(Bucket="bench-site",
                                     VersioningConfiguration={"Status": "Enabled"})
        counter = RequestCounter(client)
        pub = lambda: publish(client, "bench-site", site, workers=args.workers)
        rows = [measure("first deploy", counter, pub)]
        first_id = history(client, "bench-site")[0].id
        counter.take()
        print("rebuild:", build(content, WORK / "site")[1])
        rows.append(measure("rebuild, nothing changed", counter, pub))
        victim = edit_one_note(content)
        print(f"edited {victim.relative_to(content)}; rebuild:", build(content, WORK / "site")[1])
        rows.append(measure(f"one note edited ({victim.name})", counter, pub))
        rows.append(measure("rollback to first deploy", counter, lambda: rollback(
            client, "bench-site", first_id, workers=args.workers)))
    finally:
        server.stop()

    print("\n| step | plan | requests | wall |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['plan']} | {r['requests']} | {r['wall']:.2f} s |")
    print()
    for r in rows:
        print(f"{r['step']}: " + ", ".join(f"{k} {v}" for k, v in sorted(r["ops"].items())))


if __name__ == "__main__":
    main()
