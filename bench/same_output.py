"""Show that two versions of the builder make byte-identical sites (issue 24's check).

    .venv/bin/python bench/same_output.py [--ref cd7643d] [--notes 1000]

Moving code between modules must change no behaviour.  This builds the repository's sample
site (content/ and notes.toml) and a generated corpus (``../shared/bench/gen_corpus.py``) twice:
once with the builder of ``--ref`` (checked out into a temporary git worktree) and once with
the working tree's, each in a fresh process with ``PYTHONPATH`` pointing at that tree, cold
(no cache), search index included.  It then compares every output file's bytes and prints the
files that differ; the exit status is 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _corpus import corpus

REPO = HERE.parent


def site_digests(site: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``site``."""
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def build(code: Path, project: Path, content: Path, out: Path) -> dict[str, str]:
    """Build ``content`` with the builder at ``code`` (a checkout); the site's digests."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cache = project / ".notes-cache"
    shutil.rmtree(cache, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "site_builder", "build", "--no-cache",
                    "--content", str(content), "--out", str(out)],
                   cwd=project, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(cache, ignore_errors=True)
    return site_digests(out)


def compare(name: str, before: dict[str, str], after: dict[str, str]) -> bool:
    """Print what differs between two builds of one site; True if nothing does."""
    differ = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    for path in differ:
        print(f"  {name}: {path} differs" if path in before and path in after
              else f"  {name}: {path} only in {'before' if path in before else 'after'}")
    print(f"{name}: {len(after)} files, {'byte-identical' if not differ else f'{len(differ)} differ'}")
    return not differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="git revision to compare against")
    parser.add_argument("--notes", type=int, default=1000, help="size of the generated corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="same-output-") as tmp:
        work = Path(tmp)
        old = work / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.ref],
                       check=True, capture_output=True)
        try:
            sample = work / "sample"
            sample.mkdir()
            shutil.copy(REPO / "notes.toml", sample / "notes.toml")
            sites = {"sample site": (sample, REPO / "content"),
                     f"{args.notes}-note corpus": (work / "corpus", corpus(args.notes))}
            same = True
            for name, (project, content) in sites.items():
                project.mkdir(exist_ok=True)
                before = build(old, project, content, work / "before")
                after = build(REPO, project, content, work / "after")
                same &= compare(name, before, after)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
                           check=False, capture_output=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
