"""`notes serve` with search on (issue 17): from saving one note to the reload, and to the
search index holding the edit.

    .venv/bin/python bench/serve_reload.py [--notes 5000] [--runs 5]

Starts `notes serve` on a copy of the generated corpus (its first build is cold: cache and site
made from nothing), connects to its live-reload channel like an open tab, then, `--runs` times
(after one warm-up edit that is not counted), appends a sentence with a new word to one note and
measures, from just before the file is written:

* reload: until the live-reload message announcing the new version reaches the client (a tab
  reloads on it); the page is then fetched to check that it shows the new sentence;
* index: until `notes serve` prints "Search index updated" (the new index is in place); the
  index on disk is then checked to hold the new word.

Also the CPU time (user + system) the server process spent from the write to the reload.  Each
edit waits for the previous index to be done and two quiet seconds.  Medians of the runs.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

WORK = HERE / ".work" / "serve-reload"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`notes serve` as a child process; its output lines, each with the time it was read."""

    def __init__(self, project: Path, port: int) -> None:
        notes = Path(sys.executable).parent / "notes"
        self.proc = subprocess.Popen([str(notes), "serve", "--port", str(port)], cwd=project,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_line(self, prefix: str, after: float, timeout: float = 900) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if at >= after and line.startswith(prefix):
                    return at
                if line.startswith("Error"):
                    raise SystemExit(f"notes serve: {line}")
            if self.proc.poll() is not None:
                raise SystemExit(f"notes serve ended: {self.lines[-5:]}")
            time.sleep(0.005)
        raise SystemExit(f"no line {prefix!r} within {timeout}s: {self.lines[-5:]}")

    def cpu(self) -> float:
        """User + system seconds of the server and the children it waited for (Pagefind)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / TICKS

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


class Tab:
    """An open tab's live-reload channel: the time each new version was announced."""

    def __init__(self, port: int) -> None:
        self.versions: list[tuple[float, int]] = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        conn.request("GET", "/__notes/livereload")
        self.resp = conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.resp:
            if raw.startswith(b"data: "):
                self.versions.append((time.monotonic(), json.loads(raw[6:])["version"]))

    def wait_version(self, version: int, timeout: float = 900) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, seen in list(self.versions):
                if seen >= version:
                    return at
            time.sleep(0.001)
        raise SystemExit(f"no reload to version {version} within {timeout}s")


def page(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    return conn.getresponse().read().decode()


def indexed(site: Path, url: str) -> str:
    for path in (site / "pagefind").glob("**/fragment/*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        record = json.loads(raw[raw.index(b"{"):])
        if record["url"] == url:
            return record["content"]
    return ""


def note_url(path: Path, content: Path) -> str:
    return "/" + path.relative_to(content).with_suffix("").as_posix() + "/"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(corpus(args.notes), WORK / "content",
                    ignore=shutil.ignore_patterns(".complete"))
    (WORK / "notes.toml").write_text('title = "Bench"\nbase_url = "http://example.org/"\n')
    content = WORK / "content"
    notes = sorted(p for p in content.rglob("*.md")
                   if "draft: true" not in p.read_text("utf-8") and p.name != "_index.md")
    victim = notes[len(notes) // 2]
    url = note_url(victim, content)
    port = free_port()
    started = time.monotonic()
    server = Server(WORK, port)
    try:
        server.wait_line("Serving", started)
        print(f"{args.notes} notes: first build and server up in "
              f"{time.monotonic() - started:.1f} s; editing {url}", flush=True)
        tab = Tab(port)
        rows = []
        for run in range(args.runs + 1):
            time.sleep(2)
            word = f"Benchword{run}x{int(time.time())}"
            text = victim.read_text("utf-8") + f"\nOne more sentence: {word}.\n"
            cpu0, t0 = server.cpu(), time.monotonic()
            victim.write_text(text, "utf-8")
            reload_at = tab.wait_version(run + 1)
            cpu = server.cpu() - cpu0
            index_at = server.wait_line("Search index updated", t0)
            assert word in page(port, url), "the reloaded page lacks the edit"
            assert word in indexed(WORK / "build" / "site", url), "the index lacks the edit"
            label = "warm-up" if run == 0 else f"run {run}"
            print(f"{label}: reload {1000 * (reload_at - t0):.0f} ms (CPU {1000 * cpu:.0f} ms),"
                  f" index caught up {index_at - t0:.2f} s", flush=True)
            if run:
                rows.append((reload_at - t0, cpu, index_at - t0))
    finally:
        server.stop()
    reload_ms = statistics.median(r[0] for r in rows) * 1000
    cpu_ms = statistics.median(r[1] for r in rows) * 1000
    index_s = statistics.median(r[2] for r in rows)
    print(f"median of {len(rows)}: save -> reload {reload_ms:.0f} ms (server CPU {cpu_ms:.0f} ms),"
          f" save -> index caught up {index_s:.2f} s")


if __name__ == "__main__":
    main()
