"""The project watcher behind `notes serve`/`notes up`: changes named as added/edited/deleted,
folders and settings created after it started, and the record message `notes up` makes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.serve.dev import record_message
from site_builder.serve.watch import Change, one_per_path, watch_project


class Watching:
    def __init__(self, project: Path, content: Path | None = None) -> None:
        self.batches: list[list[Change]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=watch_project, args=(project, self.stop, self.batches.append),
            kwargs={"content": content, "debounce_ms": 50, "tick_seconds": 0.1}, daemon=True)
        self.thread.start()
        time.sleep(0.5)  # let the Rust watcher settle before the first edit

    def seen(self) -> set[Change]:
        return {c for batch in self.batches for c in batch}

    def wait_for(self, *want: Change, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(want) <= self.seen():
                return
            time.sleep(0.05)
        raise AssertionError(f"wanted {want}, saw {self.batches}")


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[tuple[Path, Watching]]:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("a\n")
    (tmp_path / "content" / "gone.md").write_text("bye\n")
    w = Watching(tmp_path)
    yield tmp_path, w
    w.stop.set()
    w.thread.join(10)
    assert not w.thread.is_alive()


def test_edits_additions_and_deletions_are_named(watching) -> None:
    project, w = watching
    (project / "content" / "a.md").write_text("a, edited\n")
    (project / "content" / "new.md").write_text("new\n")
    (project / "content" / "gone.md").unlink()
    w.wait_for(Change("content/a.md", "edited"), Change("content/new.md", "added"),
               Change("content/gone.md", "deleted"))
    assert all(batch == sorted(batch) for batch in w.batches)


def test_a_templates_folder_made_after_the_start_is_watched(watching) -> None:
    project, w = watching
    (project / "templates").mkdir()
    (project / "templates" / "note.html").write_text("{{ 1 }}\n")
    w.wait_for(Change("templates/note.html", "added"))
    time.sleep(0.3)
    (project / "templates" / "note.html").write_text("{{ 2 }}\n")
    w.wait_for(Change("templates/note.html", "edited"))


def test_notes_toml_created_edited_and_removed(watching) -> None:
    project, w = watching
    settings = project / "notes.toml"
    settings.write_text('title = "A"\n')
    w.wait_for(Change("notes.toml", "added"))
    time.sleep(0.2)
    settings.write_text('title = "Longer"\n')
    w.wait_for(Change("notes.toml", "edited"))
    settings.unlink()
    w.wait_for(Change("notes.toml", "deleted"))


def test_a_content_folder_elsewhere(tmp_path: Path) -> None:
    notes = tmp_path / "elsewhere"
    notes.mkdir()
    w = Watching(tmp_path / "project", content=notes)
    try:
        (notes / "x.md").write_text("x\n")
        w.wait_for(Change(str(notes / "x.md"), "added"))
    finally:
        w.stop.set()
        w.thread.join(10)


def test_record_message_names_what_changed() -> None:
    one = [Change("content/containers/docker-cli.md", "edited")]
    assert record_message(one, "content") == "notes up: edited containers/docker-cli.md"
    many = [Change("content/a.md", "added"), Change("content/b.md", "deleted"),
            Change("notes.toml", "edited"), Change("templates/x.html", "added"),
            Change("content/c.md", "edited")]
    assert record_message(many, "content") == (
        "notes up: added a.md, deleted b.md, edited notes.toml +2 more")
    assert record_message([Change("notes/a.md", "edited")], "notes") == "notes up: edited a.md"
    assert record_message([], "content") == "notes up: rebuild"



_names = st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6})?\.md", fullmatch=True)
_changes = st.lists(st.builds(Change, st.one_of(_names.map(lambda n: f"content/{n}"), _names),
                              st.sampled_from(["added", "edited", "deleted"])), max_size=8)


@settings(max_examples=100, deadline=None)
@given(_changes)
def test_record_message_lists_the_first_three_and_counts_the_rest(changes) -> None:
    message = record_message(changes, "content")
    if not changes:
        assert message == "notes up: rebuild"
        return
    body = message.removeprefix("notes up: ")
    listed, _, more = body.partition(" +")
    items = listed.split(", ")
    assert items == [f"{c.kind} {c.path.removeprefix('content/')}" for c in changes[:3]]
    assert more == (f"{len(changes) - 3} more" if len(changes) > 3 else "")


def test_edits_before_the_watch_started_are_reported(tmp_path: Path) -> None:
    """`notes serve` snapshots the files before its first build; an edit saved while it builds
    (before watchfiles runs) comes out of the first wake-up instead of being lost."""
    from site_builder.serve.watch import snapshot

    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("a\n")
    (tmp_path / "content" / "gone.md").write_text("bye\n")
    since = snapshot(tmp_path)
    (tmp_path / "content" / "a.md").write_text("a, edited while building\n")
    (tmp_path / "content" / "new.md").write_text("new\n")
    (tmp_path / "content" / "gone.md").unlink()
    (tmp_path / "notes.toml").write_text('title = "T"\n')
    batches: list[list[Change]] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch_project, args=(tmp_path, stop, batches.append),
                              kwargs={"debounce_ms": 50, "tick_seconds": 0.1, "since": since},
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not batches:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    assert batches[0] == [Change("content/a.md", "edited"), Change("content/gone.md", "deleted"),
                          Change("content/new.md", "added"), Change("notes.toml", "added")]


def test_a_static_folder_is_watched(watching) -> None:
    """static/ is copied to the site as it is: `notes serve` rebuilds when it changes, also
    when it is made after the start."""
    project, w = watching
    (project / "static").mkdir()
    (project / "static" / "robots-extra.txt").write_text("hi\n")
    w.wait_for(Change("static/robots-extra.txt", "added"))


def test_one_change_per_file_in_a_burst(tmp_path: Path) -> None:
    """A note made while `notes up` started is new to the snapshot and written for the
    watcher in one burst: it is said once, as added (it printed "ideas.md, ideas.md")."""
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "ideas.md").write_text("# Ideas\n")
    (tmp_path / "content" / "kept.md").write_text("# Kept\n")
    changes = {Change("content/ideas.md", "added"), Change("content/ideas.md", "edited"),
               Change("content/gone.md", "added"), Change("content/gone.md", "deleted"),
               Change("content/kept.md", "edited"), Change("content/old.md", "deleted")}
    assert one_per_path(tmp_path, changes) == [
        Change("content/gone.md", "deleted"), Change("content/ideas.md", "added"),
        Change("content/kept.md", "edited"), Change("content/old.md", "deleted")]
