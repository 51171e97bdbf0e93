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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder.errors import NotesError
from site_builder.serve.livereload import LiveReload
from site_builder.serve.watch import watch_project
from site_builder.serve.website import WebsiteApp, WebsiteServer, check_port_free

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
    drafts: bool = False
    s3_port: int = 4566  # `notes up` only
    bucket: str = "notes-local"  # `notes up` only


_shown_warnings: set[str] = set()


def _build(opts: DevOptions, out: Say) -> Path:
    from site_builder.build import BuildOptions, build_site

    started = time.monotonic()
    result = build_site(BuildOptions(project_dir=opts.project, drafts=opts.drafts))
    for warning in result.warnings:
        if warning not in _shown_warnings:  # once per session, not on every keystroke
            _shown_warnings.add(warning)
            say_error(f"Warning: {warning}")
    took = time.monotonic() - started
    out(f"Built {result.pages} pages ({result.files} files) in {took:.2f}s")
    return Path(result.out_dir)


def _guarded(action: Callable[[], None], lr: LiveReload) -> bool:
    """Run one rebuild step; on failure report it (terminal + overlay) and keep going."""
    try:
        action()
    except NotesError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug in one rebuild must not kill the server
        message = f"unexpected {type(exc).__name__}: {exc}"
    else:
        return True
    say_error(f"Error: {message}")
    say_error("Still serving the last good site.")
    lr.failed(message)
    return False


def _changed_line(changed: list[str]) -> str:
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return f"Changed: {shown}"


def _start_server(app: WebsiteApp, opts: DevOptions) -> WebsiteServer:
    check_port_free(opts.host, opts.port, "--port")
    return WebsiteServer(app, opts.host, opts.port).start()


def _run_watch(opts: DevOptions, stop: threading.Event, on_change, on_tick=None) -> None:
    try:
        watch_project(opts.project, stop, on_change, on_tick=on_tick)
    except KeyboardInterrupt:
        pass


def run_serve(opts: DevOptions, *, stop: threading.Event | None = None, out: Say = say) -> int:
    """``notes serve``: the folder preview with live reload."""
    from site_builder.config import load_settings
    from site_builder.serve.stores import FolderStore

    stop = stop or threading.Event()
    check_port_free(opts.host, opts.port, "--port")
    site = _build(opts, out)
    lr = LiveReload()
    server = _start_server(WebsiteApp(FolderStore(site), livereload=lr), opts)
    try:
        title = load_settings(opts.project).title
        out(f"Serving {title} at {server.url} (Ctrl+C to stop)")

        def on_change(changed: list[str]) -> None:
            out(_changed_line(changed))
            if _guarded(lambda: _build(opts, out), lr):
                lr.reloaded()

        _run_watch(opts, stop, on_change)
    finally:
        server.close()
    out("Stopped.")
    return 0


def _deploy(client: Any, bucket: str, site: Path, message: str, out: Say) -> str | None:
    from site_builder.deploy import publish

    result = publish(client, bucket, site, message=message, source="notes up")
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
    return newest and newest.removeprefix(RECORDS_PREFIX).removesuffix(".gz").removesuffix(".json")


def _print_up_banner(opts: DevOptions, endpoint: str, title: str, url: str, out: Say) -> None:
    flags = f"--endpoint-url {endpoint} --bucket {opts.bucket}"
    out(f"Embedded S3 at {endpoint}: bucket {opts.bucket} (versioned, website hosting, policy)")
    out(
        "From another terminal (any credentials work, e.g. AWS_ACCESS_KEY_ID=x "
        "AWS_SECRET_ACCESS_KEY=x):"
    )
    out(f"  notes history  {flags}")
    out(f"  notes rollback {flags}")
    out(f"  notes verify   {flags}")
    out(f"Serving {title} from the bucket (Ctrl+C to stop)")
    out(f"Open {url}")


def run_up(opts: DevOptions, *, stop: threading.Event | None = None, out: Say = say) -> int:
    """``notes up``: the whole publish path on this machine, history and rollback included."""
    from site_builder.config import load_settings
    from site_builder.serve.embedded import EmbeddedS3, create_site_bucket, use_dummy_credentials
    from site_builder.serve.stores import BucketStore

    stop = stop or threading.Event()
    use_dummy_credentials()
    check_port_free(opts.host, opts.port, "--port")
    with EmbeddedS3(opts.s3_port, opts.host) as s3:
        client = s3.client()
        create_site_bucket(client, opts.bucket)
        site = _build(opts, out)
        _deploy(client, opts.bucket, site, "notes up: first deploy", out)
        seen = [latest_record_id(client, opts.bucket)]
        lr = LiveReload()
        server = _start_server(WebsiteApp(BucketStore(client, opts.bucket), livereload=lr), opts)
        try:
            title = load_settings(opts.project).title
            _print_up_banner(opts, s3.endpoint_url, title, server.url, out)

            def rebuild_and_deploy() -> None:
                _deploy(client, opts.bucket, _build(opts, out), "notes up: rebuild", out)

            def on_change(changed: list[str]) -> None:
                out(_changed_line(changed))
                if _guarded(rebuild_and_deploy, lr):
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

            _run_watch(opts, stop, on_change, on_tick)
        finally:
            server.close()
    out("Stopped.")
    return 0
