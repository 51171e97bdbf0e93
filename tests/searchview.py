"""What a site's search index shows the browser, read from the files: every bundle that
``pagefind/shards.json`` lists (and the primary), without the fragments its ``drop`` list sets
aside.  A cached build (shards as made, plus the recent bundle) and a clean build of the same
pages must show the same: each page's fragment, once."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

MAGIC = b"pagefind_dcd"


def listed(root: Path) -> dict:
    """``shards.json`` of the index at ``root`` (``.../pagefind``)."""
    return json.loads((root / "shards.json").read_text("utf-8"))


def fragment_records(bundle: Path) -> dict[str, tuple[str, bytes]]:
    """Fragment id -> (its page's URL, its decompressed bytes), over one bundle."""
    found = {}
    for path in (bundle / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        found[path.name.removesuffix(".pf_fragment")] = (json.loads(data[len(MAGIC):])["url"],
                                                          data)
    return found


def search_view(root: Path) -> dict[str, bytes]:
    """URL -> the fragment the merged search shows for it; fails if a page shows twice or a
    dropped id names no fragment of exactly one bundle."""
    layout = listed(root)
    drop = set(layout["drop"])
    view: dict[str, bytes] = {}
    dropped: dict[str, int] = dict.fromkeys(drop, 0)
    for bundle in [root, *(root.parent / p.strip("/") for p in layout["bundles"])]:
        for fid, (url, data) in fragment_records(bundle).items():
            if fid in drop:
                dropped[fid] += 1
                continue
            assert url not in view, f"{url} shown twice"
            view[url] = data
    assert all(n == 1 for n in dropped.values()), dropped
    return view
