"""The baseline the build benchmark is compared with (issue 7).

A single-process loop that does the least a static-site generator must do per note: read it,
parse its YAML front matter, render it with Python-Markdown (exactly the real builder's
extensions and settings, from ``site_builder.markdown.render``, minus its link-graph extension; one
reused instance with ``reset()``), fill one Jinja2 template and write the page.
No lists, tags, backlinks, feed or search.  ``bench/build.py`` times it in the same run as the
real build, so the speed-up ratio is measured, not quoted.

With ``processes=2`` the same loop runs in two forked processes, each taking every other note:
no build doing at least the baseline's work can beat that on two cores, so it measures the
ceiling for the speed-up on this machine (below 2x as far as two busy cores run slower, or
the two halves take unequal time).

    python bench/baseline.py CONTENT_DIR OUT_DIR [PROCESSES]
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

import jinja2
import markdown
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from site_builder.markdown.render import EXTENSION_CONFIGS, markdown_extensions

PAGE = jinja2.Environment(autoescape=True).from_string(
    "<!doctype html><html><head><meta charset='utf-8'><title>{{ title }}</title></head>"
    "<body><main><h1>{{ title }}</h1>{{ toc | safe }}{{ body | safe }}</main></body></html>\n"
)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split_front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return yaml.load(text[4:end], Loader=Loader) or {}, text[end + 4 :]
    return {}, text


def run(content: Path, out: Path, processes: int = 1) -> int:
    """Render every note under ``content`` into ``out``; returns how many."""
    sources = sorted(content.rglob("*.md"))
    if processes == 1:
        return _loop(sources, content, out)
    parts = [(sources[k::processes], content, out) for k in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return sum(pool.starmap(_loop, parts))


def _loop(sources: list[Path], content: Path, out: Path) -> int:
    md = markdown.Markdown(extensions=markdown_extensions(), extension_configs=EXTENSION_CONFIGS,
                           output_format="html")
    count = 0
    for src in sources:
        meta, body = split_front_matter(src.read_text("utf-8"))
        html = md.reset().convert(body)
        rel = src.relative_to(content).with_suffix("")
        target = out / rel / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        title = str(meta.get("title") or rel.name)
        target.write_text(PAGE.render(title=title, toc=md.toc, body=html), "utf-8")
        count += 1
    return count


if __name__ == "__main__":
    started = time.perf_counter()
    n = run(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    print(f"{n} notes in {time.perf_counter() - started:.2f}s")
