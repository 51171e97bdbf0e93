"""Installed distributions' versions, found the cheap way.

Every build asks for the versions of the libraries that shape its output (the cache's
fingerprint) and of Pagefind (the search index's keys).  ``importlib.metadata.version`` finds
a distribution by scanning ``sys.path`` and then reads and parses its ``METADATA`` file with
the ``email`` package: about 3 ms a name, 30 ms of each `notes build`.  An installer names
each ``.dist-info`` folder ``{name}-{version}.dist-info`` (the name with ``-``, ``_`` and
``.`` written ``_``), so one listing of each ``sys.path`` folder gives every version; a name
found only some other way (an egg, a zip) falls back to ``importlib.metadata``.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache

_SEPARATORS = re.compile(r"[-_.]+")


def _normal(name: str) -> str:
    return _SEPARATORS.sub("_", name).lower()


@lru_cache(maxsize=1)
def _dist_infos(path: tuple[str, ...]) -> dict[str, str]:
    """Normalised name -> version, from the first ``sys.path`` folder holding its dist-info
    (the one ``importlib.metadata`` finds first too)."""
    found: dict[str, str] = {}
    for folder in path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info") and entry.count("-") == 1:
                name, version = entry[:-len(".dist-info")].split("-")
                found.setdefault(_normal(name), version)
    return found


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None when it is not installed."""
    version = _dist_infos(tuple(sys.path)).get(_normal(name))
    if version is not None:
        return version
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
