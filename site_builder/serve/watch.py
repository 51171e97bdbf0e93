"""Watch a notes project for edits: ``content/``, ``templates/`` and ``notes.toml``.

``watchfiles`` (Rust ``notify``) watches the two folders.  ``notes.toml`` is checked by its
stat stamp on every wake-up instead of being watched directly: editors often save by writing a
new file and renaming it over the old one, which silently ends a watch on the old file.  The
loop wakes at least every ``tick_seconds`` so callers can also poll other things (``notes up``
notices deploys made from another terminal that way).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

WATCHED_DIRS = ("content", "templates")
SETTINGS_FILE = "notes.toml"


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def watch_project(
    project: Path,
    stop: threading.Event,
    on_change: Callable[[list[str]], None],
    *,
    on_tick: Callable[[], None] | None = None,
    debounce_ms: int = 300,
    tick_seconds: float = 0.5,
) -> None:
    """Call ``on_change(sorted changed paths, relative to project)`` after each burst of edits,
    until ``stop`` is set (or Ctrl+C raises KeyboardInterrupt)."""
    import watchfiles

    settings = project / SETTINGS_FILE
    last = _stamp(settings)
    dirs = [project / name for name in WATCHED_DIRS if (project / name).is_dir()]

    def wakeups():
        if not dirs:  # nothing to watch but notes.toml: just poll
            while not stop.wait(tick_seconds):
                yield set()
            return
        yield from watchfiles.watch(
            *dirs,
            stop_event=stop,
            debounce=debounce_ms,
            step=50,
            rust_timeout=int(tick_seconds * 1000),
            yield_on_timeout=True,
        )

    for changes in wakeups():
        changed = {_relative(project, path) for path in _net_changes(changes)}
        stamp = _stamp(settings)
        if stamp != last:
            last = stamp
            changed.add(SETTINGS_FILE)
        if changed and not stop.is_set():
            on_change(sorted(changed))
        if on_tick is not None and not stop.is_set():
            on_tick()


def _net_changes(changes: set[tuple[object, str]]) -> set[str]:
    """Changed paths, minus editors' temporary files (created and gone within one burst)."""
    import watchfiles

    added = {path for change, path in changes if change == watchfiles.Change.added}
    deleted = {path for change, path in changes if change == watchfiles.Change.deleted}
    transient = {path for path in added & deleted if not Path(path).exists()}
    return {path for _, path in changes} - transient


def _relative(project: Path, path: str) -> str:
    try:
        return Path(path).relative_to(project).as_posix()
    except ValueError:
        try:
            return Path(path).resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            return path
