"""Deploy record size (issues 12/13): how big is the record of a large site, as stored?

    .venv/bin/python bench/record_size.py [--notes 1000 5000] [--seed 1]

Makes the record of a synthetic site shaped like a real build (bench/README.md, deploy: 1,000
notes build to 2,105 files, since Pagefind adds one hashed fragment per page): per note one
page and one fragment, plus tag pages and assets.  MD5s are random, version ids are random
32-character strings as S3 returns them, sizes random; those are what compression cannot
shrink, so the figure is close to a real record's.  Prints the size of the record as indented
JSON (the engine's first format), as gzip'd compact JSON (the format before 3), and as stored
now (``DeployRecord.to_stored``: format 3, columnar, bz2, MD5 prefixes) both as a full table
and as the next record after a one-note edit (10 files changed, as in the deploy benchmark),
stored as a delta against it.  Each stored record is read back and checked equal to the
record.  Runs in a few seconds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import string
import sys
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from site_builder.deploy.record import DeployRecord, FileEntry, parse_record

_VERSION_CHARS = string.ascii_letters + string.digits + "._"
_HTML = ("text/html; charset=utf-8", "no-cache")
_HASHED = ("application/octet-stream", "public, max-age=31536000, immutable")


def synthetic_files(notes: int, rng: random.Random) -> dict[str, FileEntry]:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9)))
             for _ in range(800)]

    def entry(kind: tuple[str, str], group: str) -> FileEntry:
        return FileEntry(rng.randint(500, 90_000), rng.randbytes(16).hex(),
                         "".join(rng.choices(_VERSION_CHARS, k=32)), *kind, group)

    files = {}
    for n in range(notes):
        slug = "-".join(rng.sample(words, 3))
        files[f"{rng.choice(words)}/{slug}-{n}/index.html"] = entry(_HTML, "notes")
        files[f"pagefind/fragment/en_{rng.randbytes(4).hex()[:7]}.pf_fragment"] = entry(
            _HASHED, "assets")
    for t in range(notes // 8):
        files[f"tags/{rng.choice(words)}-{t}/index.html"] = entry(_HTML, "lists")
    return files


def gzip_json(record: DeployRecord) -> int:
    """The size in the format before 3: compact JSON, gzip level 9, full MD5s."""
    raw = json.dumps(asdict(record), separators=(",", ":"), sort_keys=True).encode("utf-8")
    return len(gzip.compress(raw, compresslevel=9, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| notes | files | indented JSON | gzip'd JSON (before) | stored, full table | "
          "stored, next record after a one-note edit (delta) |")
    print("|---|---|---|---|---|---|")
    for notes in args.notes:
        files = synthetic_files(notes, random.Random(args.seed))
        record = DeployRecord("20261130-120000-000000-abcd", "2026-11-30T12:00:00+00:00",
                              "deploy", "cli", "bench", None,
                              {"uploaded": len(files), "deleted": 0, "unchanged": 0,
                               "files": len(files)}, files)
        stored = record.to_stored()
        assert parse_record(record.key, stored) == record
        rng = random.Random(args.seed + 1)
        edited = dict(files)
        for key in rng.sample(sorted(files), 10):
            edited[key] = replace(files[key], md5=rng.randbytes(16).hex(),
                                  version_id="".join(rng.choices(_VERSION_CHARS, k=32)))
        nxt = replace(record, id="20261130-120100-000000-abcd", parent=record.id, files=edited)
        delta = nxt.to_stored(base=record)
        assert parse_record(nxt.key, delta, lambda _, base=record: base) == nxt
        print(f"| {notes:,} | {len(files):,} | {len(record.to_json()) / 1e6:.2f} MB | "
              f"{gzip_json(record) / 1e3:.0f} KB | {len(stored) / 1e3:.0f} KB | "
              f"{len(delta) / 1e3:.1f} KB |")


if __name__ == "__main__":
    main()
