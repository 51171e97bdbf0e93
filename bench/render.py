"""Render-only comparison (issue 17): the builder's Markdown pipeline against the stock one.

    .venv/bin/python bench/render.py [--notes 1000] [--sample 300] [--rounds 3]

Renders the first ``--sample`` notes of the generated corpus with ``render.Renderer()`` (smart
quotes as a tree processor, the filtered inline pass and block parser, one Pygments formatter
per set of options) and with the stock pipeline of ``tests/test_smartquotes.py`` (``smarty``,
the stock inline pass and block parser, ``pymdownx.highlight`` making a formatter per code
block), in one process, taking turns; prints the CPU seconds of each round and the medians.
The HTML of the two is asserted equal by ``tests/test_smartquotes.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from _corpus import corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from test_smartquotes import stock_renderer

    from site_builder.markdown.render import Renderer
    from site_builder.vault.links import build_index
    from site_builder.vault.load import load_content

    content_dir = corpus(args.notes)
    content = load_content(content_dir, content_dir.parent)
    index = build_index(content, set())
    notes = content.notes[:args.sample]
    renderers = {"ours": Renderer(), "stock": stock_renderer()}
    cpu: dict[str, list[float]] = {name: [] for name in renderers}
    for round_ in range(args.rounds):
        names = list(renderers) if round_ % 2 == 0 else list(reversed(renderers))
        for name in names:
            start = time.process_time()
            for note in notes:
                renderers[name].render(note, index)
            cpu[name].append(time.process_time() - start)
    for name, values in cpu.items():
        print(f"{name}: {statistics.median(values):.2f} s CPU for {len(notes)} notes "
              f"(rounds: {', '.join(f'{v:.2f}' for v in values)})")
    ratio = statistics.median(cpu["stock"]) / statistics.median(cpu["ours"])
    print(f"stock / ours: {ratio:.2f}x")


if __name__ == "__main__":
    main()
