"""What a build is asked to do and what it did: the values every stage shares.

They live below the stages (which take ``BuildOptions``) and the build (which returns a
``BuildResult``), so no stage imports the module that calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from site_builder.core.config import content_folder
from site_builder.store.session import StateKeeper


@dataclass(frozen=True)
class BuildOptions:
    project_dir: Path
    content_dir: Path | None = None  # default: notes.toml's content, else project_dir/"content"
    out_dir: Path | None = None  # default project_dir/"build"/"site"
    drafts: bool = False
    allow_broken_links: bool = False
    search: bool = True
    cache: bool = True  # False: ignore .notes-cache/ and redo everything (then refill it)
    jobs: int | None = None  # worker processes; None = all cores for large steps, 1 = serial
    # How the running command turns broken links into warnings ("fix them or <hint>"); None
    # for callers without such a flag (the CDK app), so no error suggests a flag it lacks.
    broken_links_hint: str | None = "build with --allow-broken-links to publish anyway"
    # `notes serve`: write the pages and leave the search index to the caller, which brings it
    # up to date after the browser reloaded (BuildResult.deferred, site_builder.serve.devsite).
    defer_search: bool = False
    # `notes serve`: the cache state kept in memory between builds of one long-lived process,
    # saved by the holder when it suits it (after the reload) instead of by every build.
    keeper: StateKeeper | None = field(default=None, compare=False)

    @property
    def content(self) -> Path:
        if self.content_dir is not None:
            return Path(self.content_dir)
        return content_folder(Path(self.project_dir))

    @property
    def out(self) -> Path:
        return Path(self.out_dir or Path(self.project_dir) / "build" / "site")

    @property
    def cache_dir(self) -> Path:
        return Path(self.project_dir) / ".notes-cache"


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    pages: int
    files: int
    warnings: tuple[str, ...]
    rendered: tuple[str, ...] = ()  # notes whose Markdown was rendered (content paths)
    made: tuple[str, ...] = ()  # output files made again (the rest were known unchanged)
    written: tuple[str, ...] = ()  # output files whose bytes changed
    removed: tuple[str, ...] = ()  # output files the site no longer has
    searched: bool = False  # whether the search index was rebuilt
    # defer_search: the inputs key to record once the search index is brought up to date
    deferred: str | None = None
