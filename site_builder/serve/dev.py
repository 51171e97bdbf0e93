"""The two local loops behind ``notes serve`` and ``notes up``.

``serve``: build -> serve ``build/site`` -> on each edit rebuild and reload open tabs.
``up``: embedded S3 -> bucket configured like the stack's -> build + deploy through the real
deploy engine -> serve *the bucket* -> on each edit rebuild, deploy again, reload tabs.

A failed rebuild (or deploy) never stops the loop: the last good site stays served, the error
is printed as one line and pushed to open tabs as an overlay.  Both loops take a ``stop`` event
so tests can run them in a thread; from the terminal, Ctrl+C ends them cleanly (exit 0).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from site_builder.core.errors import NotesError
from site_builder.serve.devsite import DevSite, GatedStore, SearchIndexer
from site_builder.serve.livereload import LiveReload
from site_builder.serve.watch import Change, Snapshot, snapshot, watch_project
from site_builder.serve.website import WebsiteApp, WebsiteServer, check_port_free

if TYPE_CHECKING:  # the builder is imported when a build starts, not with the server
    from site_builder.pipeline.options import BuildOptions

Say = Callable[[str], None]


def say(line: str) -> None:
    """stdout, flushed: `notes up`'s last line is awaited by scripts reading a pipe."""
    print(line, flush=True)


def say_error(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class DevOptions:
    project: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False  # shorthand, used when ``build`` is not given
    s3_port: int = 4566  # `notes up` only
    bucket: str = "notes-local"  # `notes up` only
    build: BuildOptions | None = None  # the command line's; None: the defaults (with drafts)
    notes_command: str = "notes"  # `notes up` only: how its printed commands run notes

    def build_options(self) -> BuildOptions:
        from site_builder.pipeline.options import BuildOptions

        return self.build or BuildOptions(project_dir=self.project, drafts=self.drafts)

    def content_dir(self) -> Path:
        return self.build_options().content.absolute()


_shown_warnings: set[str] = set()


def _build(opts: DevOptions, out: Say, site: DevSite | None = None,
           build: BuildOptions | None = None) -> Path:
    from site_builder.pipeline.build import build_site

    started = time.monotonic()
    build = build or opts.build_options()
    result = site.build(build) if site is not None else build_site(build)
    for warning in result.warnings:
        _warn_once(warning)
    took = time.monotonic() - started
    out(f"Built {result.pages} pages ({result.files} files) in {took:.2f}s")
    return Path(result.out_dir)


def _guarded(action: Callable[[], None], lr: LiveReload) -> bool:
    """Run one rebuild step; on failure report it (terminal + overlay) and keep going."""
    log_lines: list[str] = []
    try:
        action()
    except NotesError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug in one rebuild must not kill the server
        from site_builder.core.crash import describe

        first, *log_lines = describe(exc, "a rebuild")
        message = first.removeprefix("Error: ")
    else:
        return True
    for line in (f"Error: {message}", *log_lines, "Still serving the last good site."):
        say_error(line)
    lr.failed(message)
    return False


def _changed_line(changes: list[Change]) -> str:
    paths = [c.path for c in changes]
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"Changed: {shown}"


def record_message(changes: list[Change], content: str, shown: int = 3) -> str:
    """The deploy record's message for a rebuild: what changed, so `notes history` says
    "notes up: edited containers/docker-cli.md" rather than "rebuild".  Notes are named
    relative to the content folder (``content``, a project-relative path), other files
    (templates, notes.toml) relative to the project."""
    prefix = content.rstrip("/") + "/"
    items = [f"{c.kind} {c.path.removeprefix(prefix)}" for c in changes]
    if not items:
        return "notes up: rebuild"
    more = f" +{len(items) - shown} more" if len(items) > shown else ""
    return f"notes up: {', '.join(items[:shown])}{more}"


def _start_server(app: WebsiteApp, opts: DevOptions) -> WebsiteServer:
    check_port_free(opts.host, opts.port, "--port")
    return WebsiteServer(app, opts.host, opts.port).start()


def _run_watch(opts: DevOptions, stop: threading.Event, on_change, on_tick=None,
               since: Snapshot | None = None) -> None:
    """Until ``stop`` is set or Ctrl+C: the callers catch KeyboardInterrupt around the whole
    time their server is up, not only around the watch."""
    watch_project(opts.project, stop, on_change, content=opts.content_dir(), on_tick=on_tick,
                  since=since)


def run_serve(opts: DevOptions, *, stop: threading.Event | None = None, out: Say = say) -> int:
    """``notes serve``: the folder preview with live reload.  Rebuilds write the pages, the
    tabs reload, then the search index catches up in the background (see ``devsite``)."""
    from site_builder.core.config import load_settings
    from site_builder.serve.stores import FolderStore

    stop = stop or threading.Event()
    check_port_free(opts.host, opts.port, "--port")
    since = snapshot(opts.project, opts.content_dir())  # edits during the build still count
    dev = DevSite()
    first = opts.build_options()
    site = _build(opts, out, dev, first)
    _save(dev)
    search = first.search
    rebuild = replace(first, defer_search=True)
    lr = LiveReload()
    store = GatedStore(FolderStore(site), dev) if search else FolderStore(site)
    server = _start_server(WebsiteApp(store, livereload=lr), opts)
    indexer = SearchIndexer(dev, site, out, say_error).start() if search else None
    try:
        title = load_settings(opts.project).title
        out(f"Serving {title} at {server.url} (Ctrl+C to stop)")

        def on_change(changes: list[Change]) -> None:
            out(_changed_line(changes))
            # No collection until the tabs are told to reload: in a process that keeps a
            # 5,000-note cache state, the full collections a rebuild's allocations set off
            # were a fifth of its time (~40 ms of 200 at 2,000 notes).  One after it.
            from site_builder.core.processes import cyclic_gc_paused

            with cyclic_gc_paused(collect_after=True):
                if not _guarded(lambda: _build(opts, out, dev, rebuild), lr):
                    return
                lr.reloaded()
                if indexer is not None:
                    indexer.request()
            _save(dev)  # while Pagefind runs

        _run_watch(opts, stop, on_change, since=since)
    except KeyboardInterrupt:  # Ctrl+C once the server is up, before the watch began
        pass
    finally:
        if indexer is not None:
            indexer.close()
        server.close()
    out("Stopped.")
    return 0


def _save(dev: DevSite) -> None:
    """Save the build cache kept in memory (after the reload: off the path to it)."""
    unsaved = dev.save()
    if unsaved:
        _warn_once(unsaved)


def _warn_once(warning: str) -> None:
    """Once per session, not on every keystroke."""
    if warning not in _shown_warnings:
        _shown_warnings.add(warning)
        say_error(f"Warning: {warning}")


def _deploy(client: Any, bucket: str, site: Path, message: str, out: Say,
            site_id: str | None = None) -> str | None:
    from site_builder.deploy import publish
    from site_builder.deploy.recordcache import FileRecordCache, cache_dir

    cache = FileRecordCache(cache_dir(site), str(client.meta.endpoint_url), bucket)
    result = publish(client, bucket, site, message=message, source="notes up",
                     site_id=site_id, record_cache=cache)  # as `notes deploy` keeps it
    if result.record is None:
        out(f"Deploy: nothing changed ({result.plan.summary()}); live deploy {result.live_id}")
    else:
        out(f"Deployed {result.record.id}: {result.plan.summary()}")
    return result.live_id


RECORDS_PREFIX = "_notes/deploys/"


def latest_record_id(client: Any, bucket: str) -> str | None:
    """The newest deploy record's id (ids sort by time), to notice deploys made elsewhere."""
    newest = None
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=RECORDS_PREFIX):
        for obj in page.get("Contents", []):
            if newest is None or obj["Key"] > newest:
                newest = obj["Key"]
    # <id>.json.bz2, or an older record's <id>.json.gz / <id>.json
    return newest and newest.removeprefix(RECORDS_PREFIX).split(".", 1)[0]


# What `notes up` offers to paste: the history commands, and `notes unlock`, which shows (and
# with --force-unlock breaks) the lock of a deploy that hangs in another terminal while
# notes up's own redeploys are refused on it.
PASTE_COMMANDS = ("history", "rollback", "verify", "unlock")


def other_terminal_commands(opts: DevOptions, endpoint: str) -> list[str]:
    """Commands to paste as they are into another terminal: this very `notes` and the dummy
    credentials of the embedded S3 (it accepts any, but boto3 refuses to sign without)."""
    from site_builder.serve.embedded import DUMMY_CREDENTIALS

    env = " ".join(f"{name}={DUMMY_CREDENTIALS[name]}"
                   for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
    flags = f"--endpoint-url {endpoint} --bucket {opts.bucket}"
    return [f"{env} {opts.notes_command} {command} {flags}"
            for command in PASTE_COMMANDS]


def _print_up_banner(opts: DevOptions, endpoint: str, title: str, url: str, out: Say) -> None:
    out(f"Embedded S3 at {endpoint}: bucket {opts.bucket} (versioned, website hosting, policy)")
    out("From another terminal:")
    for line in other_terminal_commands(opts, endpoint):
        out(f"  {line}")
    out(f"Serving {title} from the bucket (Ctrl+C to stop)")
    out(f"Open {url}")


def _relative_to(path: Path, project: Path) -> str:
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def run_up(opts: DevOptions, *, stop: threading.Event | None = None, out: Say = say) -> int:
    """``notes up``: the whole publish path on this machine, history and rollback included."""
    from site_builder.core.config import load_settings
    from site_builder.serve.embedded import (
        EmbeddedS3,
        create_site_bucket,
        tag_website_url,
        use_dummy_credentials,
    )
    from site_builder.serve.stores import BucketStore

    stop = stop or threading.Event()
    use_dummy_credentials()
    check_port_free(opts.host, opts.port, "--port")
    check_port_free("127.0.0.1", opts.s3_port, "--s3-port")
    since = snapshot(opts.project, opts.content_dir())  # edits during the build still count
    site = _build(opts, out)  # before the S3 server's threads: its workers may fork
    with EmbeddedS3(opts.s3_port) as s3:  # S3 stays on 127.0.0.1 whatever --host says
        client = s3.client()
        create_site_bucket(client, opts.bucket)
        site_id = load_settings(opts.project).site_id
        _deploy(client, opts.bucket, site, "notes up: first deploy", out, site_id)
        seen = [latest_record_id(client, opts.bucket)]
        lr = LiveReload()
        server = _start_server(WebsiteApp(BucketStore(client, opts.bucket), livereload=lr), opts)
        try:
            tag_website_url(client, opts.bucket, server.url)
            title = load_settings(opts.project).title
            _print_up_banner(opts, s3.endpoint_url, title, server.url, out)

            content = _relative_to(opts.content_dir(), opts.project)

            def on_change(changes: list[Change]) -> None:
                out(_changed_line(changes))
                message = record_message(changes, content)
                if _guarded(lambda: _deploy(client, opts.bucket, _build(opts, out), message, out,
                                            site_id), lr):
                    seen[0] = latest_record_id(client, opts.bucket)
                    lr.reloaded()

            def on_tick() -> None:  # a rollback/deploy from another terminal
                latest = latest_record_id(client, opts.bucket)
                if latest != seen[0]:
                    seen[0] = latest
                    out(
                        f"The bucket changed from elsewhere (latest record {latest}): reloading tabs"
                    )
                    lr.reloaded()

            _run_watch(opts, stop, on_change, on_tick, since=since)
        except KeyboardInterrupt:  # Ctrl+C once the server is up, before the watch began
            pass
        finally:
            server.close()
    out("Stopped.")
    return 0
