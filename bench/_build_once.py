"""One timed build in a fresh process, so ``bench/build.py`` can read its peak memory.

    python bench/_build_once.py build|baseline|ceiling|search PROJECT CONTENT OUT [OPTIONS_JSON]

Prints one JSON line: seconds, and the peak RSS (KiB) of this process and of its largest
waited-for child (the worker pool).  Options are passed to ``BuildOptions`` by name, only those
the current builder knows, so the benchmark runs against any version of it.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    mode, project, content, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    started = time.perf_counter()
    if mode in ("baseline", "ceiling"):  # the ceiling: the baseline split over two processes
        import baseline

        count = baseline.run(content, out, 2 if mode == "ceiling" else 1)
    elif mode == "search":
        from site_builder.search.index import build_index

        count = build_index(out)
    else:
        from site_builder.pipeline.build import build_site
        from site_builder.pipeline.options import BuildOptions

        known = {f.name for f in dataclasses.fields(BuildOptions)}
        opts = {k: v for k, v in extra.items() if k in known}
        result = build_site(
            BuildOptions(project_dir=project, content_dir=content, out_dir=out, **opts)
        )
        count = result.pages
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds,
        "count": count,
        "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
