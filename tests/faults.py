"""A fault-injecting wrapper around a boto3 S3 client, for the deploy engine's fault tests.

Two faults, both seeded (a failing seed replays exactly, thread scheduling aside):

* **kill**: at call number ``kill_at`` the process "dies" (:class:`Killed`, a BaseException
  like the SIGKILL it models, so no ``except Exception`` handles it).  Half the time the fatal
  call reaches S3 first.  Every later call, from any thread, raises too: ``finally`` blocks
  (lock release, cleanup) run in Python but cannot talk to S3, as after a real kill.
* **lost response**: a write (PutObject of a site file, the lock or a record, CopyObject,
  DeleteObjects, DeleteObject) is performed, then its response is lost.  Either botocore's
  retry sends the same request again and the caller gets the retry's answer (a 412 for a
  conditional write that had succeeded), or the retries run out and the caller gets a
  connection error although S3 applied the write.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

from botocore.exceptions import ConnectionClosedError

WRITES = frozenset({"put_object", "copy_object", "delete_objects", "delete_object"})


class Killed(BaseException):
    """The process died here (SIGKILL): nothing after this reaches S3."""


class FaultyClient:
    def __init__(self, client: Any, rng: random.Random, *, kill_at: int | None = None,
                 lose_rate: float = 0.0):
        self._client, self._rng = client, rng
        self.kill_at, self.lose_rate = kill_at, lose_rate
        self.calls = 0
        self.dead = False
        self.lost: Counter[str] = Counter()  # operation -> lost responses
        self._mutex = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in ("meta", "exceptions") or not callable(attr):
            return attr
        if name == "get_paginator":  # listings: reads, and they page through this wrapper
            return lambda op: _Paginator(self, op)

        def call(**kwargs: Any) -> Any:
            return self._call(name, attr, kwargs)

        return call

    def _call(self, name: str, attr: Any, kwargs: dict[str, Any]) -> Any:
        with self._mutex:
            if self.dead:
                raise Killed(f"{name} after the kill")
            self.calls += 1
            kill = self.kill_at is not None and self.calls >= self.kill_at
            if kill:
                self.dead = True
                reaches = self._rng.random() < 0.5
            lose = not kill and name in WRITES and self._rng.random() < self.lose_rate
            exhausted = lose and self._rng.random() < 0.3
            if lose:
                self.lost[name] += 1
        if kill:
            if reaches:
                attr(**kwargs)
            raise Killed(f"killed at call {self.calls} ({name})")
        if not lose:
            return attr(**kwargs)
        attr(**kwargs)  # S3 applied it; the response never arrived
        if exhausted:
            raise ConnectionClosedError(endpoint_url="https://s3.faults.test")
        return attr(**kwargs)  # botocore's retry: the same request again


class _Paginator:
    def __init__(self, faulty: FaultyClient, op: str):
        self.faulty, self.op = faulty, op

    def paginate(self, **kwargs: Any) -> Any:
        method = getattr(self.faulty, self.op)
        token_in, token_out = _TOKENS[self.op]
        while True:
            page = method(**kwargs)
            yield page
            if not page.get("IsTruncated"):
                return
            kwargs = {**kwargs, **{k: page[v] for k, v in zip(token_in, token_out, strict=True)
                                   if page.get(v)}}


_TOKENS = {
    "list_objects_v2": (("ContinuationToken",), ("NextContinuationToken",)),
    "list_object_versions": (("KeyMarker", "VersionIdMarker"),
                             ("NextKeyMarker", "NextVersionIdMarker")),
}
