"""Where a cold build's time goes (issue 17): one serial build of the generated corpus, sampled.

    py-spy record -r 500 -f raw -o build.spy -- .venv/bin/python bench/profile_build.py run
    .venv/bin/python bench/profile_build.py summary build.spy

``run`` builds the ``--notes`` corpus (default 1,000) once, in one process (``jobs=1``), with
no cache and no search, and prints its CPU seconds.  Sample it with py-spy (``pip install
py-spy``: a sampling profiler, not a dependency of the project); cProfile's per-call overhead
inflates Python-heavy code several times over and misplaces the costs.  ``summary`` prints
each stage's and each Markdown pass's share of the samples (inclusive; a function counted
once per sample however deep it recurses).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

WORK = HERE / ".work" / "profile"
# What the summary shows, in pipeline order: (label, function as py-spy names it).
ROWS = (
    ("start-up (imports)", "<module> (site_builder/pipeline/build.py"),
    ("content: read and parse notes", "load_content (site_builder/"),
    ("render: every note (Markdown, links, math, blobs)", "render_stage (site_builder/"),
    ("  Markdown, all notes", "Markdown.convert (markdown/core.py"),
    ("    fenced code (preprocessor)", "SuperFencesBlockPreprocessor.run (pymdownx/superfences.py"),
    ("      of which Pygments", "highlight (pygments/__init__.py"),
    ("    block parser", "BlockParser.parseDocument (markdown/blockparser.py"),
    ("    inline pass", "InlineProcessor.run (markdown/treeprocessors.py"),
    ("    table of contents", "TocTreeprocessor.run (markdown/extensions/toc.py"),
    ("    smart quotes", "SmartQuotesTreeprocessor.run (site_builder/markdown/smartquotes.py"),
    ("    serialising trees (body, TOC)", "to_html_string (markdown/serializers.py"),
    ("pages: keys and graphs", "page_stage (site_builder/"),
    ("write: templates and files", "write_stage (site_builder/"),
    ("  each page's context and template", "PageMaker._make (site_builder/"),
    ("    of which the template", "PageMaker.render (site_builder/"),
    ("deploy manifest", "refresh_site_manifest (site_builder/"),
)


def run(notes: int) -> None:
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(corpus(notes), WORK / "content", ignore=shutil.ignore_patterns(".complete"))
    start = time.process_time()
    result = build_site(BuildOptions(project_dir=WORK, search=False, cache=False, jobs=1))
    print(f"{result.pages} pages, {time.process_time() - start:.2f} s CPU (one process)")


BUILD = ("build_site (site_builder/pipeline/build.py", ROWS[0][1])  # the build and its imports


def summary(path: Path) -> None:
    """Shares of the samples taken in the build and its imports (not in copying the corpus)."""
    total, hits = 0, collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = {re.sub(r":\d+\)$", "", f) for f in stack.split(";")}
        if not any(needle in f for f in frames for needle in BUILD):
            continue
        total += int(count)
        for label, needle in ROWS:
            if any(needle in f for f in frames):
                hits[label] += int(count)
    print(f"{total} samples in the build and its imports")
    for label, _ in ROWS:
        print(f"{100 * hits[label] / max(1, total):5.1f}%  {label}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("run", "summary"))
    ap.add_argument("file", nargs="?", type=Path, help="py-spy raw output (summary)")
    ap.add_argument("--notes", type=int, default=1000)
    args = ap.parse_args()
    if args.mode == "run":
        run(args.notes)
    elif args.file is None:
        ap.error("summary needs the py-spy output file")
    else:
        summary(args.file)


if __name__ == "__main__":
    main()
