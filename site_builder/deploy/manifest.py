"""The per-file work of planning a deploy, done once by the build: a manifest of MD5s.

Planning compares every local file's MD5 with the bucket's ETags, and choosing an upload group
reads the head of every page; for a 5,000-note site that is ~10,000 files read and hashed on
every ``notes deploy``, even when nothing changed.  The builder knows when a file changes, so
after each build it refreshes a *manifest* beside the site folder (never inside it, so it is
never uploaded): ``build/.site.files`` for ``build/site``, plain values in ``marshal`` format
(10,000 entries load and save in milliseconds; unlike pickle, loading never runs code).  Each entry is keyed by the
file's path and *stamp* (size, mtime in nanoseconds, inode); ``FolderSource.scan`` trusts an
entry only when the file's stamp still matches, and hashes the file itself otherwise.

A stale entry could only make a changed file look unchanged if the file were rewritten with the
same size within one mtime tick and on the same inode; and an upload never trusts it blindly:
S3 rejects a PUT whose bytes do not match the ``Content-MD5`` sent with it.  A missing,
unreadable or foreign manifest is ignored (planning reads every file, as before).

Standard library only (the deploy engine runs in the CDK Lambda).
"""

from __future__ import annotations

import marshal
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from site_builder.deploy.bounded import read_capped

FORMAT = 2  # 2: marshal (1 was JSON)
# The builder's list of the files it wrote, kept *in* the site folder (``store.outfolder``):
# not part of the site, so never scanned, hashed or uploaded.
OUTPUT_MARKER = ".notes-output"
MANIFEST_LIMIT = 256 << 20  # bytes: 10,000 files take about 1 MB
Stamp = tuple[int, int, int]  # size, mtime_ns, inode
Entry = tuple[int, int, int, str, str]  # *stamp, md5 hex, upload group


def manifest_path(site: Path) -> Path:
    """``build/site`` -> ``build/.site.files`` (outside the site folder)."""
    site = Path(site).resolve()
    return site.parent / f".{site.name}.files"


def stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def load_manifest(site: Path) -> dict[str, Entry]:
    """The manifest's entries by site key; empty when there is none or it cannot be trusted."""
    try:
        with open(manifest_path(site), "rb") as fh:
            data = marshal.loads(read_capped(fh, MANIFEST_LIMIT))
        if data.get("format") != FORMAT or data.get("site") != str(Path(site).resolve()):
            return {}
        files = data["files"]
        if not all(isinstance(v, tuple) and len(v) == 5 for v in files.values()):
            return {}
        return files
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        return {}


def walk(site: Path) -> dict[str, os.stat_result]:
    """Every file under ``site`` by POSIX key, with its stat (sorted; symlinks to files
    followed as ``FolderSource`` reads them, symlinked folders not entered, as ``os.walk``
    does).  ``os.scandir`` with the keys built as it goes: ``os.walk`` plus ``relpath``
    spent 0.74 s on the 5,000 folders of a 5,000-note site (``relpath`` asks for the working
    directory each time), this 0.33 s."""
    found: dict[str, os.stat_result] = {}

    def visit(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        folders = []
        for entry in listed:
            if entry.is_dir():
                if not entry.is_symlink():
                    folders.append(entry)
            elif prefix or entry.name != OUTPUT_MARKER:
                found[prefix + entry.name] = entry.stat()
        for folder in folders:
            visit(folder.path, f"{prefix}{folder.name}/")

    visit(str(site), "")
    return found


def refresh_manifest(site: Path, describe: Callable[[str], tuple[str, str]],
                     changed: Iterable[str] | None = None, rescan: Iterable[str] = (),
                     fresh: Mapping[str, Entry] | None = None) -> int:
    """Bring the manifest up to date with the folder: entries whose stamp still matches are
    kept, the others made by ``describe(key) -> (md5, group)``.  With ``changed`` (the keys
    the caller wrote or removed, when it knows them and a manifest exists) only those, and
    every file under the ``rescan`` folders, are looked at; the rest keep their entries,
    which ``trusted`` checks at deploy time anyway.  ``fresh``: entries the caller made while
    writing files (their MD5 from the bytes it wrote), used like kept entries, only where the
    stamp still matches.  Returns how many files were described again.  Written atomically;
    a manifest that cannot be written only costs speed."""
    site = Path(site).resolve()
    old = load_manifest(site)
    known = {**old, **fresh} if fresh else old
    if changed is None or not old:
        found = walk(site)
        files: dict[str, Entry] = {}
    else:
        prefixes = tuple(f"{folder.strip('/')}/" for folder in rescan)
        files = {k: v for k, v in old.items() if not (prefixes and k.startswith(prefixes))}
        found = {}
        for folder in prefixes:
            if (site / folder).is_dir():
                found.update((folder + k, st) for k, st in walk(site / folder).items())
        for key in changed:
            files.pop(key, None)
            try:
                found[key] = os.stat(site / key)
            except OSError:
                continue  # removed
    fresh = 0
    for key, st in found.items():
        stamp = stamp_of(st)
        kept = known.get(key)
        if kept is not None and tuple(kept[:3]) == stamp:
            files[key] = kept
        else:
            md5, group = describe(key)
            files[key] = (*stamp, md5, group)
            fresh += 1
    write_atomic(manifest_path(site), {"format": FORMAT, "site": str(site), "files": files})
    return fresh


def trusted(entries: Mapping[str, Entry], key: str, st: os.stat_result) -> Entry | None:
    """The manifest's entry for ``key`` if the file on disk still has its stamp."""
    entry = entries.get(key)
    return entry if entry is not None and tuple(entry[:3]) == stamp_of(st) else None


def write_atomic(path: Path, data: dict) -> None:
    """``data`` in marshal format at ``path``, atomically (a reader never sees half a file);
    a file that cannot be written only costs speed (also ``recordcache``'s)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            marshal.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
