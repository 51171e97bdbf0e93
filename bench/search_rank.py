"""Ranking with shards against one bundle (issue 17), in headless Chromium.

    .venv/bin/python bench/search_rank.py [QUERY ...]

Run after bench/search_edits.py: copies its built site, indexes the copy as one bundle with
`pagefind --site` (the index before shards), then runs each query through Pagefind's JS API on
both (the sharded site merging its bundles from shards.json, as the site's pages do) and prints
the result counts, how many of the top 10 URLs agree, and whether the first result is the same.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
SITE = HERE / ".work" / "search-edits" / "build" / "site"
ONE = HERE / ".work" / "search-rank" / "site"
QUERIES = ["quorum replica", "overlay", "hyperv", "apiversion", "note 114", "hypervisorzz"]
SEARCH = """async (queries) => {
  const shards = await (await fetch('/pagefind/shards.json')).json();
  const pf = await import('/pagefind/pagefind.js');
  await pf.options({});
  for (const s of shards) { await pf.mergeIndex(s); }
  const out = {};
  for (const q of queries) {
    const r = await pf.search(q);
    const top = [];
    for (const x of r.results.slice(0, 10)) { top.push((await x.data()).url); }
    out[q] = [r.results.length, top];
  }
  return out;
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def one_bundle() -> None:
    from site_builder.search.pagefind import pagefind_executable

    shutil.rmtree(ONE.parent, ignore_errors=True)
    shutil.copytree(SITE, ONE, ignore=shutil.ignore_patterns("pagefind"))
    subprocess.run([str(pagefind_executable()), "--site", str(ONE), "--output-path",
                    str(ONE / "pagefind")], check=True, capture_output=True)
    (ONE / "pagefind" / "shards.json").write_text("[]\n")


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not (SITE / "pagefind" / "shards.json").is_file():
        raise SystemExit(f"{SITE}: run bench/search_edits.py first")
    queries = sys.argv[1:] or QUERIES
    one_bundle()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        found = {}
        for label, folder in (("one", ONE), ("shards", SITE)):
            page = browser.new_page()
            page.goto(serve(folder) + "/")
            found[label] = page.evaluate(SEARCH, queries)
        browser.close()
    print("| query | results: one bundle | results: shards | top 10 in common | same first |")
    print("|---|---|---|---|---|")
    for q in queries:
        (n1, t1), (n2, t2) = found["one"][q], found["shards"][q]
        print(f"| `{q}` | {n1} | {n2} | {len(set(t1) & set(t2))} of {len(t1)} "
              f"| {'yes' if t1[:1] == t2[:1] else 'no'} |")


if __name__ == "__main__":
    main()
