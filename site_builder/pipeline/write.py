"""Stage 5 of the build: write the site, only the files whose bytes change, all or nothing.

Every file is made into a staging folder first (in parallel), and only when all were made are
the changed ones moved in and the files the site no longer has removed
(``site_builder.store.output``), so a failed build leaves the previous site untouched.  The
deploy manifest beside the site (MD5s and upload groups) is brought up to date last, from the
files this build wrote, so `notes deploy` re-reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from site_builder.core.parallel import run_step
from site_builder.deploy.local import refresh_site_manifest
from site_builder.pipeline.options import BuildOptions
from site_builder.store.cache import CacheState
from site_builder.store.outfolder import check_output_folder, save_marker, written_here
from site_builder.store.output import OutputFile, commit, make_file, needs_making, staging
from site_builder.vault.load import STATIC_DIRNAME


def check_out_dir(opts: BuildOptions) -> None:
    """The output folder must be new, empty or a build's own (``store.outfolder``), and none
    of the project's folders, nor hold one."""
    project = Path(opts.project_dir)
    check_output_folder(opts.out, (
        ("the project", project), ("the content", opts.content),
        ("the static", project / STATIC_DIRNAME), ("the templates", project / "templates"),
        ("the build cache", opts.cache_dir)))


def write_stage(files: Sequence[OutputFile], state: CacheState, out: Path, jobs: int | None,
                prepare: Callable[[], None] | None = None,
                ) -> tuple[list[str], list[str], list[str], dict[str, tuple]]:
    """Make what changed (in parallel), then move it into ``out``; returns the paths made,
    written, removed, and the written ones' manifest entries; updates ``state.outputs``.
    ``prepare`` readies what the workers share, when there are workers."""
    old = state.outputs
    todo = [f for f in files if needs_making(f, old.get(f.path), out)]
    before = written_here(out)
    keep = {f.path for f in files}
    with staging(out) as stage:
        made = run_step(lambda i: make_file(todo[i], old.get(todo[i].path), out, stage),
                        len(todo), jobs, prepare)
        written = [m.path for m in made if m.written]
        removed = commit(stage, out, written, keep, before | old.keys())
    save_marker(out, keep, before)
    outputs = {f.path: old[f.path] for f in files if f.path in old}
    outputs.update((m.path, m.entry) for m in made)
    state.outputs = outputs
    return [m.path for m in made], written, removed, {m.path: m.manifest for m in made
                                                       if m.manifest}


def record_manifest(out: Path, changed: Sequence[str], fresh: dict[str, tuple],
                    index_changed: bool) -> None:
    """MD5s and upload groups for `notes deploy`: it re-reads only files changed since.
    ``index_changed``: the search index was made again or removed (re-read its folder)."""
    refresh_site_manifest(out, changed, fresh=fresh,
                          rescan=("pagefind",) if index_changed else ())
