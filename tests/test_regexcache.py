"""Compiled regular expressions kept between processes (issue 28): a pattern served from the
table matches exactly as ``re`` compiles it, and a damaged or foreign table is ignored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.core import regexcache

PATTERNS = [
    (r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(\d\d))?", 0),
    (r"(?<![\w*])\*\*(?!\s)(.+?)(?<!\s)\*\*", 0),
    (r"^\s*(?://[^\n]*|/\*.*?\*/)\n|^[ \t]+", re.DOTALL | re.MULTILINE),
    (r"[!-/:-@\[-`{-~\u00a1-\u00bf\u2010-\u2027]+", 0),
    (r"(?x) a \s* (b | c)+  # verbose", 0),
    (r"(?i)straße|ǅ", 0),
    (rb"<h1[\s>].*?</h1>", re.IGNORECASE | re.DOTALL),
    (rb"<[a-zA-Z][^<>]*\sdata-pagefind-[^<>]*>", 0),
    (r"(a)|b(?(1)c|d)", 0),
    (r"\b\w+\b", re.ASCII),
]


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory):
    """A process state where the table was filled by an earlier run and read back: compile
    every pattern once (kept), save, then start again from the file."""
    tmp_path = tmp_path_factory.mktemp("regex")
    regexcache.uninstall()
    assert regexcache.install(tmp_path)
    for pattern, flags in PATTERNS:
        regexcache._compile(pattern, int(flags))
    regexcache.save()
    regexcache.uninstall()
    assert regexcache.install(tmp_path)
    assert len(regexcache._state["table"]) == len(PATTERNS)
    yield tmp_path
    regexcache.uninstall()


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PATTERNS), st.text(alphabet="ab*-/ \n\t<>h1ßSSǅǆ2024-0x{}", max_size=40))
def test_a_pattern_from_the_table_matches_as_re_compiles_it(cached: Path, case: tuple,
                                                              text: str) -> None:
    pattern, flags = case
    assert (pattern, int(flags)) in regexcache._state["table"]
    ours = regexcache._compile(pattern, int(flags))
    theirs = regexcache._state["original"](pattern, int(flags))
    subject = text.encode("utf-8") if isinstance(pattern, bytes) else text
    assert (ours.pattern, ours.flags, ours.groups, ours.groupindex) == \
        (theirs.pattern, theirs.flags, theirs.groups, theirs.groupindex)
    assert [m.span() for m in ours.finditer(subject)] == \
        [m.span() for m in theirs.finditer(subject)]
    assert [m.groups() for m in ours.finditer(subject)] == \
        [m.groups() for m in theirs.finditer(subject)]


def test_a_damaged_or_foreign_table_is_ignored(tmp_path: Path) -> None:
    regexcache.uninstall()
    try:
        regexcache.install(tmp_path)
        regexcache._compile(r"x+", 0)
        regexcache.save()
        path = regexcache._state["path"]
        regexcache.uninstall()
        path.write_bytes(b"\x00garbage")
        regexcache.install(tmp_path)
        assert regexcache._state["table"] == {}
        assert re.compile(r"x+y?").fullmatch("xxy")
    finally:
        regexcache.uninstall()


def test_a_notes_process_fills_the_table_and_its_workers_do_not_write(tmp_path: Path) -> None:
    """`notes --version` runs main(): the table is written by the main process at exit; a
    forked child's exit writes nothing."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    code = ("import os, re, sys; from site_builder.core import regexcache; "
            "regexcache.install(); re.compile('new-pattern-[0-9]+'); pid = os.fork(); "
            "os._exit(0) if pid == 0 else os.waitpid(pid, 0)")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    files = list((tmp_path / "notes-publisher").glob("regex-*.bin"))
    assert len(files) == 1
    regexcache.uninstall()
    try:
        regexcache.install(tmp_path / "notes-publisher")
        assert ("new-pattern-[0-9]+", 0) in regexcache._state["table"]
    finally:
        regexcache.uninstall()
