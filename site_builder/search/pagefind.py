"""Running Pagefind: the binary, its environment, and what it says when it fails.

The binary comes from the ``pagefind[bin]`` wheel (package ``pagefind_bin``); a ``pagefind`` on
PATH is the fallback.  Its progress chatter is captured and shown only when it fails, as one
``SearchIndexError`` line saying what went wrong and how to fix it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from site_builder.core.errors import NotesError
from site_builder.core.versions import installed_version

OUTPUT_SUBDIR = "pagefind"


_TIMEOUT_SECONDS = 600


NO_NOTES = ("search index: no published note to index (publish at least one note, or build "
            "with --no-search)")


_INSTALL_HINT = "install it with `pip install 'pagefind[bin]'` (or `make install`)"


class SearchIndexError(NotesError):
    """The search index could not be built; the message says what and how to fix it."""


def pagefind_version() -> str:
    """The Pagefind that writes the index (part of its key: another version, another index)."""
    return installed_version("pagefind_bin") or "unknown"


def pagefind_executable() -> Path:
    """The Pagefind binary shipped in the ``pagefind_bin`` wheel, else one on PATH."""
    try:
        import pagefind_bin

        return Path(pagefind_bin.get_executable()).absolute()
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        if found:
            return Path(found)
    raise SearchIndexError(f"search index: the Pagefind binary was not found ({_INSTALL_HINT})")


def _last_error_line(output: str) -> str:
    """Pagefind prints progress on stdout and ``Error: ...`` lines at the end; keep the first
    error line (they repeat), else the last non-empty line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["no output"])[0 if errors else -1]


# For Pagefind runs that share the cores with other Pagefind runs (the shards of a cold index,
# one run per core): one thread each in its tokio and rayon pools rather than one per core,
# and its allocator (jemalloc) on transparent huge pages, so fewer page faults and less
# zeroing.  At 5,000 notes on 2 cores that took the shards' Pagefind CPU from about 9.8 to
# 8.8 s (system time 1.9 to 1.3 s) and each run's peak from 42 to 75 MB.  The user's own
# settings of these variables win; a Pagefind without jemalloc ignores the last one.
SIDE_BY_SIDE = {"RAYON_NUM_THREADS": "1", "TOKIO_WORKER_THREADS": "1",
                 "_RJEM_MALLOC_CONF": "thp:always,metadata_thp:always"}


def run_pagefind(out_dir: Path, bundle: Path, side_by_side: bool = False) -> None:
    exe = pagefind_executable()
    cmd = [str(exe), "--site", str(out_dir), "--output-path", str(bundle)]
    env = {**SIDE_BY_SIDE, **os.environ} if side_by_side else None
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False, env=env
        )
    except OSError as exc:
        raise SearchIndexError(
            f"search index: could not run {exe}: {exc.strerror or exc} ({_INSTALL_HINT})"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise SearchIndexError(
            f"search index: Pagefind did not finish within {_TIMEOUT_SECONDS}s "
            "(build with --no-search to skip the index)"
        ) from exc
    if proc.returncode != 0:
        reason = _last_error_line(proc.stderr + "\n" + proc.stdout)
        raise SearchIndexError(
            f"search index: Pagefind failed with exit status {proc.returncode}: {reason}"
        )


def indexed_pages(bundle: Path) -> int:
    """Pages indexed, summed over languages from Pagefind's own ``pagefind-entry.json``."""
    entry = bundle / "pagefind-entry.json"
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        return sum(int(lang["page_count"]) for lang in data["languages"].values())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SearchIndexError(
            f"search index: Pagefind wrote no readable {entry} ({exc}); "
            "rerun the build, and report a bug if it persists"
        ) from exc
