"""Live reload for ``notes serve`` / ``notes up``: one Server-Sent Events channel per open tab.

The state pushed to tabs is tiny: ``{"version": N, "error": "..." | null}``.  ``version`` goes
up after every good rebuild; each served HTML page embeds the version it was rendered at, so a
tab reloads as soon as it sees a different one — even if the rebuild finished between the page
load and the EventSource connecting.  A failed rebuild keeps the version (the last good site
stays up) and sets ``error``, which the page shows as an overlay until the next good build.

The script is injected into HTML *responses* only; built files and bucket objects never
contain it.  Because the injected bytes depend on the version, the ETag of an injected page
carries the version too (``"<md5>-lr<N>"``), so a 304 can never revive a stale version.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

_SCRIPT = """<script data-notes-livereload>(function(){var v=%d,id="notes-build-error",
es=new EventSource("%s");es.addEventListener("state",function(e){var s=JSON.parse(e.data);
if(s.version!==v){es.close();location.reload();return}var o=document.getElementById(id);
if(s.error){if(!o){o=document.createElement("div");o.id=id;o.setAttribute("role","alert");
o.style.cssText="position:fixed;left:0;right:0;bottom:0;z-index:2147483647;margin:0;"+
"padding:1em;background:#b00020;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap";
document.body.appendChild(o)}o.textContent="Build failed: "+s.error}else if(o){o.remove()}});
})();</script>"""

_ETAG_SUFFIX = re.compile(r'^(W/)?"(.*)-lr(\d+)"$')


class LiveReload:
    """Shared state between the rebuild loop (writer) and the SSE streams (readers)."""

    PATH = "/__notes/livereload"

    def __init__(self, *, ping_seconds: float = 15.0):
        self._cond = threading.Condition()
        self.version = 0
        self.error: str | None = None
        self._closed = False
        self.ping_seconds = ping_seconds

    # -- writer side -------------------------------------------------------------------------
    def reloaded(self) -> None:
        """A rebuild/deploy succeeded: every open tab reloads."""
        with self._cond:
            self.version += 1
            self.error = None
            self._cond.notify_all()

    def failed(self, message: str) -> None:
        """A rebuild failed: tabs keep the last good page and show ``message`` as an overlay."""
        with self._cond:
            self.error = message
            self._cond.notify_all()

    def close(self) -> None:
        """End every open stream (server shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- reader side -------------------------------------------------------------------------
    def state(self) -> tuple[int, str | None]:
        with self._cond:
            return self.version, self.error

    def events(self) -> Iterator[bytes]:
        """The SSE byte stream for one tab: current state now, then each change, with
        comment pings in between (so a closed tab is noticed).  Ends on :meth:`close`."""
        yield b"retry: 1000\n\n"
        sent: tuple[int, str | None] | None = None
        while True:
            with self._cond:
                if sent is not None and not self._closed:
                    self._cond.wait_for(self._changed_since(sent), timeout=self.ping_seconds)
                if self._closed:
                    return
                current = (self.version, self.error)
            if current == sent:
                yield b": ping\n\n"
                continue
            sent = current
            data = json.dumps({"version": current[0], "error": current[1]})
            yield f"event: state\ndata: {data}\n\n".encode()

    def _changed_since(self, sent: tuple[int, str | None]):
        return lambda: self._closed or (self.version, self.error) != sent

    # -- response rewriting ------------------------------------------------------------------
    def snippet(self) -> bytes:
        return (_SCRIPT % (self.state()[0], self.PATH)).encode()

    def inject(self, html: bytes) -> bytes:
        """``html`` with the reload script before its last ``</body>`` (or at the end)."""
        snippet = self.snippet()
        at = html.lower().rfind(b"</body>")
        if at < 0:
            return html + snippet
        return html[:at] + snippet + html[at:]

    def etag(self, stored: str) -> str:
        """The ETag of an injected page: the stored one, tagged with the current version."""
        weak = stored.startswith("W/")
        inner = stored.removeprefix("W/").strip('"')
        return f'{"W/" if weak else ""}"{inner}-lr{self.state()[0]}"'

    def translate_if_none_match(self, header: str | None) -> str | None:
        """Map tags we issued back to stored ETags; tags from an older version are dropped
        (so the page is re-sent with the current script).  Other tags pass through."""
        if not header or header.strip() == "*":
            return header
        version = self.state()[0]
        kept: list[str] = []
        for tag in (t.strip() for t in header.split(",")):
            match = _ETAG_SUFFIX.match(tag)
            if match is None:
                kept.append(tag)
            elif int(match.group(3)) == version:
                kept.append(f'{match.group(1) or ""}"{match.group(2)}"')
        return ", ".join(kept) or None
