"""Every request an S3 client sends, by operation: what the deploy tests assert on and what
the deploy and listing benchmarks print (one counter for all three)."""

from __future__ import annotations

import threading
from collections import Counter


class RequestCounter:
    """A ``before-send`` hook on ``client``, registered first so that retries count too;
    ``take`` returns the operations counted since the last call."""

    def __init__(self, client) -> None:
        self.ops: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register_first("before-send.s3", self._hook)

    def _hook(self, request, **kwargs) -> None:
        with self._lock:
            self.ops[kwargs["event_name"].rsplit(".", 1)[-1]] += 1

    def take(self) -> Counter[str]:
        with self._lock:
            ops, self.ops = self.ops, Counter()
        return ops
