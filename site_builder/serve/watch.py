"""Watch a notes project for edits: its content folder, ``templates/``, ``static/`` and
``notes.toml``.

``watchfiles`` (Rust ``notify``) watches the folders that exist.  A folder created later (a
first template override, a content folder made after ``notes serve`` started) is noticed on
the next wake-up, and the watch restarts with it.  ``notes.toml`` is checked by its stat stamp
on every wake-up instead of being watched directly: editors often save by writing a new file
and renaming it over the old one, which silently ends a watch on the old file.  The loop wakes
at least every ``tick_seconds`` so callers can also poll other things (``notes up`` notices
deploys made from another terminal that way).

Each change is reported as added, edited or deleted by comparing with the files seen before,
so ``notes up`` can say what a rebuild was for ("edited containers/docker-cli.md") whatever
events an editor's way of saving produces.

A watch only sees what happens once it is set up, and the first build runs before that: an
edit saved in between would be lost until the next one.  So callers take a ``snapshot`` of
every watched file's stamp before the first build, and the first wake-up of the watch (which
comes once watchfiles is running) reports whatever differs from it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEMPLATES_DIR = "templates"
STATIC_DIR = "static"  # copied to the site root as it is (see vault.load.load_static)
SETTINGS_FILE = "notes.toml"


def _folders(project: Path, content: Path | None) -> list[Path]:
    """The folders whose files a build reads: the notes, template overrides, static files."""
    return [Path(content) if content else project / "content", project / TEMPLATES_DIR,
            project / STATIC_DIR]


@dataclass(frozen=True, order=True)
class Change:
    path: str  # relative to the project (posix) when inside it, else absolute
    kind: str  # "added", "edited" or "deleted"


def one_per_path(project: Path, changes: set[Change]) -> list[Change]:
    """One change per file, sorted: a file seen as new by the snapshot and as written by the
    watcher in the same burst is "added" once, not "added" and "edited" ("Changed: a.md,
    a.md"); one gone by the end of the burst is "deleted"."""
    kinds: dict[str, set[str]] = {}
    for change in changes:
        kinds.setdefault(change.path, set()).add(change.kind)
    merged = []
    for path, seen in kinds.items():
        if len(seen) > 1:
            gone = not (project / path).exists()
            seen = {"deleted"} if gone else {"added"} if "added" in seen else {"edited"}
        merged.append(Change(path, seen.pop()))
    return sorted(merged)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _files_under(folder: Path) -> set[str]:
    return {os.path.join(root, name) for root, _, names in os.walk(folder) for name in names}


Snapshot = dict[str, tuple[int, int]]  # path -> (mtime_ns, size)


def snapshot(project: Path, content: Path | None = None) -> Snapshot:
    """The stamp of every file ``watch_project`` watches, to pass back to it as ``since``."""
    paths = [p for d in _folders(project, content) if d.is_dir() for p in _files_under(d)]
    paths.append(str(project / SETTINGS_FILE))
    return {p: stamp for p in paths if (stamp := _stamp(Path(p))) is not None}


def _missed(project: Path, since: Snapshot, now: Snapshot, known: set[str]) -> set[Change]:
    """Changes between two snapshots (those the watch was not yet running for)."""
    out = set()
    for path in set(since) | set(now):
        if since.get(path) != now.get(path) and not path.endswith(SETTINGS_FILE):
            kind = "deleted" if path not in now else "added" if path not in since else "edited"
            out.add(Change(_relative(project, path), kind))
            (known.add if path in now else known.discard)(path)
    return out


class _Seen:
    """The files known to exist under the watched folders, to name each change's kind."""

    def __init__(self) -> None:
        self.files: set[str] = set()

    def add_folder(self, folder: Path) -> list[str]:
        """Start tracking a folder; returns the files it holds that were not known."""
        found = _files_under(folder) - self.files
        self.files |= found
        return sorted(found)

    def classify(self, path: str) -> str | None:
        was, now = path in self.files, os.path.isfile(path)
        if now:
            self.files.add(path)
        else:
            self.files.discard(path)
            # A folder that went away takes the files under it along.
            prefix = path.rstrip(os.sep) + os.sep
            gone = {f for f in self.files if f.startswith(prefix)}
            self.files -= gone
            if gone and not was:
                return "deleted"
        if was and now:
            return "edited"
        if now:
            return "added"
        return "deleted" if was else None  # neither: a temporary file, or a folder


def watch_project(
    project: Path,
    stop: threading.Event,
    on_change: Callable[[list[Change]], None],
    *,
    content: Path | None = None,
    on_tick: Callable[[], None] | None = None,
    debounce_ms: int = 300,
    tick_seconds: float = 0.5,
    since: Snapshot | None = None,
) -> None:
    """Call ``on_change(sorted changes)`` after each burst of edits, until ``stop`` is set
    (or Ctrl+C raises KeyboardInterrupt).  ``content`` defaults to ``project/content``;
    ``since`` is a ``snapshot`` taken before the caller's first build (see above)."""
    candidates = _folders(project, content)
    settings = project / SETTINGS_FILE
    last = (since or {}).get(str(settings)) if since is not None else _stamp(settings)
    seen = _Seen()
    watched: list[Path] = []
    pending: set[Change] = set()
    first = True
    while not stop.is_set():
        present = [d for d in candidates if d.is_dir()]
        appeared = [p for d in present if d not in watched for p in seen.add_folder(d)]
        if not first:  # files in a folder made while we ran are new to the site
            pending |= {Change(_relative(project, p), "added") for p in appeared}
        first, watched = False, present
        for raw in _wakeups(watched, stop, debounce_ms, tick_seconds):
            changes = set(pending)
            pending = set()
            if since is not None:  # the first wake-up: the watch is running now
                changes |= _missed(project, since, snapshot(project, content), seen.files)
                since = None
            for path in {path for _, path in raw}:
                kind = seen.classify(path)
                if kind is not None:
                    changes.add(Change(_relative(project, path), kind))
            stamp = _stamp(settings)
            if stamp != last:
                kind = "added" if last is None else "deleted" if stamp is None else "edited"
                changes.add(Change(SETTINGS_FILE, kind))
                last = stamp
            restart = [d for d in candidates if d.is_dir()] != watched
            if restart:  # a watched folder appeared or vanished: pick it up next round
                pending = changes
                break
            if changes and not stop.is_set():
                on_change(one_per_path(project, changes))
            if on_tick is not None and not stop.is_set():
                on_tick()


def _wakeups(dirs: list[Path], stop: threading.Event, debounce_ms: int,
             tick_seconds: float) -> Iterator[set[tuple[object, str]]]:
    """watchfiles' bursts of changes for ``dirs``, and an empty set every ``tick_seconds``."""
    if not dirs:  # nothing to watch but notes.toml: just poll
        while not stop.wait(tick_seconds):
            yield set()
        return
    import watchfiles

    yield from watchfiles.watch(
        *dirs,
        stop_event=stop,
        debounce=debounce_ms,
        # A burst is over once a step passes without a new event: the step is most of the
        # wait from a save to the rebuild (20 ms: about 30 ms from write to callback here,
        # against about 60 ms with watchfiles' default 50; an editor's save is one burst).
        step=20,
        rust_timeout=int(tick_seconds * 1000),
        yield_on_timeout=True,
    )


def _relative(project: Path, path: str) -> str:
    try:
        return Path(path).relative_to(project).as_posix()
    except ValueError:
        try:
            return Path(path).resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            return path
