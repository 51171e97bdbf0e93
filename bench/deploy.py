"""Deploy benchmark (issues 4, 17): a built 1,000-note site published to moto's S3 server.

    .venv/bin/python bench/deploy.py [--notes 1000] [--workers 16] [--server thread|process]

Generates the corpus with ``../shared/bench/gen_corpus.py`` (cached under bench/.corpus/),
builds it with ``site_builder.pipeline.build.build_site`` (falls back to a synthetic ~1,010-file site if
the builder fails, and says so), starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 with a
free port, and measures four operations through the real CLI code path (``publish`` /
``rollback`` with a boto3 client on the endpoint): first deploy, unchanged redeploy (after a
rebuild), a one-note edit (edit, rebuild, deploy) and a rollback to the first deploy.  HTTP
requests are counted with a botocore ``before-send`` hook (so retries would count too).

``--server thread`` (the default, as in issue 4) runs moto in this process, sharing the GIL with
the client: the figure is then mostly moto's own cost.  ``--server process`` runs moto's server
in its own process, so the client and the server each have a core; both print the client's and
the server's CPU seconds per request so the two costs can be told apart.  The client is made by
``site_builder.deploy.client.deploy_client``, as the CLI makes it.

``--plan-notes N`` also times (``--notes 0 --plan-notes N``: only times) planning an unchanged deploy of the N-note site: scanning the
built folder with the build's MD5 manifest and without it, then the plan (local, no S3).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from _corpus import corpus
from latency_proxy import wait_for_port
from requestcount import RequestCounter

REPO = HERE.parent
sys.path.insert(0, str(REPO))
WORK = HERE / ".work" / "deploy"


def build(content: Path, out: Path) -> tuple[Path, str]:
    """Build with the real builder (a failure stops the benchmark: it measures real sites)."""
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    result = build_site(BuildOptions(project_dir=WORK, content_dir=content, out_dir=out))
    return result.out_dir, f"built by build_site: {result.pages} pages, {result.files} files"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def edit_one_note(content: Path) -> Path:
    notes = sorted(p for p in content.rglob("*.md") if "draft: true" not in p.read_text())
    victim = notes[len(notes) // 2]
    victim.write_text(victim.read_text() + "\n\nOne more sentence for the benchmark.\n")
    return victim


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """moto's S3 server in this process (a thread) or in its own process."""

    def __init__(self, kind: str):
        self.kind, self.port = kind, free_port()
        self.proc: subprocess.Popen | None = None
        self.thread_server = None

    def start(self) -> str:
        if self.kind in ("process", "fast"):  # fast: bench/moto_fast.py's cheaper listing
            server = ["-m", "moto.server"] if self.kind == "process" else [
                str(HERE / "moto_fast.py")]
            self.proc = subprocess.Popen(
                [sys.executable, *server, "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(self.port)
        else:
            import logging

            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            self.thread_server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port,
                                                    verbose=False)
            self.thread_server.start()
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        """The server process's CPU (0 for the thread: it is inside the client's figure)."""
        return cpu_of(self.proc.pid) if self.proc else 0.0

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
        if self.thread_server:
            self.thread_server.stop()


def measure(label: str, counter: RequestCounter, fn, server: Server) -> dict:
    counter.take()
    cpu, server_cpu = time.process_time(), server.cpu()
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    cpu, server_cpu = time.process_time() - cpu, server.cpu() - server_cpu
    ops = counter.take()
    plan = result[0].plan if isinstance(result, tuple) else result.plan
    return {"step": label, "wall": wall, "requests": sum(ops.values()), "ops": dict(ops),
            "plan": plan.summary(), "cpu": cpu, "server_cpu": server_cpu}


def time_planning(notes: int) -> None:
    """Scan (with and without the manifest) and plan an unchanged deploy of ``notes`` notes."""
    from site_builder.deploy.local import FolderSource
    from site_builder.deploy.manifest import manifest_path
    from site_builder.deploy.plan import make_plan
    from site_builder.deploy.record import FileEntry
    from site_builder.deploy.remote import RemoteObject

    work = HERE / ".work" / f"plan{notes}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(corpus(notes), work / "content", ignore=shutil.ignore_patterns(".complete"))
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    site = build_site(BuildOptions(project_dir=work)).out_dir
    files = FolderSource(site).scan()
    live = {f.key: RemoteObject(f.key, f.md5, f.size, "v1") for f in files}
    # What the last deploy's record knows about those versions: without it the planner cannot
    # trust the live headers and plans every file as an upload (not an unchanged deploy).
    known = {(f.key, "v1"): FileEntry(f.size, f.md5, "v1", f.content_type, f.cache_control,
                                      f.group) for f in files}
    manifest = manifest_path(site)
    rows = []
    for label in ("with the build's manifest", "without (hash every file)") * 2:
        if "without" in label:
            manifest.rename(manifest.with_suffix(".off"))
        subprocess.run(["sync"], check=False)
        start = time.perf_counter()
        scanned = FolderSource(site).scan()
        plan = make_plan(scanned, live, known)
        rows.append((label, time.perf_counter() - start, plan.summary()))
        if "without" in label:
            manifest.with_suffix(".off").rename(manifest)
    print(f"\nPlanning an unchanged deploy of {notes} notes ({len(files)} files):")
    for label, wall, summary in rows:
        print(f"  scan + plan {label}: {wall:.2f} s ({summary})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--server", choices=("thread", "process", "fast"), default="thread")
    ap.add_argument("--plan-notes", type=int, default=0)
    args = ap.parse_args()
    if args.notes == 0:  # --notes 0 --plan-notes N: only the planning figures
        time_planning(args.plan_notes)
        return

    import boto3

    from site_builder.deploy import history, publish, rollback
    from site_builder.deploy.client import deploy_client

    shutil.rmtree(WORK, ignore_errors=True)
    content = WORK / "content"
    shutil.copytree(corpus(args.notes), content, ignore=shutil.ignore_patterns(".complete"))
    site, how = build(content, WORK / "site")
    files = sum(1 for p in site.rglob("*") if p.is_file())
    print(f"site: {files} files ({how})")

    server = Server(args.server)
    endpoint = server.start()
    try:
        client = deploy_client(
            boto3, args.workers, region_name="us-east-1", endpoint_url=endpoint,
            aws_access_key_id="bench", aws_secret_access_key="bench",
            config_extra={"s3": {"addressing_style": "path"}})
        client.create_bucket(Bucket="bench-site")
        client.put_bucket_versioning(Bucket="bench-site",
                                     VersioningConfiguration={"Status": "Enabled"})
        counter = RequestCounter(client)
        pub = lambda: publish(client, "bench-site", site, workers=args.workers)
        rows = [measure("first deploy", counter, pub, server)]
        first_id = history(client, "bench-site")[0].id
        counter.take()
        print("rebuild:", build(content, WORK / "site")[1])
        rows.append(measure("rebuild, nothing changed", counter, pub, server))
        victim = edit_one_note(content)
        print(f"edited {victim.relative_to(content)}; rebuild:", build(content, WORK / "site")[1])
        rows.append(measure(f"one note edited ({victim.name})", counter, pub, server))
        rows.append(measure("rollback to first deploy", counter, lambda: rollback(
            client, "bench-site", first_id, workers=args.workers), server))
    finally:
        server.stop()

    print(f"\nmoto server: {args.server}; {args.workers} upload threads")
    print("| step | plan | requests | wall | requests/s | client CPU | server CPU |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        server_cpu = f"{r['server_cpu']:.2f} s" if args.server != "thread" else "(in client)"
        print(f"| {r['step']} | {r['plan']} | {r['requests']} | {r['wall']:.2f} s | "
              f"{r['requests'] / r['wall']:.0f} | {r['cpu']:.2f} s | {server_cpu} |")
    print()
    for r in rows:
        print(f"{r['step']}: " + ", ".join(f"{k} {v}" for k, v in sorted(r["ops"].items())))
    if args.plan_notes:
        time_planning(args.plan_notes)


if __name__ == "__main__":
    main()
