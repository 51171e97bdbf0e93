"""moto's S3 server with its timestamp parsing made cheap, for benchmarks that list a lot.

    python bench/moto_fast.py -H 127.0.0.1 -p PORT      (the arguments of ``moto.server``)

moto 5.2 answers ListObjectsV2 by serialising each object's fields through botocore's shapes,
and turns each LastModified back into a datetime with dateutil's general parser: about 0.3 s
of its CPU per page of 1,000 objects, which S3 does not spend (a page costs it tens of
milliseconds).  This wrapper swaps that one parser for ``datetime.fromisoformat`` (falling back
to the original for anything else), so the same responses come out, byte for byte, and runs
moto's server as ``python -m moto.server`` would.  The benchmarks say which server they used.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from moto.core import serialize

_slow = serialize.parse_to_aware_datetime


def _fast(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
        except ValueError:
            pass
    return _slow(value)


serialize.parse_to_aware_datetime = _fast

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
