"""Answering CloudFormation for a Lambda-backed custom resource: one PUT to ``ResponseURL``.

The publish Lambda (infra/handler) is the custom resource's service token itself, not a
function behind CDK's Provider framework: the framework always answers a success with the
reason "SUCCESS", and a publish that succeeded with a warning (a CloudFront invalidation that
failed, a rollback that left a laptop deploy's site in place) must say so where people look,
in the stack event's status reason.

Exactly one answer per request: ``Responder.send`` is idempotent, and a watchdog answers
FAILED shortly before the Lambda's own timeout, so CloudFormation hears about a publish that
ran out of time within minutes instead of waiting for the resource's ServiceTimeout.  The
response body is JSON with an empty Content-Type, as the pre-signed S3 URL expects.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import Any

MAX_REASON = 1500  # the whole response must stay under CloudFormation's 4 KB
TIMEOUT_MARGIN_SECONDS = 20.0  # the watchdog answers this long before the Lambda is stopped
_ATTEMPTS = 5
log = logging.getLogger("notes.publish")


def one_line(text: str, limit: int = MAX_REASON) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class Responder:
    """Sends the one response for ``event``."""

    def __init__(self, event: dict[str, Any], *, sleep: Any = time.sleep):
        self.event = event
        self.sent: dict[str, Any] | None = None
        self._mutex = threading.Lock()
        self._sleep = sleep
        self._timer: threading.Timer | None = None

    def _body(self, status: str, reason: str, physical: str | None,
              data: dict[str, Any] | None) -> dict[str, Any]:
        event = self.event
        return {
            "Status": status,
            "Reason": one_line(reason or status),
            "PhysicalResourceId": physical or event.get("PhysicalResourceId")
            or event.get("RequestId", "notes-site"),
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
            "Data": data or {},
        }

    def send(self, status: str, reason: str = "", physical: str | None = None,
             data: dict[str, Any] | None = None) -> bool:
        """PUT the response (retried); False when a response was already sent."""
        with self._mutex:
            if self.sent is not None:
                return False
            self.sent = body = self._body(status, reason, physical, data)
        payload = json.dumps(body).encode()
        log.info("response to CloudFormation: %s %s", status, body["Reason"])
        for attempt in range(1, _ATTEMPTS + 1):
            request = urllib.request.Request(
                self.event["ResponseURL"], data=payload, method="PUT",
                headers={"Content-Type": "", "Content-Length": str(len(payload))})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    answer.read()
                return True
            except OSError as exc:  # URLError, HTTPError, timeouts
                log.warning("could not send the response (attempt %d): %s", attempt, exc)
                if attempt == _ATTEMPTS:
                    raise
                self._sleep(attempt)
        return True

    def watch(self, context: Any, reason: str) -> None:
        """Answer FAILED with ``reason`` shortly before ``context``'s deadline."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return
        delay = max(0.0, remaining() / 1000 - TIMEOUT_MARGIN_SECONDS)
        self._timer = threading.Timer(delay, self._expire, args=(reason,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, reason: str) -> None:
        try:
            self.send("FAILED", reason)
        except OSError:
            pass  # logged by send; CloudFormation's ServiceTimeout is the backstop

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
